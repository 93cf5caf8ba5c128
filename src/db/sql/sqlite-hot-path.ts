// The hot path on SQLite: prepared better-sqlite3 statements on Prisma's own connection (see
// sqlite-connection.ts), written in the formats Prisma's adapter writes (ISO-8601 text with
// "+00:00", booleans as 0/1), so rows read the same whichever side wrote them.
import type { Database, Statement } from "better-sqlite3";
import type { Message } from "../../generated/sqlite/client.js";
import {
  columnList,
  groupAccess,
  messageFromRow,
  MESSAGE_COLUMNS,
  roomFromRow,
  ROOM_COLUMNS,
  storedMessage,
  type HotPathStatements,
  type PendingSend,
  type SendOutcome,
  type StatementListener,
  type ValueReaders,
} from "./hot-path.js";
import { groupCommit } from "./group-commit.js";
import type { SqliteConnection } from "./sqlite-connection.js";

/** Prisma's better-sqlite3 adapter writes DateTime as ISO-8601 with "+00:00"; text order is time order. */
const sqliteTime = (date: Date) => date.toISOString().replace("Z", "+00:00");

const READ: ValueReaders = {
  bool: (value) => value === 1 || value === 1n || value === true,
  // Prisma's format, or SQLite's CURRENT_TIMESTAMP ("YYYY-MM-DD HH:MM:SS", UTC).
  date: (value) => new Date(typeof value === "string" && !value.includes("T") ? `${value.replace(" ", "T")}Z` : (value as string)),
  json: (value) => JSON.parse(value as string),
};

const SQL = {
  room: `SELECT ${columnList(ROOM_COLUMNS)} FROM "Room" WHERE "id" = ?`,
  memberAccess: `SELECT 'member' AS kind, '' AS value FROM "RoomMember" WHERE "roomId" = @room AND "userId" = @user
    UNION ALL SELECT 'role', "role" FROM "RoomRole" WHERE "roomId" = @room AND "userId" = @user
    UNION ALL SELECT 'grant', "permission" FROM "RoomGrant" WHERE "roomId" = @room AND "userId" = @user`,
  liveMessages: `SELECT "id", "roomId", "senderId" FROM "Message"
    WHERE "id" IN (SELECT value FROM json_each(?)) AND "isDeleted" = 0`,
  byClientMsgId: `SELECT ${columnList(MESSAGE_COLUMNS)} FROM "Message"
    WHERE "roomId" = ? AND "senderId" = ? AND "clientMsgId" = ?`,
  roomState: `SELECT "lastSeq", "accessVersion" FROM "Room" WHERE "id" = ?`,
  insertMessage: `INSERT INTO "Message" ("id", "roomId", "senderId", "seq", "content", "clientMsgId", "replyToId",
    "forwardedFromId", "isForwarded", "isEdited", "isDeleted", "createdAt", "updatedAt")
    VALUES (@id, @room, @sender, @seq, @content, @clientMsgId, @replyTo, @forwardedFrom, @forwarded, 0, 0, @now, @now)`,
  insertAttachment: `INSERT INTO "Attachment" ("id", "messageId", "position", "url", "mediaType", "mimeType", "size", "caption", "metadata")
    VALUES (@id, @message, @position, @url, @mediaType, @mimeType, @size, @caption, @metadata)`,
  // After the insert: lastMessageId references the new row.
  advanceRoom: `UPDATE "Room" SET "lastSeq" = @seq, "lastMessageId" = @message, "lastActivityAt" = @now, "updatedAt" = @now
    WHERE "id" = @room`,
  notifyReply: `INSERT INTO "Notification" ("id", "userId", "roomId", "messageId", "type", "createdAt")
    SELECT @id, m."senderId", @room, @message, 'REPLY', @now FROM "Message" m
    WHERE m."id" = @replyTo AND m."senderId" <> @sender
      AND EXISTS (SELECT 1 FROM "RoomMember" WHERE "roomId" = @room AND "userId" = m."senderId")`,
} as const;

type Statements = { [K in keyof typeof SQL]: Statement };

/** Thrown inside a send's savepoint to roll it back and report why. */
class Refused extends Error {
  constructor(readonly outcome: SendOutcome) {
    super(outcome.kind);
  }
}

function classify(error: unknown): SendOutcome {
  if (error instanceof Refused) return error.outcome;
  const code = (error as { code?: unknown } | null)?.code;
  // The only unique key a new message can hit is (roomId, senderId, clientMsgId).
  if (code === "SQLITE_CONSTRAINT_UNIQUE") return { kind: "duplicate" };
  // The sender, or the message replied to or forwarded, was deleted meanwhile.
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") return { kind: "missing" };
  return { kind: "failed", error };
}

