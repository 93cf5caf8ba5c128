// The helper layer: the database logic behind every permission check, one protected method per
// check (the seed's PermissionHelperMixin). PermissionHandler's public methods delegate here.
// Subclasses override a helper to change how a check reads the database, set `adminNames` when
// their admin relation has another name, or call one helper with other `defaultAdminNames`.
import DataLoader from "dataloader";
import type { Db } from "../db/client.js";
import { MAX_BATCH_KEYS, memberAccessLoader, type MemberKey } from "../db/loaders.js";
import type { HotPath, MemberAccess } from "../db/sql/hot-path.js";
import type { Room, RoomKind, RoomPermission, User } from "../generated/sqlite/client.js";
import { unstorableReason } from "../content/storable-text.js";
import { BadUserInputError, NotFoundError } from "../errors.js";
import type { MemberAccessCache } from "./member-access-cache.js";

/** "add_new" for adding members, "remove" for removing them. */
export type PermPhrase = "add_new" | "remove";

/** What an admin check is for: "delete" is stricter (creator only) than every other action. */
export type AdminAction =
  | "update"
  | "delete"
  | "add_admin"
  | "remove_admin"
  | "add_moderator"
  | "remove_moderator"
  | "add_permission"
  | "remove_permission";

/** Names of the role relations that count as admins: RoomRole.role for groups and channels. */
export interface AdminNames {
  group: string;
  channel: string;
}

export const DEFAULT_ADMIN_NAMES: Readonly<AdminNames> = Object.freeze({ group: "admins", channel: "moderators" });

/** How a member is shown in a room (the GraphQL enum MemberRole). */
export type MemberRole = "CREATOR" | "ADMIN" | "MODERATOR" | "MEMBER";

/** Where a message is being sent: a room, or the room of a message (typing, replies). */
export interface SendMessageData {
  roomId?: string;
  messageId?: string;
  /** Set by the server when the answer decides a sendMessage, whose insert is refused if the
   * room's accessVersion moved since: the check may then start from this instance's last
   * snapshot of the room instead of reading it (the send is decided again if it was outdated). */
  insertChecksAccessVersion?: boolean;
}

/** What a handler is constructed with, once per request. */
export interface PermissionHandlerContext {
  db: Db;
  /** The server's prepared statements for rooms, members and messages. Without them (a handler
   * built by hand with only `db`) the building blocks below query through Prisma. */
  hotPath?: HotPath;
  /** The server's memo of member access, valid per room accessVersion. */
  memberAccess?: MemberAccessCache;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MEMBER_GRANTS: Record<PermPhrase, { group: RoomPermission; channel: RoomPermission }> = {
  add_new: { group: "CAN_ADD_NEW_PARTICIPANTS", channel: "CAN_ADD_NEW_SUBSCRIBERS" },
  remove: { group: "CAN_REMOVE_PARTICIPANTS", channel: "CAN_REMOVE_SUBSCRIBERS" },
};

/** Checks that an id has the shape of our ids before it reaches the database. */
export function checkId(id: unknown, what: "room" | "message" | "user" = "room"): string {
  if (typeof id !== "string") throw new BadUserInputError(`Invalid ${what} id type.`);
  if (what !== "user" && !UUID.test(id)) throw new BadUserInputError(`"${id.slice(0, 64)}" is not a valid ${what} id.`);
  // User ids are the identity provider's: any text, but one no database could have stored
  // names nobody (and PostgreSQL would fail on a NUL in the query).
  const unstorable = unstorableReason(id);
  if (unstorable) throw new BadUserInputError(`Not a valid ${what} id: it ${unstorable}.`);
  return id;
}

/** One id or a list of ids, de-duplicated. */
export function idList(idOrIds: string | readonly string[], what: "message"): string[] {
  const ids = typeof idOrIds === "string" ? [idOrIds] : idOrIds;
  if (!Array.isArray(ids)) throw new BadUserInputError(`Invalid ${what} id type.`);
  return [...new Set(ids.map((id) => checkId(id, what)))];
}

export class PermissionHelpers {
  /** The role relations that count as admins, for every check and for the roles shown
   * (_getMemberRole). Override it to rename them everywhere at once. */
  protected readonly adminNames: Readonly<AdminNames> = DEFAULT_ADMIN_NAMES;
  protected readonly db: Db;
  private readonly hotPath: HotPath | undefined;
  private readonly accessCache: MemberAccessCache | undefined;
  /** Built on the first access read: most requests never read one. */
  private accessLoader: DataLoader<MemberKey, MemberAccess> | undefined;
  /** Built on the first presence check, for the user it was asked for. */
  private roomSharers: { userId: string; loader: DataLoader<string, boolean> } | undefined;

