// Per-request batch loaders: a page of messages asks for its senders, attachments and reactions
// in one query each instead of one per message. Built fresh for every operation.
import DataLoader from "dataloader";
import type { Attachment, Message, Reaction, Room, User } from "../generated/sqlite/client.js";
import type { Db } from "./client.js";

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): Array<V | null> {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

function groupByKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

export function createLoaders(db: Db) {
  const user = new DataLoader<string, User | null>(async (ids) =>
    byKey(ids, await db.user.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id),
  );
  const room = new DataLoader<string, Room | null>(async (ids) =>
    byKey(ids, await db.room.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id),
  );
  /** Messages by id, deleted ones included (callers decide what a deleted message shows). */
  const message = new DataLoader<string, Message | null>(async (ids) =>
    byKey(ids, await db.message.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id),
  );
  const attachments = new DataLoader<string, Attachment[]>(async (messageIds) =>
    groupByKey(
      messageIds,
      await db.attachment.findMany({ where: { messageId: { in: [...messageIds] } }, orderBy: { position: "asc" } }),
      (row) => row.messageId,
    ),
  );
  const reactions = new DataLoader<string, Reaction[]>(async (messageIds) =>
    groupByKey(
      messageIds,
      await db.reaction.findMany({ where: { messageId: { in: [...messageIds] } }, orderBy: { createdAt: "asc" } }),
      (row) => row.messageId,
    ),
  );
  return {
    user,
    /** Users in the order of `ids`, leaving out unknown ones. */
    users: async (ids: readonly string[]): Promise<User[]> =>
      (await user.loadMany(ids)).filter((row): row is User => row !== null && !(row instanceof Error)),
    room,
    message,
    attachments,
    reactions,
    /** Forgets every row loaded so far: after a write, what follows reads the rows again. */
    clearAll(): void {
      for (const loader of [user, room, message, attachments, reactions]) loader.clearAll();
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** A message with everything its fields show, known without a read (just stored, or loaded once
 * for every subscriber of an event). */
export type LoadedMessage = Message & { attachments: Attachment[]; reactions: Reaction[]; sender: User; room: Room };
