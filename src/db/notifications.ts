// The viewer's notifications: rows stored for what was addressed to them alone (a reply to their
// message, a reaction to it), and new-message notifications derived from each membership's
// delivery position: every message by others after RoomMember.deliveredSeq that the member has
// not acknowledged. A send therefore writes no row per member, whatever the room's size.
import { Prisma, type NotificationType } from "../generated/sqlite/client.js";
import type { Db } from "./client.js";

export interface NotificationRow {
  /** The stored row's id; for a derived new-message notification, the message's id. */
  id: string;
  type: NotificationType;
  roomId: string;
  messageId: string;
  createdAt: Date;
}

export interface NotificationPageOptions {
  /** Rows to return (a page and one more to tell whether another page follows). */
  take: number;
  /** Rows strictly after this (createdAt, id) in newest-first order. */
  after: { at: Date; id: string } | null;
  /** Include derived new-message notifications (ENABLE_NOTIFICATIONS). */
  newMessages: boolean;
}

/** Newest first by (createdAt, id); only messages that are not deleted, in rooms the user is in. */
export async function notificationsPage(db: Db, userId: string, options: NotificationPageOptions): Promise<NotificationRow[]> {
  const derived = options.newMessages
    ? Prisma.sql`UNION ALL
      SELECT m."id", 'NEW_MESSAGE', m."roomId", m."id", m."createdAt"
      FROM "RoomMember" rm
      JOIN "Message" m ON m."roomId" = rm."roomId" AND m."seq" > rm."deliveredSeq"
      WHERE rm."userId" = ${userId} AND m."senderId" <> ${userId} AND m."isDeleted" = false
        AND NOT EXISTS (SELECT 1 FROM "DeliveryAck" d WHERE d."messageId" = m."id" AND d."userId" = ${userId})
        AND NOT EXISTS (SELECT 1 FROM "Notification" s WHERE s."messageId" = m."id" AND s."userId" = ${userId})`
    : Prisma.empty;
  const after = options.after
    ? Prisma.sql`WHERE "createdAt" < ${options.after.at} OR ("createdAt" = ${options.after.at} AND "id" < ${options.after.id})`
    : Prisma.empty;
  const rows = await db.$queryRaw<Array<Omit<NotificationRow, "createdAt"> & { createdAt: Date | string }>>`
    SELECT "id", "type", "roomId", "messageId", "createdAt" FROM (
      SELECT n."id" AS "id", CAST(n."type" AS TEXT) AS "type", n."roomId" AS "roomId", n."messageId" AS "messageId",
        n."createdAt" AS "createdAt"
      FROM "Notification" n
      JOIN "Message" m ON m."id" = n."messageId"
      JOIN "RoomMember" rm ON rm."roomId" = n."roomId" AND rm."userId" = n."userId"
      WHERE n."userId" = ${userId} AND m."isDeleted" = false
      ${derived}
    ) AS pending
    ${after}
    ORDER BY "createdAt" DESC, "id" DESC
    LIMIT ${options.take}`;
  // A compound SELECT can lose SQLite's declared column type: dates may come back as text.
  return rows.map((row) => ({ ...row, createdAt: row.createdAt instanceof Date ? row.createdAt : new Date(row.createdAt) }));
}

/** Moves the member's delivery position past every message by others that is now acknowledged
 * (or deleted) without a gap, so derived notifications never rescan them. Run after new acks. */
export function advanceDeliveredSeq(tx: Prisma.TransactionClient, roomId: string, userId: string) {
  return tx.$executeRaw`
    UPDATE "RoomMember" SET "deliveredSeq" = COALESCE(
      (SELECT m."seq" - 1 FROM "Message" m
        WHERE m."roomId" = ${roomId} AND m."seq" > "RoomMember"."deliveredSeq" AND m."senderId" <> ${userId}
          AND m."isDeleted" = false
          AND NOT EXISTS (SELECT 1 FROM "DeliveryAck" d WHERE d."messageId" = m."id" AND d."userId" = ${userId})
        ORDER BY m."seq" LIMIT 1),
      (SELECT r."lastSeq" FROM "Room" r WHERE r."id" = ${roomId}))
    WHERE "roomId" = ${roomId} AND "userId" = ${userId}`;
}