  constructor(context: PermissionHandlerContext) {
    this.db = context.db;
    this.hotPath = context.hotPath;
    this.accessCache = context.memberAccess;
  }

  /** Member (participant or subscriber) of the room. */
  protected async _haveRoomPermission(user: User, roomId: string): Promise<[boolean, Room]> {
    const room = await this._getRoom(roomId);
    return [await this._isMember(user, room), room];
  }

  /** Member of the room of every listed message; missing or deleted messages are NOT_FOUND. */
  protected async _haveMessagePermission(user: User, messageIdOrIds: string | readonly string[]): Promise<boolean> {
    const ids = idList(messageIdOrIds, "message");
    if (ids.length === 0) return true;
    const messages = await this._getMessages(ids);
    const roomIds = [...new Set(messages.map((message) => message.roomId))];
    if (this.hotPath) {
      for (const roomId of roomIds) if (!(await this._isMember(user, await this._getRoom(roomId)))) return false;
      return true;
    }
    const memberships = await this.db.roomMember.count({ where: { userId: user.id, roomId: { in: roomIds } } });
    return memberships === roomIds.length;
  }

  /** Sender of every listed message, all in one room, and still a member of it. */
  protected async _isMessageSender(user: User, messageIdOrIds: string | readonly string[]): Promise<[boolean, Room]> {
    const ids = idList(messageIdOrIds, "message");
    if (ids.length === 0) throw new BadUserInputError("At least one message id is required.");
    const messages = await this._getMessages(ids);
    const roomIds = new Set(messages.map((message) => message.roomId));
    if (roomIds.size > 1) throw new BadUserInputError("All messages to modify must come from the same room.");
    const room = await this._getRoom(messages[0]!.roomId);
    const sentAll = messages.every((message) => message.senderId === user.id);
    return [sentAll && (await this._isMember(user, room)), room];
  }

  /** Groups: creator, admins or a holder of the add/remove grant. Channels: the same with moderators. */
  protected async _haveRoomPermissionsToAddOrRemoveMembers(
    user: User,
    roomId: string,
    permPhrase: PermPhrase,
    defaultAdminNames: AdminNames = this.adminNames,
  ): Promise<[boolean, Room]> {
    const room = await this._getRoom(roomId);
    // Membership first: a non-member learns nothing about the room, not even its kind.
    if (!(await this._isMember(user, room))) return [false, room];
    if (room.kind === "ONE_TO_ONE") {
      throw new BadUserInputError("Members can only be added to or removed from groups and channels.");
    }
    const grants = MEMBER_GRANTS[permPhrase];
    if (!grants) throw new BadUserInputError(`Invalid permission phrase "${String(permPhrase)}".`);
    const grant = room.kind === "GROUP" ? grants.group : grants.channel;
    const allowed =
      (await this._isCreatorOrAdmin(user, room, defaultAdminNames)) || (await this._hasGrant(user, room, grant));
    return [allowed, room];
  }

