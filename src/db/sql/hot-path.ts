// The hot path: the few statements every send and every permission check runs, as prepared SQL
// through the same driver connection Prisma uses (a Prisma query costs 0.5-1 ms of CPU, a
// prepared statement a few µs on SQLite). Prisma keeps the schema, the migrations and every
// other query. One implementation per provider (sqlite-hot-path.ts, postgres-hot-path.ts); both
// return rows shaped exactly as Prisma would, so callers cannot tell them apart.
import type { Attachment, Message, Prisma, Room, RoomPermission } from "../../generated/sqlite/client.js";

/** A user's standing in one room, as the permission helpers need it. */
export interface MemberAccess {
  member: boolean;
  /** Role relations held ("admins", "moderators", or an application's own). */
  roles: string[];
  grants: RoomPermission[];
}

/** Who sent a (not deleted) message, and where. */
export interface MessageOwner {
  id: string;
  roomId: string;
  senderId: string;
}

export interface NewAttachment {
  url: string;
  mediaType: Attachment["mediaType"];
  mimeType: string;
  size: number;
  caption: string | null;
  metadata: Prisma.InputJsonObject;
}

/** One message to store, every field decided by the caller (ids and time included). */
export interface PendingSend {
  id: string;
  roomId: string;
  senderId: string;
  content: string;
  clientMsgId: string | null;
  replyToId: string | null;
  forwardedFromId: string | null;
  /** In order; each with its id decided by the caller. */
  attachments: Array<NewAttachment & { id: string }>;
  createdAt: Date;
  /** The room's accessVersion the permission was decided on: the insert is refused ("stale")
   * when it changed since. Null skips the comparison. */
  accessVersion: number | null;
  /** Store a REPLY notification for the author of the replied-to message (when a member). */
  notifyReply: boolean;
}

export type SendOutcome =
  /** Committed: the row as Prisma would return it, and the room's lastSeq after it. */
  | { kind: "stored"; message: Message; attachments: Attachment[] }
  /** The clientMsgId was used before by this sender in this room; nothing was written. */
  | { kind: "duplicate" }
  /** The room's accessVersion moved on: decide the permission again. */
  | { kind: "stale" }
  /** The room, or the message replied to, is gone. */
  | { kind: "missing" }
  /** Anything else; nothing of this send was written. */
  | { kind: "failed"; error: unknown };

/** The statements one provider implements. */
export interface HotPathStatements {
  /** The room row, fresh. */
  room(roomId: string): Promise<Room | null>;
  memberAccess(roomId: string, userId: string): Promise<MemberAccess>;
  /** The listed messages that are not deleted (missing ones are left out). */
  liveMessages(ids: readonly string[]): Promise<MessageOwner[]>;
  messageByClientMsgId(roomId: string, senderId: string, clientMsgId: string): Promise<Message | null>;
  /** Stores the sends in one transaction, each all or nothing: one failing never fails another.
   * Outcomes are in the order of `sends`; all are answered after the commit. */
  insertMessages(sends: readonly PendingSend[]): Promise<SendOutcome[]>;
  /** Stores one send, in a transaction shared with the sends around it (group-commit.ts). */
  storeMessage(send: PendingSend): Promise<SendOutcome>;
}

/** The statements with the rooms this instance last saw (room-snapshots.ts). */
export interface HotPath extends HotPathStatements {
  /** For deciding a send only: the room as this instance last saw it, else fresh. The send's
   * insert compares its accessVersion. */
  roomForSend(roomId: string): Promise<Room | null>;
}

/** Called after every statement (query logging, and tests that count statements). */
export type StatementListener = (sql: string, durationMs: number) => void;

export const ROOM_COLUMNS = [
  "id", "kind", "pairKey", "name", "description", "avatarUrl", "creatorId", "locked", "joinApprovalRequired",
  "isPublic", "maxMembers", "preferences", "lastSeq", "accessVersion", "lastMessageId", "lastActivityAt",
  "createdAt", "updatedAt",
] as const;

export const MESSAGE_COLUMNS = [
  "id", "roomId", "senderId", "seq", "content", "clientMsgId", "replyToId", "forwardedFromId", "isForwarded",
  "isEdited", "editedAt", "isDeleted", "deletedAt", "createdAt", "updatedAt",
] as const;

export const columnList = (columns: readonly string[]) => columns.map((column) => `"${column}"`).join(", ");

/** How a provider returns booleans, dates and JSON; the rest of a row is already right. */
export interface ValueReaders {
  bool(value: unknown): boolean;
  date(value: unknown): Date;
  json(value: unknown): Prisma.JsonValue;
}

const nullable = <T>(value: unknown, read: (value: unknown) => T): T | null => (value === null ? null : read(value));

export function roomFromRow(row: Record<string, unknown>, read: ValueReaders): Room {
  return {
    ...(row as unknown as Room),
    locked: read.bool(row.locked),
    joinApprovalRequired: read.bool(row.joinApprovalRequired),
    isPublic: read.bool(row.isPublic),
    preferences: read.json(row.preferences),
    lastActivityAt: read.date(row.lastActivityAt),
    createdAt: read.date(row.createdAt),
    updatedAt: read.date(row.updatedAt),
  };
}

export function messageFromRow(row: Record<string, unknown>, read: ValueReaders): Message {
  return {
    ...(row as unknown as Message),
    isForwarded: read.bool(row.isForwarded),
    isEdited: read.bool(row.isEdited),
    isDeleted: read.bool(row.isDeleted),
    editedAt: nullable(row.editedAt, read.date),
    deletedAt: nullable(row.deletedAt, read.date),
    createdAt: read.date(row.createdAt),
    updatedAt: read.date(row.updatedAt),
  };
}

/** The message a committed send stored, built from what was written (no read back). */
export function storedMessage(send: PendingSend, seq: number): { message: Message; attachments: Attachment[] } {
  const message: Message = {
    id: send.id,
    roomId: send.roomId,
    senderId: send.senderId,
    seq,
    content: send.content,
    clientMsgId: send.clientMsgId,
    replyToId: send.replyToId,
    forwardedFromId: send.forwardedFromId,
    isForwarded: send.forwardedFromId !== null,
    isEdited: false,
    editedAt: null,
    isDeleted: false,
    deletedAt: null,
    createdAt: send.createdAt,
    updatedAt: send.createdAt,
  };
  const attachments = send.attachments.map(
    (attachment, position): Attachment => ({ ...attachment, metadata: attachment.metadata as Prisma.JsonObject, messageId: send.id, position }),
  );
  return { message, attachments };
}

export function groupAccess(rows: Array<{ kind: string; value: string }>): MemberAccess {
  const access: MemberAccess = { member: false, roles: [], grants: [] };
  for (const row of rows) {
    if (row.kind === "member") access.member = true;
    else if (row.kind === "role") access.roles.push(row.value);
    else access.grants.push(row.value as RoomPermission);
  }
  return access;
}
