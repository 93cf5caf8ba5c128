// PermissionHandler: the public, async permission interface. Every GraphQL operation is
// authorised by one of these methods (through the scopes in schema/builder.ts). Applications
// subclass it and register the subclass (PERMISSION_HANDLER, the config file, or the
// `permissionHandler` option of createChatServer). Method names and return types are a contract.
import type { Room, RoomKind, User } from "../generated/sqlite/client.js";
import { isBrandedSubclass } from "../load-handler-class.js";
import {
  PermissionHelpers,
  type AdminAction,
  type MemberRole,
  type PermPhrase,
  type SendMessageData,
} from "./permission-helpers.js";

/** Marks PermissionHandler and its subclasses, also across two copies of this package. */
export const PERMISSION_HANDLER_BRAND = Symbol.for("realtime-chat-graphql.PermissionHandler");

export class PermissionHandler extends PermissionHelpers {
  static readonly [PERMISSION_HANDLER_BRAND] = true;

  /** May `user` read the room (its details, messages and events)? */
  async haveRoomPermission(user: User, roomId: string): Promise<[boolean, Room]> {
    return this._haveRoomPermission(user, roomId);
  }

  /** May `user` read every listed message (react, mark read, acknowledge, reply to, forward)? */
  async haveMessagePermission(user: User, messageIdOrIds: string | readonly string[]): Promise<boolean> {
    return this._haveMessagePermission(user, messageIdOrIds);
  }

  /** Did `user` send every listed message (edit, delete)? Returns their one room. */
  async isMessageSender(user: User, messageIdOrIds: string | readonly string[]): Promise<[boolean, Room]> {
    return this._isMessageSender(user, messageIdOrIds);
  }

  /** May `user` add ("add_new") or remove ("remove") members of a group or channel? */
  async haveRoomPermissionsToAddOrRemoveMembers(
    user: User,
    roomId: string,
    permPhrase: PermPhrase,
  ): Promise<[boolean, Room]> {
    return this._haveRoomPermissionsToAddOrRemoveMembers(user, roomId, permPhrase);
  }

  /** May `user` post (and show typing) in the room named by `data.roomId` or `data.messageId`? */
  async haveSendMessagePermission(user: User, data: SendMessageData): Promise<[boolean, Room]> {
    return this._haveSendMessagePermission(user, data);
  }

  /** May `user` administer the room: update it, change roles and grants, or ("delete") delete it? */
  async haveAdminPrivileges(user: User, roomId: string, action: AdminAction): Promise<[boolean, Room]> {
    return this._haveAdminPrivileges(user, roomId, action);
  }

  /** May `user` join the room by themselves? (Added here: the seed decided joins in the handler.) */
  async haveJoinPermission(user: User, roomId: string): Promise<[boolean, Room]> {
    return this._haveJoinPermission(user, roomId);
  }

  /**
   * May `user` know that the room exists? This never allows or refuses anything: when another
   * method refuses, the refusal is FORBIDDEN if this answers true, else NOT_FOUND, exactly as for a
   * room that does not exist (so room ids cannot be probed). (Added here; not in the seed.)
   */
  async canSeeRoom(user: User, roomId: string): Promise<[boolean, Room]> {
    return this._canSeeRoom(user, roomId);
  }

  /**
   * How `user` is shown in `room` (Room.viewerRole, RoomMembership.role): null when not a member.
   * Allows and refuses nothing; the default reads the admin relation the checks read
   * (`adminNames`). Given the room the request already read: it is asked once per listed member.
   * (Added here; not in the seed.)
   */
  async getMemberRole(user: User, room: Room): Promise<MemberRole | null> {
    return this._getMemberRole(user, room);
  }

  /**
   * May `user` see whether `otherUserId` is online and when they were last seen (User.online,
   * User.lastSeenAt)? A refusal is no error: the fields read false and null. The default allows
   * the user themself and anyone who shares a room with them; the answers for a list of users
   * (a page of members) are read in one query. (Added here; not in the seed.)
   */
  async canSeePresence(user: User, otherUserId: string): Promise<boolean> {
    return this._canSeePresence(user, otherUserId);
  }

  /** May `user` create a room of this kind? */
  async haveCreateRoomPermission(user: User, kind: RoomKind): Promise<boolean> {
    return this._haveCreateRoomPermission(user, kind);
  }
}

export type PermissionHandlerClass = typeof PermissionHandler;

export function isPermissionHandlerClass(value: unknown): value is PermissionHandlerClass {
  return isBrandedSubclass(value, PermissionHandler, PERMISSION_HANDLER_BRAND);
}