  /** Chats: participants. Groups: participants, only creator and admins when locked.
   * Channels: subscribers who are the creator, a moderator or hold CAN_SEND_MESSAGES. */
  protected async _haveSendMessagePermission(
    user: User,
    data: SendMessageData,
    defaultAdminNames: AdminNames = this.adminNames,
  ): Promise<[boolean, Room]> {
    const room = await this._roomOf(data);
    if (!(await this._isMember(user, room))) return [false, room];
    if (room.kind === "ONE_TO_ONE") return [true, room];
    if (room.kind === "GROUP" && !room.locked) return [true, room];
    if (await this._isCreatorOrAdmin(user, room, defaultAdminNames)) return [true, room];
    return [room.kind === "CHANNEL" && (await this._hasGrant(user, room, "CAN_SEND_MESSAGES")), room];
  }

  /** "delete": the creator of a group or channel (member or not), either participant of a chat.
   * Anything else: a member who is the creator or an admin (moderator); any participant of a chat.
   * Grants never make someone an admin. */
  protected async _haveAdminPrivileges(
    user: User,
    roomId: string,
    action: AdminAction,
    defaultAdminNames: AdminNames = this.adminNames,
  ): Promise<[boolean, Room]> {
    const room = await this._getRoom(roomId);
    if (room.kind === "ONE_TO_ONE") return [await this._isMember(user, room), room];
    if (action === "delete") return [room.creatorId === user.id, room];
    if (!(await this._isMember(user, room))) return [false, room];
    const isAdmin = await this._isCreatorOrAdmin(user, room, defaultAdminNames);
    return [isAdmin, room];
  }

  /** Only public channels can be joined; groups and chats are by invitation. */
  protected async _haveJoinPermission(_user: User, roomId: string): Promise<[boolean, Room]> {
    const room = await this._getRoom(roomId);
    return [room.kind === "CHANNEL" && room.isPublic, room];
  }

  /** Members may know a room exists, and anyone a public channel (publicChannels lists it). */
  protected async _canSeeRoom(user: User, roomId: string): Promise<[boolean, Room]> {
    const room = await this._getRoom(roomId);
    return [(room.kind === "CHANNEL" && room.isPublic) || (await this._isMember(user, room)), room];
  }

  /** Members: CREATOR (groups and channels), ADMIN or MODERATOR when in the admin relation of
   * `defaultAdminNames`, else MEMBER (every participant of a chat); null for a non-member. */
  protected async _getMemberRole(
    user: User,
    room: Room,
    defaultAdminNames: AdminNames = this.adminNames,
  ): Promise<MemberRole | null> {
    if (!(await this._isMember(user, room))) return null;
    if (room.kind === "ONE_TO_ONE") return "MEMBER";
    if (room.creatorId === user.id) return "CREATOR";
    if (!(await this._isCreatorOrAdmin(user, room, defaultAdminNames))) return "MEMBER";
    return room.kind === "GROUP" ? "ADMIN" : "MODERATOR";
  }

  /** The user themself, and whoever shares at least one room with them. */
  protected async _canSeePresence(user: User, otherUserId: string): Promise<boolean> {
    if (otherUserId === user.id) return true;
    return this._sharesRoom(user, otherUserId);
  }

  /** Are both members of one room at least? The questions asked in one tick (the members of a
   * page) are one query. */
  protected async _sharesRoom(user: User, otherUserId: string): Promise<boolean> {
    if (this.roomSharers?.userId !== user.id) {
      const loader = new DataLoader<string, boolean>(
        async (otherIds) => {
          const rows = await this.db.roomMember.findMany({
            where: { userId: { in: [...otherIds] }, room: { members: { some: { userId: user.id } } } },
            select: { userId: true },
            distinct: ["userId"],
          });
          const sharing = new Set(rows.map((row) => row.userId));
          return otherIds.map((otherId) => sharing.has(otherId));
        },
        { maxBatchSize: MAX_BATCH_KEYS },
      );
      this.roomSharers = { userId: user.id, loader };
    }
    return this.roomSharers.loader.load(otherUserId);
  }

  /** Any authenticated user may create rooms of every kind. */
  protected async _haveCreateRoomPermission(_user: User, _kind: RoomKind): Promise<boolean> {
    return true;
  }

  // Building blocks shared by the checks above; override them to change what they read.

