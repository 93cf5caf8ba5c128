-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Room" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "pairKey" TEXT,
    "name" TEXT,
    "description" TEXT,
    "avatarUrl" TEXT,
    "creatorId" TEXT,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "joinApprovalRequired" BOOLEAN NOT NULL DEFAULT false,
    "isPublic" BOOLEAN NOT NULL DEFAULT false,
    "maxMembers" INTEGER NOT NULL,
    "preferences" JSONB NOT NULL,
    "lastSeq" INTEGER NOT NULL DEFAULT 0,
    "accessVersion" INTEGER NOT NULL DEFAULT 0,
    "lastMessageId" TEXT,
    "lastActivityAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Room_creatorId_fkey" FOREIGN KEY ("creatorId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Room_lastMessageId_fkey" FOREIGN KEY ("lastMessageId") REFERENCES "Message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Room" ("avatarUrl", "createdAt", "creatorId", "description", "id", "isPublic", "joinApprovalRequired", "kind", "lastActivityAt", "lastMessageId", "lastSeq", "locked", "maxMembers", "name", "pairKey", "preferences", "updatedAt") SELECT "avatarUrl", "createdAt", "creatorId", "description", "id", "isPublic", "joinApprovalRequired", "kind", "lastActivityAt", "lastMessageId", "lastSeq", "locked", "maxMembers", "name", "pairKey", "preferences", "updatedAt" FROM "Room";
DROP TABLE "Room";
ALTER TABLE "new_Room" RENAME TO "Room";
CREATE UNIQUE INDEX "Room_pairKey_key" ON "Room"("pairKey");
CREATE UNIQUE INDEX "Room_lastMessageId_key" ON "Room"("lastMessageId");
CREATE INDEX "Room_lastActivityAt_id_idx" ON "Room"("lastActivityAt" DESC, "id");
CREATE INDEX "Room_kind_isPublic_lastActivityAt_idx" ON "Room"("kind", "isPublic", "lastActivityAt" DESC);
CREATE TABLE "new_RoomMember" (
    "roomId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "lastReadSeq" INTEGER NOT NULL DEFAULT 0,
    "deliveredSeq" INTEGER NOT NULL DEFAULT 0,
    "joinedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("roomId", "userId"),
    CONSTRAINT "RoomMember_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "RoomMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_RoomMember" ("joinedAt", "lastReadSeq", "roomId", "userId") SELECT "joinedAt", "lastReadSeq", "roomId", "userId" FROM "RoomMember";
DROP TABLE "RoomMember";
ALTER TABLE "new_RoomMember" RENAME TO "RoomMember";
CREATE INDEX "RoomMember_userId_idx" ON "RoomMember"("userId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


-- Members so far keep their stored notifications; derived ones start with the next message.
UPDATE "RoomMember" SET "deliveredSeq" = (SELECT "lastSeq" FROM "Room" WHERE "Room"."id" = "RoomMember"."roomId");
