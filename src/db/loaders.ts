// Per-request batch loaders: a page of messages asks for its senders, attachments and reactions
// in one query each instead of one per message. Built fresh for every operation.
//
// Every loader's batch is bounded: Prisma refuses a statement with more bind parameters than the
// database takes (P2029: 999 on SQLite, 32,767 on PostgreSQL), and a page may ask for more keys
// than that (4 rooms of 100 members, each member's role, was one statement of 1,200). Lookups by
// a composite key go through these loaders too, not through findUnique: Prisma merges the
// findUniques of one tick into one statement of its own, whatever their number.
import DataLoader from "dataloader";
import type { Attachment, Message, Reaction, Room, RoomMember, User } from "../generated/sqlite/client.js";
import type { Db } from "./client.js";
import type { MemberAccess } from "./sql/hot-path.js";

/** Most keys in one query. A key costs at most two parameters (a room or message, and a user),
 * so a batch stays within SQLite's 999 with room to spare; results are the same at any size. */
export const MAX_BATCH_KEYS = 250;

/** A loader whose batches hold at most MAX_BATCH_KEYS keys. */
function boundedLoader<K, V, C = K>(load: DataLoader.BatchLoadFn<K, V>, options: DataLoader.Options<K, V, C> = {}) {
  return new DataLoader<K, V, C>(load, { maxBatchSize: MAX_BATCH_KEYS, ...options });
}

/** A user in a room. */
export interface MemberKey {
  roomId: string;
  userId: string;
}

/** A message read by a user. */
export interface ReceiptKey {
  messageId: string;
  userId: string;
}

const memberKey = ({ roomId, userId }: MemberKey) => JSON.stringify([roomId, userId]);
const receiptKey = ({ messageId, userId }: ReceiptKey) => JSON.stringify([messageId, userId]);

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): Array<V | null> {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

function groupByKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

/** A condition matching keys that are equal but for `F`, whose values it lists. */
type InCondition<K, F extends keyof K> = Omit<K, F> & Record<F, { in: Array<K[F]> }>;

/** Composite keys as few conditions: keys equal but for `field` share one `field in (...)`, so a
 * batch of one room's members is one condition however many members it has. */
function conditionsIn<K extends object, F extends keyof K & string>(keys: readonly K[], field: F): Array<InCondition<K, F>> {
  const groups = new Map<string, InCondition<K, F>>();
  for (const key of keys) {
    const { [field]: value, ...rest } = key;
    const id = JSON.stringify(rest);
    let condition = groups.get(id);
    if (!condition) groups.set(id, (condition = { ...rest, [field]: { in: [] } } as InCondition<K, F>));
    condition[field].in.push(value as K[F]);
  }
  return [...groups.values()];
}

/** Whether a row exists for each key: one query per batch, its keys grouped by conditionsIn. */
function existenceLoader<K extends object, F extends keyof K & string>(
  field: F,
  keyOf: (key: K) => string,
  rowsFor: (conditions: Array<InCondition<K, F>>) => Promise<K[]>,
) {
  return boundedLoader<K, boolean>(
    async (keys) => {
      const found = new Set((await rowsFor(conditionsIn(keys, field))).map(keyOf));
      return keys.map((key) => found.has(keyOf(key)));
    },
    { cache: false },
  );
}

export function createLoaders(db: Db) {
  const user = boundedLoader<string, User | null>(async (ids) =>
    byKey(ids, await db.user.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id),
  );
  const room = boundedLoader<string, Room | null>(async (ids) =>
    byKey(ids, await db.room.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id),
  );
  /** Messages by id, deleted ones included (callers decide what a deleted message shows). */
  const message = boundedLoader<string, Message | null>(async (ids) =>
    byKey(ids, await db.message.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id),
  );
  const attachments = boundedLoader<string, Attachment[]>(async (messageIds) =>
    groupByKey(
      messageIds,
      await db.attachment.findMany({ where: { messageId: { in: [...messageIds] } }, orderBy: { position: "asc" } }),
      (row) => row.messageId,
    ),
  );
  const reactions = boundedLoader<string, Reaction[]>(async (messageIds) =>
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
    // Memberships and receipts batch but do not cache: a mutation may change them earlier
    // in the same operation, and each read must see the state as it is, as a findUnique did.
    /** The membership of a user in a room, or null. */
    member: boundedLoader<MemberKey, RoomMember | null>(
      async (keys) =>
        byKey(
          keys.map(memberKey),
          await db.roomMember.findMany({ where: { OR: conditionsIn(keys, "userId") } }),
          memberKey,
        ),
      { cache: false },
    ),
    /** Whether a user marked a message read. */
    hasRead: existenceLoader<ReceiptKey, "messageId">("messageId", receiptKey, (OR) =>
      db.readReceipt.findMany({ where: { OR }, select: { messageId: true, userId: true } }),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * Members' access (membership, roles, grants) asked for in one tick, read together: a page of 100
 * members' roles is three queries, not 100 statements. A lone key, what a permission check asks,
 * still goes to `one` (the hot path's prepared statement). Not cached: the caller's
 * MemberAccessCache decides how long an answer holds.
 */
export function memberAccessLoader(db: Db, one: (key: MemberKey) => Promise<MemberAccess>) {
  return boundedLoader<MemberKey, MemberAccess>(
    async (keys) => {
      if (keys.length === 1) return [await one(keys[0]!)];
      const OR = conditionsIn(keys, "userId");
      const [members, roles, grants] = await Promise.all([
        db.roomMember.findMany({ where: { OR }, select: { roomId: true, userId: true } }),
        db.roomRole.findMany({ where: { OR }, select: { roomId: true, userId: true, role: true } }),
        db.roomGrant.findMany({ where: { OR }, select: { roomId: true, userId: true, permission: true } }),
      ]);
      const access = new Map<string, MemberAccess>(keys.map((key) => [memberKey(key), { member: false, roles: [], grants: [] }]));
      const of = (key: MemberKey) => access.get(memberKey(key))!;
      for (const row of members) of(row).member = true;
      for (const row of roles) of(row).roles.push(row.role);
      for (const row of grants) of(row).grants.push(row.permission);
      return keys.map(of);
    },
    { cache: false },
  );
}

/** A message with everything its fields show, known without a read (just stored, or loaded once
 * for every subscriber of an event). */
export type LoadedMessage = Message & { attachments: Attachment[]; reactions: Reaction[]; sender: User; room: Room };
