// Data functions for messages: send, edit, delete, reactions, read receipts and delivery. Each runs
// in one transaction and returns what a realtime layer would publish (room, seq, message ids).
// Inputs are already checked by the caller; these functions only enforce what needs the rows.
import { randomUUID } from "node:crypto";
import type { Attachment, Message, Prisma } from "../generated/sqlite/client.js";
import { BadUserInputError, isRecordMissing, NotFoundError } from "../errors.js";
import type { Database, Db } from "./client.js";
import { advanceDeliveredSeq } from "./notifications.js";
import type { NewAttachment } from "./sql/hot-path.js";
import { timeOrderedUuid } from "./sql/time-ordered-id.js";
import { retryOnUniqueViolation, TRANSACTION_OPTIONS } from "./transactions.js";

type Tx = Prisma.TransactionClient;

export type { NewAttachment };

export interface NewMessage {
  roomId: string;
  senderId: string;
  /** Sanitised; ignored for forwards, which copy the source's. */
  content: string;
  clientMsgId: string | null;
  replyToId: string | null;
  /** Copy content and attachments of this message (the caller checked the sender may read it). */
  forwardFromId: string | null;
  attachments: NewAttachment[];
  /** Notify the author of the message replied to (new-message notifications need no row). */
  notify: boolean;
  /** The room's accessVersion the send permission was decided on (null: do not compare). */
  accessVersion: number | null;
}

export interface SentMessage {
  roomId: string;
  seq: number;
  message: Message;
  /** The stored attachments; null when the message was not created now (a known clientMsgId). */
  attachments: Attachment[] | null;
  /** False when a retry with a known clientMsgId returned the earlier message. */
  created: boolean;
}

/** The room's permissions changed after the send was allowed: decide again, then retry. */
export class StaleAccessError extends Error {
  override name = "StaleAccessError";
}

/** Messages changed in one room. */
export interface RoomMessages {
  roomId: string;
  messageIds: string[];
}

interface ForwardSource {
  id: string;
  content: string;
  attachments: NewAttachment[];
}

/** One message's reactions changed (or not, for a no-op). */
export interface ReactionChange {
  roomId: string;
  messageId: string;
  changed: boolean;
  /** The notification a new reaction created for the message's sender, if any. */
  notification?: { id: string; userId: string; createdAt: Date } | null;
}

const earlierSend = (message: Message): SentMessage => ({
  roomId: message.roomId,
  seq: message.seq,
  message,
  attachments: null,
  created: false,
});

/** Stores a message with the room's next seq, in a transaction shared with concurrent sends. A
 * known clientMsgId returns the earlier message, also when identical retries race: the unique
 * index refuses the second insert (rolling back its seq), which is then told the first one. Not
 * looked up before, so a first send costs no extra read. */
export async function sendMessage({ db, hotPath }: Database, input: NewMessage): Promise<SentMessage> {
  const byClientMsgId = () => hotPath.messageByClientMsgId(input.roomId, input.senderId, input.clientMsgId!);
  const source = input.forwardFromId ? await forwardSource(db, input.forwardFromId) : null;
  const createdAt = new Date();
  const outcome = await hotPath.storeMessage({
    id: timeOrderedUuid(),
    roomId: input.roomId,
    senderId: input.senderId,
    content: source ? source.content : input.content,
    clientMsgId: input.clientMsgId,
    replyToId: input.replyToId,
    forwardedFromId: source?.id ?? null,
    attachments: (source ? source.attachments : input.attachments).map((attachment) => ({ ...attachment, id: randomUUID() })),
    createdAt,
    accessVersion: input.accessVersion,
    notifyReply: input.notify,
  });
  switch (outcome.kind) {
    case "stored":
      return { roomId: input.roomId, seq: outcome.message.seq, ...outcome, created: true };
    case "duplicate": {
      const winner = input.clientMsgId ? await byClientMsgId() : null;
      if (!winner) throw new Error("a send was refused as a duplicate without a clientMsgId winner");
      return earlierSend(winner);
    }
    case "stale":
      throw new StaleAccessError();
    // The room, or the message replied to or forwarded, was deleted after the permission check.
    case "missing":
      throw new NotFoundError();
    case "failed":
      throw outcome.error;
  }
}

