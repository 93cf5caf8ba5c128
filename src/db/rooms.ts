// Data functions for rooms: creation, settings, deletion. Each runs in one transaction.
import type { Prisma, Room, RoomKind } from "../generated/sqlite/client.js";
import { BadUserInputError, isRecordMissing, isUniqueViolation, NotFoundError } from "../errors.js";
import { DEFAULT_ADMIN_NAMES } from "../permissions/permission-helpers.js";
import type { Db } from "./client.js";
import { TRANSACTION_OPTIONS } from "./transactions.js";


/** One key per unordered pair of users: the database's unique index keeps one chat per pair. */
export function pairKey(userA: string, userB: string): string {
  return JSON.stringify([userA, userB].sort());
}

/** Throws NOT_FOUND unless every id names a known user (users exist once they have signed in). */
export async function requireUsers(db: Prisma.TransactionClient | Db, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const found = await db.user.count({ where: { id: { in: [...userIds] } } });
  if (found !== userIds.length) throw new NotFoundError("Unknown user id.");
}

/** The chat of two users, created if missing (`created` lists its members then). A concurrent
 * creation of the same pair yields one chat. */
export async function openOneToOneChat(
  db: Db,
  viewerId: string,
  otherId: string,
): Promise<{ room: Room; created: string[] | null }> {
  if (viewerId === otherId) throw new BadUserInputError("A one-to-one chat needs another user.", "userId");
  const key = pairKey(viewerId, otherId);
  const existing = await db.room.findUnique({ where: { pairKey: key } });
  if (existing) return { room: existing, created: null };
  await requireUsers(db, [otherId]);
  try {
    const room = await db.room.create({
      data: {
        kind: "ONE_TO_ONE",
        pairKey: key,
        maxMembers: 2,
        preferences: {},
        members: { create: [{ userId: viewerId }, { userId: otherId }] },
      },
    });
    return { room, created: [viewerId, otherId] };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { room: await db.room.findUniqueOrThrow({ where: { pairKey: key } }), created: null };
  }
}

export interface NewRoom {
  kind: Extract<RoomKind, "GROUP" | "CHANNEL">;
  creatorId: string;
  name: string;
  description: string | null;
  avatarUrl: string | null;
  locked: boolean;
  joinApprovalRequired: boolean;
  isPublic: boolean;
  maxMembers: number;
  preferences: Prisma.InputJsonObject;
  memberIds: string[];
}

/** A group or channel with its creator as member and admin/moderator, and the given members. */
export async function createRoom(db: Db, input: NewRoom): Promise<Room> {
  const memberIds = [...new Set(input.memberIds)].filter((id) => id !== input.creatorId);
  const field = input.kind === "GROUP" ? "participantIds" : "subscriberIds";
  const limit = input.kind === "GROUP" ? "maxParticipants" : "maxSubscribers";
  if (memberIds.length + 1 > input.maxMembers) {
    throw new BadUserInputError(`${field} holds more members than ${limit} allows (the creator counts).`, field);
  }
  await requireUsers(db, memberIds);
  const { memberIds: _ids, ...fields } = input;
  const adminRelation = input.kind === "GROUP" ? DEFAULT_ADMIN_NAMES.group : DEFAULT_ADMIN_NAMES.channel;
  return db.room.create({
    data: {
      ...fields,
      members: { create: [input.creatorId, ...memberIds].map((userId) => ({ userId })) },
      roles: { create: { userId: input.creatorId, role: adminRelation } },
    },
  });
}

/** Changes settings; bumps accessVersion, since settings (a group's lock) decide permissions too. */
export async function updateRoom(db: Db, roomId: string, data: Prisma.RoomUpdateInput): Promise<Room> {
  return notFoundIfDeleted(db.room.update({ where: { id: roomId }, data: { ...data, accessVersion: { increment: 1 } } }));
}

/** A room deleted since its permission check (by this operation or a concurrent one) is
 * NOT_FOUND, as if the check had not found it, never an internal error. */
export async function notFoundIfDeleted<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isRecordMissing(error)) throw new NotFoundError();
    throw error;
  }
}

/** Deletes the room; messages, members, roles and grants go with it. Returns the former members. */
export async function deleteRoom(db: Db, roomId: string): Promise<string[]> {
  return db.$transaction(async (tx) => {
    // Clear the room's pointer first: the room -> last message -> room cycle would block deletion.
    // This also takes the row lock (PostgreSQL), so a concurrent delete waits here, then finds
    // the room gone; the members are read under the lock.
    await notFoundIfDeleted(tx.room.update({ where: { id: roomId }, data: { lastMessageId: null } }));
    const members = await tx.roomMember.findMany({ where: { roomId }, select: { userId: true } });
    await tx.room.delete({ where: { id: roomId } });
    return members.map((member) => member.userId);
  }, TRANSACTION_OPTIONS);
}