export function createSqliteHotPath(connection: SqliteConnection, onStatement?: StatementListener): HotPathStatements {
  // Statements belong to one connection; Prisma opens a new one after a disconnect.
  const prepared = new WeakMap<Database, Statements>();
  const statements = (): Statements => {
    const database = connection.database();
    let cached = prepared.get(database);
    if (!cached) {
      cached = Object.fromEntries(
        Object.entries(SQL).map(([name, sql]) => [name, database.prepare(sql).safeIntegers(false)]),
      ) as Statements;
      prepared.set(database, cached);
    }
    return cached;
  };
  const timed = <T>(name: keyof typeof SQL, run: (statement: Statement) => T): T => {
    const statement = statements()[name];
    if (!onStatement) return run(statement);
    const started = performance.now();
    try {
      return run(statement);
    } finally {
      onStatement(SQL[name], performance.now() - started);
    }
  };

  const storeOne = (send: PendingSend): SendOutcome => {
    const now = sqliteTime(send.createdAt);
    // One writer: nothing changes the room between this read and the update below.
    const room = timed("roomState", (s) => s.get(send.roomId)) as { lastSeq: number; accessVersion: number } | undefined;
    if (!room) throw new Refused({ kind: "missing" });
    if (send.accessVersion !== null && room.accessVersion !== send.accessVersion) throw new Refused({ kind: "stale" });
    const seq = room.lastSeq + 1;
    timed("insertMessage", (s) =>
      s.run({
        id: send.id,
        room: send.roomId,
        sender: send.senderId,
        seq,
        content: send.content,
        clientMsgId: send.clientMsgId,
        replyTo: send.replyToId,
        forwardedFrom: send.forwardedFromId,
        forwarded: send.forwardedFromId === null ? 0 : 1,
        now,
      }),
    );
    send.attachments.forEach((attachment, position) =>
      timed("insertAttachment", (s) =>
        s.run({ ...attachment, message: send.id, position, metadata: JSON.stringify(attachment.metadata) }),
      ),
    );
    timed("advanceRoom", (s) => s.run({ seq, message: send.id, now, room: send.roomId }));
    if (send.notifyReply && send.replyToId) {
      const id = globalThis.crypto.randomUUID();
      timed("notifyReply", (s) =>
        s.run({ id, room: send.roomId, message: send.id, now, replyTo: send.replyToId, sender: send.senderId }),
      );
    }
    return { kind: "stored", ...storedMessage(send, seq) };
  };

  // better-sqlite3's transaction() builds its wrapper anew each call (~40 µs): once per connection.
  const batches = new WeakMap<Database, (sends: readonly PendingSend[]) => SendOutcome[]>();
  const batchOf = (database: Database) => {
    let batch = batches.get(database);
    if (!batch) {
      // Each send in its own savepoint: a failure rolls back that send only.
      const one = database.transaction(storeOne);
      const tryOne = (send: PendingSend): SendOutcome => {
        try {
          return one(send);
        } catch (error) {
          return classify(error);
        }
      };
      batch = database.transaction((sends: readonly PendingSend[]) => sends.map(tryOne));
      batches.set(database, batch);
    }
    return batch;
  };

  const storeBatch = (sends: readonly PendingSend[]): SendOutcome[] => {
    const database = connection.database();
    // Inside someone else's transaction our rows would share its fate; the lock rules it out.
    if (database.inTransaction) throw new Error("hot path: the connection is inside a transaction");
    return batchOf(database)(sends);
  };

  const insertMessages = (sends: readonly PendingSend[]) => connection.lock.run(() => storeBatch(sends));

  return {
    async room(roomId) {
      const row = timed("room", (s) => s.get(roomId)) as Record<string, unknown> | undefined;
      return row ? roomFromRow(row, READ) : null;
    },
    async memberAccess(roomId, userId) {
      return groupAccess(timed("memberAccess", (s) => s.all({ room: roomId, user: userId })) as Array<{ kind: string; value: string }>);
    },
    async liveMessages(ids) {
      if (ids.length === 0) return [];
      return timed("liveMessages", (s) => s.all(JSON.stringify(ids))) as Array<{ id: string; roomId: string; senderId: string }>;
    },
    async messageByClientMsgId(roomId, senderId, clientMsgId): Promise<Message | null> {
      const row = timed("byClientMsgId", (s) => s.get(roomId, senderId, clientMsgId)) as Record<string, unknown> | undefined;
      return row ? messageFromRow(row, READ) : null;
    },
    insertMessages,
    storeMessage: groupCommit(insertMessages),
  };
}

