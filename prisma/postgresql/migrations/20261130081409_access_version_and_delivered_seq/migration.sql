-- AlterTable
ALTER TABLE "Room" ADD COLUMN     "accessVersion" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "RoomMember" ADD COLUMN     "deliveredSeq" INTEGER NOT NULL DEFAULT 0;


-- Members so far keep their stored notifications; derived ones start with the next message.
UPDATE "RoomMember" SET "deliveredSeq" = (SELECT "lastSeq" FROM "Room" WHERE "Room"."id" = "RoomMember"."roomId");
