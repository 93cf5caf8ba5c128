// Data functions for memberships, admin/moderator roles and per-member grants. Each runs in one
// transaction that first takes the room's row lock, so changes to one room run one after another:
// member limits hold under concurrent adds, and no role or grant outlives its member. Each returns
// the ids of the users it actually changed, for the realtime layer to publish.
import type { Prisma, Room, RoomPermission } from "../generated/sqlite/client.js";
import { BadUserInputError, ConflictError } from "../errors.js";
import type { Db } from "./client.js";
import { notFoundIfDeleted, requireUsers } from "./rooms.js";
import { retryOnUniqueViolation, TRANSACTION_OPTIONS } from "./transactions.js";

type Tx = Prisma.TransactionClient;

export interface Removal {
  /** Users who were members and no longer are. */
  removed: string[];
  /** The room had no members left and was deleted. */
  roomDeleted: boolean;
}

function transaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(work, TRANSACTION_OPTIONS);
}


/** Locks the room row (PostgreSQL; SQLite runs one transaction at a time) and returns it fresh.
 * Every caller changes who may do what, so this also bumps accessVersion: permissions decided
 * before (cached, or by a send in flight) are stale from this commit on. */
function lockRoom(tx: Tx, roomId: string): Promise<Room> {
  return notFoundIfDeleted(
    tx.room.update({ where: { id: roomId }, data: { updatedAt: new Date(), accessVersion: { increment: 1 } } }),
  );
}

async function membersAmong(tx: Tx, roomId: string, userIds: readonly string[]): Promise<Set<string>> {
  const rows = await tx.roomMember.findMany({
    where: { roomId, userId: { in: [...userIds] } },
    select: { userId: true },
  });
  return new Set(rows.map((row) => row.userId));
}

/** The listed users but the creator, each checked: NOT_FOUND if unknown, BAD_USER_INPUT if not a member. */
async function memberTargets(tx: Tx, room: Room, userIds: readonly string[]): Promise<string[]> {
  const targets = userIds.filter((id) => id !== room.creatorId);
  await requireUsers(tx, targets);
  const members = await membersAmong(tx, room.id, targets);
  const outsider = targets.find((id) => !members.has(id));
  if (outsider !== undefined) {
    throw new BadUserInputError(`User "${outsider}" is not a member of this room.`, "userIds");
  }
  return targets;
}

function limitMessage(room: Room): string {
  return room.kind === "GROUP"
    ? "Maximum number of group participants exceeded"
    : "Maximum number of channel subscribers exceeded";
}

/** Adds the users who are not members yet; all or none, within Room.maxMembers (else CONFLICT). */
export async function addMembers(db: Db, roomId: string, userIds: readonly string[]): Promise<string[]> {
  return retryOnUniqueViolation(() =>
    transaction(db, async (tx) => {
      await requireUsers(tx, userIds);
      // All members already: leave the room untouched (no lock, no new updatedAt).
      if ((await membersAmong(tx, roomId, userIds)).size === userIds.length) return [];
      const room = await lockRoom(tx, roomId);
      // Read again under the lock: a concurrent add may have committed meanwhile.
      const members = await membersAmong(tx, roomId, userIds);
      const added = userIds.filter((id) => !members.has(id));
      if (added.length === 0) return [];
      // Counted under the lock, so concurrent adds see each other's members.
      const count = await tx.roomMember.count({ where: { roomId } });
      if (count + added.length > room.maxMembers) throw new ConflictError(limitMessage(room));
      // New members' notifications start after the messages already there.
      await tx.roomMember.createMany({ data: added.map((userId) => ({ roomId, userId, deliveredSeq: room.lastSeq })) });
      return added;
    }),
  );
}

/** Removes members; the creator only when `removerId` is the creator. Unknown users are NOT_FOUND. */
export async function removeMembers(
  db: Db,
  roomId: string,
  removerId: string,
  userIds: readonly string[],
): Promise<Removal> {
  return transaction(db, async (tx) => {
    const room = await lockRoom(tx, roomId);
    await requireUsers(tx, userIds);
    const targets = removerId === room.creatorId ? userIds : userIds.filter((id) => id !== room.creatorId);
    return dropMembers(tx, room, targets);
  });
}

/** The user leaves the room; the last one to leave deletes it. */
export async function leaveRoom(db: Db, roomId: string, userId: string): Promise<Removal> {
  return transaction(db, async (tx) => dropMembers(tx, await lockRoom(tx, roomId), [userId]));
}

