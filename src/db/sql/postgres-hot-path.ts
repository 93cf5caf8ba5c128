// The hot path on PostgreSQL: named prepared statements on the pg pool that Prisma's adapter
// shares. A send is one statement (the seq bump, the insert, its attachments, the room's last
// message and a reply notification, as data-modifying CTEs), so a batch of sends costs one
// round trip each plus BEGIN and COMMIT.
import type pg from "pg";
import type { Message } from "../../generated/sqlite/client.js";
import {
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

/** Prisma's DateTime columns are timestamp(3) without time zone, holding UTC. */
const pgTime = (date: Date) => date.toISOString().replace("T", " ").replace("Z", "");

/** Columns as text where they are timestamps: pg would parse timestamp(3) (without time zone)
 * as local time, and a per-query type parser costs more than the cast. Read as UTC below. */
const TIMESTAMPS = new Set(["lastActivityAt", "createdAt", "updatedAt", "editedAt", "deletedAt"]);
const selectList = (columns: readonly string[]) =>
  columns.map((column) => (TIMESTAMPS.has(column) ? `"${column}"::text AS "${column}"` : `"${column}"`)).join(", ");

const READ: ValueReaders = {
  bool: (value) => value === true,
  date: (value) => new Date(`${String(value).replace(" ", "T")}Z`),
  json: (value) => value as never,
};

function statements(schema: string) {
  const t = (table: string) => `"${schema.replaceAll('"', '""')}"."${table}"`;
  return {
    room: `SELECT ${selectList(ROOM_COLUMNS)} FROM ${t("Room")} WHERE "id" = $1`,
    memberAccess: `SELECT 'member' AS kind, '' AS value FROM ${t("RoomMember")} WHERE "roomId" = $1 AND "userId" = $2
      UNION ALL SELECT 'role', "role" FROM ${t("RoomRole")} WHERE "roomId" = $1 AND "userId" = $2
      UNION ALL SELECT 'grant', "permission"::text FROM ${t("RoomGrant")} WHERE "roomId" = $1 AND "userId" = $2`,
    liveMessages: `SELECT "id", "roomId", "senderId" FROM ${t("Message")} WHERE "id" = ANY($1::text[]) AND NOT "isDeleted"`,
    byClientMsgId: `SELECT ${selectList(MESSAGE_COLUMNS)} FROM ${t("Message")}
      WHERE "roomId" = $1 AND "senderId" = $2 AND "clientMsgId" = $3`,
    roomExists: `SELECT 1 FROM ${t("Room")} WHERE "id" = $1`,
    // $1 message id, $2 room, $3 sender, $4 content, $5 clientMsgId, $6 replyTo, $7 forwardedFrom,
    // $8 attachments (JSON array), $9 reply notification id (null: none), $10 accessVersion, $11 now.
    send: `WITH bumped AS (
        UPDATE ${t("Room")} SET "lastSeq" = "lastSeq" + 1, "lastMessageId" = $1, "lastActivityAt" = $11::timestamp(3),
          "updatedAt" = $11::timestamp(3)
        WHERE "id" = $2 AND ($10::int IS NULL OR "accessVersion" = $10::int)
        RETURNING "lastSeq"
      ), inserted AS (
        INSERT INTO ${t("Message")} ("id", "roomId", "senderId", "seq", "content", "clientMsgId", "replyToId",
          "forwardedFromId", "isForwarded", "isEdited", "isDeleted", "createdAt", "updatedAt")
        SELECT $1, $2, $3, bumped."lastSeq", $4, $5, $6, $7, $7::text IS NOT NULL, false, false,
          $11::timestamp(3), $11::timestamp(3) FROM bumped
        RETURNING "seq"
      ), attached AS (
        INSERT INTO ${t("Attachment")} ("id", "messageId", "position", "url", "mediaType", "mimeType", "size", "caption", "metadata")
        SELECT a."id", $1, a."position", a."url", a."mediaType"::${t("MediaType")}, a."mimeType", a."size", a."caption", a."metadata"
        FROM inserted, jsonb_to_recordset($8::jsonb) AS a("id" text, "position" int, "url" text, "mediaType" text,
          "mimeType" text, "size" int, "caption" text, "metadata" jsonb)
      ), notified AS (
        INSERT INTO ${t("Notification")} ("id", "userId", "roomId", "messageId", "type", "createdAt")
        SELECT $9, m."senderId", $2, $1, 'REPLY'::${t("NotificationType")}, $11::timestamp(3)
        FROM inserted, ${t("Message")} m
        WHERE $9::text IS NOT NULL AND m."id" = $6 AND m."senderId" <> $3
          AND EXISTS (SELECT 1 FROM ${t("RoomMember")} WHERE "roomId" = $2 AND "userId" = m."senderId")
      )
      SELECT "seq" FROM inserted`,
  };
}

type Sql = ReturnType<typeof statements>;
type Queryable = pg.Pool | pg.PoolClient;

function classify(error: unknown): SendOutcome {
  const code = (error as { code?: unknown } | null)?.code;
  // unique_violation: the only unique key a new message can hit is (roomId, senderId, clientMsgId).
  if (code === "23505") return { kind: "duplicate" };
  // foreign_key_violation: the sender, or the message replied to or forwarded, is gone.
  if (code === "23503") return { kind: "missing" };
  return { kind: "failed", error };
}

export function createPostgresHotPath(pool: pg.Pool, schema: string, onStatement?: StatementListener): HotPathStatements {
  const sql: Sql = statements(schema);
  const query = async <R extends Record<string, unknown>>(on: Queryable, name: keyof Sql, values: unknown[]) => {
    const started = onStatement ? performance.now() : 0;
    try {
      return (await on.query<R>({ name: `rcg_${name}`, text: sql[name], values })).rows;
    } finally {
      onStatement?.(sql[name], performance.now() - started);
    }
  };

  const sendValues = (send: PendingSend) => [
    send.id,
    send.roomId,
    send.senderId,
    send.content,
    send.clientMsgId,
    send.replyToId,
    send.forwardedFromId,
    JSON.stringify(send.attachments.map((attachment, position) => ({ ...attachment, position }))),
    send.notifyReply && send.replyToId ? globalThis.crypto.randomUUID() : null,
    send.accessVersion,
    pgTime(send.createdAt),
  ];

  /** Runs one send's statement; a refusal (no row) is told apart from a missing room. */
  const storeOne = async (on: Queryable, send: PendingSend): Promise<SendOutcome> => {
    const [row] = await query<{ seq: number }>(on, "send", sendValues(send));
    if (row) return { kind: "stored", ...storedMessage(send, row.seq) };
    const exists = await query(on, "roomExists", [send.roomId]);
    return { kind: exists.length > 0 ? "stale" : "missing" };
  };

  /** All in one transaction; when any statement fails, each send runs alone to learn its fate. */
  const storeBatch = async (sends: readonly PendingSend[]): Promise<SendOutcome[]> => {
    if (sends.length === 1) return [await storeOne(pool, sends[0]!).catch(classify)];
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const outcomes: SendOutcome[] = [];
      for (const send of sends) outcomes.push(await storeOne(client, send));
      await client.query("COMMIT");
      return outcomes;
    } catch {
      // A failed ROLLBACK means the connection is unusable: the pool drops it.
      await client.query("ROLLBACK").catch((error: Error) => (broken = error));
    } finally {
      client.release(broken);
    }
    const outcomes: SendOutcome[] = [];
    for (const send of sends) outcomes.push(await storeOne(pool, send).catch(classify));
    return outcomes;
  };

  return {
    async room(roomId) {
      const [row] = await query(pool, "room", [roomId]);
      return row ? roomFromRow(row, READ) : null;
    },
    async memberAccess(roomId, userId) {
      return groupAccess(await query<{ kind: string; value: string }>(pool, "memberAccess", [roomId, userId]));
    },
    async liveMessages(ids) {
      if (ids.length === 0) return [];
      return query<{ id: string; roomId: string; senderId: string }>(pool, "liveMessages", [ids]);
    },
    async messageByClientMsgId(roomId, senderId, clientMsgId): Promise<Message | null> {
      const [row] = await query(pool, "byClientMsgId", [roomId, senderId, clientMsgId]);
      return row ? messageFromRow(row, READ) : null;
    },
    insertMessages: storeBatch,
    storeMessage: groupCommit(storeBatch),
  };
}