  /** The room as it is now (every check reads it fresh: its accessVersion validates the memo). */
  protected async _getRoom(roomId: string): Promise<Room> {
    const id = checkId(roomId, "room");
    const room = this.hotPath ? await this.hotPath.room(id) : await this.db.room.findUnique({ where: { id } });
    if (!room) throw new NotFoundError();
    return room;
  }

  /** Non-deleted messages by id; NOT_FOUND unless every id is found. */
  protected async _getMessages(ids: string[]): Promise<Array<{ id: string; roomId: string; senderId: string }>> {
    const messages = this.hotPath
      ? await this.hotPath.liveMessages(ids)
      : await this.db.message.findMany({
          where: { id: { in: ids }, isDeleted: false },
          select: { id: true, roomId: true, senderId: true },
        });
    if (messages.length !== ids.length) throw new NotFoundError();
    return messages;
  }

  protected async _roomOf(data: SendMessageData): Promise<Room> {
    if (data.roomId !== undefined) {
      // Only when reading a room is ours: a subclass's _getRoom is always asked.
      const snapshot = data.insertChecksAccessVersion && this.hotPath && this._getRoom === PermissionHelpers.prototype._getRoom;
      if (!snapshot) return this._getRoom(data.roomId);
      const room = await this.hotPath!.roomForSend(checkId(data.roomId, "room"));
      if (!room) throw new NotFoundError();
      return room;
    }
    if (data.messageId !== undefined) {
      const [message] = await this._getMessages([checkId(data.messageId, "message")]);
      return this._getRoom(message!.roomId);
    }
    throw new BadUserInputError("A room id or a message id is required.");
  }

  /** The user's membership, roles and grants in the room, in one read; remembered while the
   * room's accessVersion stays the same. Null when the server gave the handler no hot path.
   * Reads asked for in the same tick (the roles of a page of members) are made together. */
  protected async _memberAccess(user: User, room: Room): Promise<MemberAccess | null> {
    const hotPath = this.hotPath;
    if (!hotPath) return null;
    this.accessLoader ??= memberAccessLoader(this.db, (key) => hotPath.memberAccess(key.roomId, key.userId));
    const loader = this.accessLoader;
    const load = () => loader.load({ roomId: room.id, userId: user.id });
    return this.accessCache ? this.accessCache.get(room, user.id, load) : load();
  }

  protected async _isMember(user: User, room: Room): Promise<boolean> {
    const access = await this._memberAccess(user, room);
    if (access) return access.member;
    const member = await this.db.roomMember.findUnique({
      where: { roomId_userId: { roomId: room.id, userId: user.id } },
      select: { userId: true },
    });
    return member !== null;
  }

  protected async _hasRole(user: User, room: Room, role: string): Promise<boolean> {
    const access = await this._memberAccess(user, room);
    if (access) return access.roles.includes(role);
    const row = await this.db.roomRole.findUnique({
      where: { roomId_role_userId: { roomId: room.id, role, userId: user.id } },
      select: { userId: true },
    });
    return row !== null;
  }

  protected async _hasGrant(user: User, room: Room, permission: RoomPermission): Promise<boolean> {
    const access = await this._memberAccess(user, room);
    if (access) return access.grants.includes(permission);
    const row = await this.db.roomGrant.findUnique({
      where: { roomId_userId_permission: { roomId: room.id, userId: user.id, permission } },
      select: { userId: true },
    });
    return row !== null;
  }

  /** The creator, or in the relation `names` gives as admins for this kind of room. */
  protected async _isCreatorOrAdmin(user: User, room: Room, names: AdminNames): Promise<boolean> {
    if (room.creatorId === user.id) return true;
    const relation = this._adminRelation(room, names);
    return relation !== null && (await this._hasRole(user, room, relation));
  }

  /** The role relation that counts as admins in this room, or null for one-to-one chats. */
  protected _adminRelation(room: Room, names: AdminNames): string | null {
    if (room.kind === "GROUP") return names.group;
    if (room.kind === "CHANNEL") return names.channel;
    return null;
  }
}