/** Removes those of the users who are members, with their roles and grants; an empty room is deleted. */
async function dropMembers(tx: Tx, room: Room, userIds: readonly string[]): Promise<Removal> {
  const members = await membersAmong(tx, room.id, userIds);
  const removed = userIds.filter((id) => members.has(id));
  if (removed.length > 0) {
    const where = { roomId: room.id, userId: { in: removed } };
    await tx.roomRole.deleteMany({ where });
    await tx.roomGrant.deleteMany({ where });
    await tx.roomMember.deleteMany({ where });
  }
  if ((await tx.roomMember.count({ where: { roomId: room.id } })) > 0) return { removed, roomDeleted: false };
  // As deleteRoom: clear the room -> last message -> room cycle before deleting.
  await tx.room.update({ where: { id: room.id }, data: { lastMessageId: null } });
  await tx.room.delete({ where: { id: room.id } });
  return { removed, roomDeleted: true };
}

/** Gives the role relation to the listed members but the creator; returns who did not hold it yet. */
export async function addRoles(
  db: Db,
  roomId: string,
  role: string,
  userIds: readonly string[],
): Promise<string[]> {
  return retryOnUniqueViolation(() =>
    transaction(db, async (tx) => {
      const targets = await memberTargets(tx, await lockRoom(tx, roomId), userIds);
      const holders = await roleHolders(tx, roomId, role, targets);
      const added = targets.filter((id) => !holders.has(id));
      if (added.length > 0) {
        await tx.roomRole.createMany({ data: added.map((userId) => ({ roomId, role, userId })) });
      }
      return added;
    }),
  );
}

/** Takes the role relation from the listed members; the creator keeps theirs. Returns who lost it. */
export async function removeRoles(
  db: Db,
  roomId: string,
  role: string,
  userIds: readonly string[],
): Promise<string[]> {
  return transaction(db, async (tx) => {
    const targets = await memberTargets(tx, await lockRoom(tx, roomId), userIds);
    const removed = [...(await roleHolders(tx, roomId, role, targets))];
    if (removed.length > 0) await tx.roomRole.deleteMany({ where: { roomId, role, userId: { in: removed } } });
    return removed;
  });
}

async function roleHolders(tx: Tx, roomId: string, role: string, userIds: readonly string[]) {
  const rows = await tx.roomRole.findMany({
    where: { roomId, role, userId: { in: [...userIds] } },
    select: { userId: true },
  });
  return new Set(rows.map((row) => row.userId));
}

/** Where the listed users hold any of the permissions. */
function grantsWhere(roomId: string, userIds: readonly string[], permissions: readonly RoomPermission[]) {
  return { roomId, userId: { in: [...userIds] }, permission: { in: [...permissions] } };
}

async function grantsAmong(
  tx: Tx,
  roomId: string,
  userIds: readonly string[],
  permissions: readonly RoomPermission[],
) {
  return tx.roomGrant.findMany({
    where: grantsWhere(roomId, userIds, permissions),
    select: { userId: true, permission: true },
  });
}

/** Grants each permission to the listed members but the creator; returns who got a new one. */
export async function grantPermissions(
  db: Db,
  roomId: string,
  userIds: readonly string[],
  permissions: readonly RoomPermission[],
): Promise<string[]> {
  return retryOnUniqueViolation(() =>
    transaction(db, async (tx) => {
      const targets = await memberTargets(tx, await lockRoom(tx, roomId), userIds);
      // Filtered here rather than createMany's skipDuplicates, which SQLite lacks.
      const held = await grantsAmong(tx, roomId, targets, permissions);
      const heldKeys = new Set(held.map((grant) => `${grant.permission}:${grant.userId}`));
      const rows = targets.flatMap((userId) =>
        permissions
          .filter((permission) => !heldKeys.has(`${permission}:${userId}`))
          .map((permission) => ({ roomId, userId, permission })),
      );
      if (rows.length > 0) await tx.roomGrant.createMany({ data: rows });
      return [...new Set(rows.map((row) => row.userId))];
    }),
  );
}

/** Revokes the permissions from the listed members but the creator; returns who lost one. */
export async function revokePermissions(
  db: Db,
  roomId: string,
  userIds: readonly string[],
  permissions: readonly RoomPermission[],
): Promise<string[]> {
  return transaction(db, async (tx) => {
    const targets = await memberTargets(tx, await lockRoom(tx, roomId), userIds);
    const held = await grantsAmong(tx, roomId, targets, permissions);
    if (held.length === 0) return [];
    await tx.roomGrant.deleteMany({ where: grantsWhere(roomId, targets, permissions) });
    return [...new Set(held.map((grant) => grant.userId))];
  });
}