/** The message to forward with its attachments, as they are now. */
async function forwardSource(db: Db, id: string): Promise<ForwardSource> {
  const source = await db.message.findFirst({
    where: { id, isDeleted: false },
    include: { attachments: { orderBy: { position: "asc" } } },
  });
  if (!source) throw new NotFoundError("The message to forward does not exist.");
  return {
    id: source.id,
    content: source.content,
    attachments: source.attachments.map(({ url, mediaType, mimeType, size, caption, metadata }) => ({
      url,
      mediaType,
      mimeType,
      size,
      caption,
      metadata: metadata as Prisma.InputJsonObject,
    })),
  };
}

/** Replaces a message's content. `blank` content is allowed only on messages with attachments;
 * forwards are refused, since their content is a copy the sender did not write. */
export function editMessage(db: Db, messageId: string, content: string, blank: boolean): Promise<Message> {
  return db.$transaction(async (tx) => {
    const message = await tx.message.findFirst({
      where: { id: messageId, isDeleted: false },
      select: { isForwarded: true, _count: { select: { attachments: true } } },
    });
    if (!message) throw new NotFoundError();
    if (message.isForwarded) throw new BadUserInputError("Forwarded messages cannot be edited.", "messageId");
    if (blank && message._count.attachments === 0) {
      throw new BadUserInputError("content must not be empty.", "content");
    }
    try {
      return await tx.message.update({
        where: { id: messageId, isDeleted: false },
        data: { content, isEdited: true, editedAt: new Date() },
      });
    } catch (error) {
      if (isRecordMissing(error)) throw new NotFoundError();
      throw error;
    }
  }, TRANSACTION_OPTIONS);
}

/** Deletes messages of one room (flags them when `soft`) with their notifications, and points the
 * room's last message at the newest one left. */
export function deleteMessages(db: Db, roomId: string, messageIds: string[], soft: boolean) {
  return db.$transaction(async (tx): Promise<RoomMessages> => {
    // Lock the room before the messages, in the order sends do: a hard delete of the room's last
    // message updates the room too, and a reply being sent to it holds the room while it waits.
    await tx.room.update({ where: { id: roomId }, data: { lastSeq: { increment: 0 } }, select: { id: true } });
    const where = { id: { in: messageIds }, roomId };
    await tx.notification.deleteMany({ where: { messageId: { in: messageIds } } });
    if (soft) {
      await tx.message.updateMany({
        where: { ...where, isDeleted: false },
        data: { isDeleted: true, deletedAt: new Date() },
      });
    } else {
      // Replies and forwards of these keep existing with a null link (onDelete: SetNull).
      await tx.message.deleteMany({ where });
    }
    const newest = await tx.message.findFirst({
      where: { roomId, isDeleted: false },
      orderBy: { seq: "desc" },
      select: { id: true },
    });
    // Only when the pointer was one of ours (hard deletes already nulled it): a send that
    // committed meanwhile has set its own message, which must stay.
    await tx.room.updateMany({
      where: { id: roomId, OR: [{ lastMessageId: null }, { lastMessageId: { in: messageIds } }] },
      data: { lastMessageId: newest?.id ?? null },
    });
    return { roomId, messageIds };
  }, TRANSACTION_OPTIONS);
}

/** Sets the user's one reaction: a different one replaces it, the same one changes nothing. The
 * message's sender is notified of a new reaction by someone else when `notifyOn` is true. */
export function react(
  db: Db,
  messageId: string,
  userId: string,
  content: string,
  notifyOn: boolean,
): Promise<ReactionChange> {
  return retryOnUniqueViolation(() =>
    db.$transaction(async (tx) => {
      const message = await tx.message.findFirst({ where: { id: messageId, isDeleted: false } });
      if (!message) throw new NotFoundError();
      const key = { messageId_userId: { messageId, userId } };
      const existing = await tx.reaction.findUnique({ where: key });
      const result = { roomId: message.roomId, messageId, changed: existing?.content !== content };
      if (existing) {
        if (result.changed) await tx.reaction.update({ where: key, data: { content, createdAt: new Date() } });
        return result;
      }
      const now = new Date();
      await tx.reaction.create({ data: { messageId, userId, content, createdAt: now } });
      // Only the sender hears of it, and not of their own reaction.
      if (!notifyOn || message.senderId === userId) return result;
      const notification = await tx.notification.create({
        data: { userId: message.senderId, roomId: message.roomId, messageId, type: "REACTION", createdAt: now },
        select: { id: true, userId: true, createdAt: true },
      });
      return { ...result, notification };
    }, TRANSACTION_OPTIONS),
  );
}

/** Removes the user's reaction; none is a no-op. */
export async function removeReaction(db: Db, messageId: string, userId: string): Promise<ReactionChange> {
  return db.$transaction(async (tx) => {
    const message = await tx.message.findUnique({ where: { id: messageId }, select: { roomId: true } });
    if (!message) throw new NotFoundError();
    const { count } = await tx.reaction.deleteMany({ where: { messageId, userId } });
    return { roomId: message.roomId, messageId, changed: count > 0 };
  }, TRANSACTION_OPTIONS);
}

/** The listed messages that others sent, grouped by room. */
async function othersMessages(tx: Tx, userId: string, messageIds: string[]) {
  const rows = await tx.message.findMany({
    where: { id: { in: messageIds }, isDeleted: false, senderId: { not: userId } },
    select: { id: true, roomId: true, seq: true },
  });
  const rooms = new Map<string, { roomId: string; messageIds: string[]; maxSeq: number }>();
  for (const row of rows) {
    const room = rooms.get(row.roomId) ?? { roomId: row.roomId, messageIds: [], maxSeq: 0 };
    room.messageIds.push(row.id);
    room.maxSeq = Math.max(room.maxSeq, row.seq);
    rooms.set(row.roomId, room);
  }
  return [...rooms.values()];
}

const rowsOf = (messageIds: string[], userId: string) => messageIds.map((messageId) => ({ messageId, userId }));

/** Ids among `messageIds` that have no row for the user yet in a receipt-like table. */
function missing(messageIds: string[], existing: Array<{ messageId: string }>): string[] {
  const have = new Set(existing.map((row) => row.messageId));
  return messageIds.filter((id) => !have.has(id));
}

/** Read receipts for others' messages (idempotent), and the reader's lastReadSeq raised to the
 * highest seq read in each room. Returns the newly read messages per room. */
export function markRead(db: Db, userId: string, messageIds: string[]): Promise<RoomMessages[]> {
  return retryOnUniqueViolation(() =>
    db.$transaction(async (tx) => {
      const rooms = await othersMessages(tx, userId, messageIds);
      const read: RoomMessages[] = [];
      for (const room of rooms) {
        const existing = await tx.readReceipt.findMany({
          where: { userId, messageId: { in: room.messageIds } },
          select: { messageId: true },
        });
        const fresh = missing(room.messageIds, existing);
        if (fresh.length) await tx.readReceipt.createMany({ data: rowsOf(fresh, userId) });
        // Never lowers it: reading an old message does not make newer ones unread.
        await tx.roomMember.updateMany({
          where: { roomId: room.roomId, userId, lastReadSeq: { lt: room.maxSeq } },
          data: { lastReadSeq: room.maxSeq },
        });
        if (fresh.length) read.push({ roomId: room.roomId, messageIds: fresh });
      }
      return read;
    }, TRANSACTION_OPTIONS),
  );
}

/** Delivery acknowledgements for others' messages (idempotent): their derived new-message
 * notifications end, the user's stored notifications of all listed messages (reactions to their
 * own included) are removed, and the delivery position moves on. Returns the new acks per room. */
export function acknowledgeDelivery(db: Db, userId: string, messageIds: string[]): Promise<RoomMessages[]> {
  return retryOnUniqueViolation(() =>
    db.$transaction(async (tx) => {
      await tx.notification.deleteMany({ where: { userId, messageId: { in: messageIds } } });
      const delivered: RoomMessages[] = [];
      for (const room of await othersMessages(tx, userId, messageIds)) {
        const existing = await tx.deliveryAck.findMany({
          where: { userId, messageId: { in: room.messageIds } },
          select: { messageId: true },
        });
        const fresh = missing(room.messageIds, existing);
        if (fresh.length) {
          await tx.deliveryAck.createMany({ data: rowsOf(fresh, userId) });
          await advanceDeliveredSeq(tx, room.roomId, userId);
          delivered.push({ roomId: room.roomId, messageIds: fresh });
        }
      }
      return delivered;
    }, TRANSACTION_OPTIONS),
  );
}
