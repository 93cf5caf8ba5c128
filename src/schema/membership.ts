// Membership mutations: adding, removing, joining and leaving; admin and moderator roles; grants.
// Each field's scope asks the PermissionHandler, which loads the room; the resolver reuses that room.
import type { Room, RoomPermission } from "../generated/sqlite/client.js";
import type { Context } from "../context.js";
import { viewerOf } from "../context.js";
import type { Db } from "../db/client.js";
import {
  addMembers,
  addRoles,
  grantPermissions,
  leaveRoom,
  removeMembers,
  removeRoles,
  revokePermissions,
} from "../db/memberships.js";
import { BadUserInputError, NotFoundError } from "../errors.js";
import { announceMembersAdded, announceMembersRemoved, announceRoomUpdated } from "../realtime/publish.js";
import { DEFAULT_ADMIN_NAMES, type AdminAction } from "../permissions/permission-helpers.js";
import { builder } from "./builder.js";
import { ChannelRef, GroupChatRef, RoomPermissionEnum, RoomRef } from "./refs.js";
import { idsArg } from "./validate.js";

interface LeaveRoomResult {
  roomId: string;
  roomDeleted: boolean;
}

const LeaveRoomPayloadRef = builder.objectRef<LeaveRoomResult>("LeaveRoomPayload").implement({
  description: "The outcome of leaving a room.",
  fields: (t) => ({
    roomId: t.exposeID("roomId", { description: "The room left." }),
    roomDeleted: t.exposeBoolean("roomDeleted", {
      description: "The viewer was the last member, so the room is gone.",
    }),
  }),
});

type IdArg = string | number;
type RoleKind = "GROUP" | "CHANNEL";
type RoleChange = (db: Db, roomId: string, role: string, userIds: readonly string[]) => Promise<string[]>;
type GrantChange = (
  db: Db,
  roomId: string,
  userIds: readonly string[],
  permissions: readonly RoomPermission[],
) => Promise<string[]>;

const ROLE_RULES: Record<RoleKind, { relation: string; wrongKind: string }> = {
  GROUP: {
    relation: DEFAULT_ADMIN_NAMES.group,
    wrongKind: "Room should be a group chat to modify the admins",
  },
  CHANNEL: {
    relation: DEFAULT_ADMIN_NAMES.channel,
    wrongKind: "Room should be a channel to modify the moderators",
  },
};

const KIND_PERMISSIONS: Record<RoleKind, readonly RoomPermission[]> = {
  GROUP: ["CAN_ADD_NEW_PARTICIPANTS", "CAN_REMOVE_PARTICIPANTS"],
  CHANNEL: ["CAN_ADD_NEW_SUBSCRIBERS", "CAN_REMOVE_SUBSCRIBERS", "CAN_SEND_MESSAGES"],
};

/** As many as there are permissions. */
const MAX_PERMISSIONS = 5;

const userIdArg = (id: IdArg) => idsArg([String(id)], "userId", "user");
const userIdsArg = (ids: readonly IdArg[]) => idsArg(ids.map(String), "userIds", "user");

/** The room as it is after a change. */
async function freshRoom(context: Context, roomId: string): Promise<Room> {
  const room = await context.db.room.findUnique({ where: { id: roomId } });
  if (!room) throw new NotFoundError();
  return room;
}

/** The permissions, de-duplicated, each one that applies to the room's kind. */
function permissionsArg(room: Room, permissions: readonly RoomPermission[]): RoomPermission[] {
  if (room.kind === "ONE_TO_ONE") {
    throw new BadUserInputError("Permissions can only be granted in groups and channels.", "roomId");
  }
  if (permissions.length === 0) throw new BadUserInputError("permissions must not be empty.", "permissions");
  if (permissions.length > MAX_PERMISSIONS) {
    throw new BadUserInputError(`permissions may hold at most ${MAX_PERMISSIONS} entries.`, "permissions");
  }
  const fitting = KIND_PERMISSIONS[room.kind as RoleKind];
  const misfit = permissions.find((permission) => !fitting.includes(permission));
  if (misfit) {
    const kind = room.kind === "GROUP" ? "group chat" : "channel";
    throw new BadUserInputError(`${misfit} does not apply to a ${kind}.`, "permissions");
  }
  return [...new Set(permissions)];
}

async function addAndReturn(context: Context, room: Room, userIds: string[]): Promise<Room> {
  announceMembersAdded(context, room, await addMembers(context.db, room.id, userIds), viewerOf(context).id);
  return freshRoom(context, room.id);
}

async function removeAndReturn(context: Context, roomId: string, userIds: string[]): Promise<Room | null> {
  const [, room] = await context.gate.members(roomId, "remove");
  const by = viewerOf(context).id;
  const { removed, roomDeleted } = await removeMembers(context.db, room.id, by, userIds);
  announceMembersRemoved(context, room, removed, roomDeleted, by);
  return roomDeleted ? null : freshRoom(context, room.id);
}

async function changeRoles(
  context: Context,
  args: { roomId: IdArg; userIds: readonly IdArg[] },
  kind: RoleKind,
  action: AdminAction,
  change: RoleChange,
): Promise<Room> {
  const [, room] = await context.gate.admin(String(args.roomId), action);
  if (room.kind !== kind) throw new BadUserInputError(ROLE_RULES[kind].wrongKind, "roomId");
  const changed = await change(context.db, room.id, ROLE_RULES[kind].relation, userIdsArg(args.userIds));
  if (changed.length > 0) announceRoomUpdated(context.realtime, room.id);
  return freshRoom(context, room.id);
}

async function changeGrants(
  context: Context,
  args: { roomId: IdArg; userIds: readonly IdArg[]; permissions: readonly RoomPermission[] },
  action: AdminAction,
  change: GrantChange,
): Promise<Room> {
  const [, room] = await context.gate.admin(String(args.roomId), action);
  const permissions = permissionsArg(room, args.permissions);
  const changed = await change(context.db, room.id, userIdsArg(args.userIds), permissions);
  if (changed.length > 0) announceRoomUpdated(context.realtime, room.id);
  return freshRoom(context, room.id);
}

builder.mutationFields((t) => ({
  addMember: t.field({
    type: RoomRef,
    description:
      "Adds a user to a group or channel: the creator, admins (moderators) and holders of the add grant may. " +
      "A current member is left as is; past the member limit the answer is CONFLICT.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group or channel." }),
      userId: t.arg.id({ required: true, description: "The user to add; they must have made a request before." }),
    },
    authScopes: (_root, args) => ({ canAddMembers: String(args.roomId) }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.members(String(args.roomId), "add_new");
      return addAndReturn(context, room, userIdArg(args.userId));
    },
  }),
  addMembers: t.field({
    type: RoomRef,
    description: "Adds users to a group or channel, as addMember: all of them or, on any error, none.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group or channel." }),
      userIds: t.arg.idList({ required: true, description: "The users to add (at most 100); each must have made a request before." }),
    },
    authScopes: (_root, args) => ({ canAddMembers: String(args.roomId) }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.members(String(args.roomId), "add_new");
      return addAndReturn(context, room, userIdsArg(args.userIds));
    },
  }),
  removeMember: t.field({
    type: RoomRef,
    nullable: true,
    description:
      "Removes a member with their roles and grants: the creator, admins (moderators) and holders of " +
      "the remove grant may. Only the creator can remove the creator. " +
      "Null when the room was left empty and deleted.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group or channel." }),
      userId: t.arg.id({ required: true, description: "The member to remove." }),
    },
    authScopes: (_root, args) => ({ canRemoveMembers: String(args.roomId) }),
    resolve: (_root, args, context) => removeAndReturn(context, String(args.roomId), userIdArg(args.userId)),
  }),
  removeMembers: t.field({
    type: RoomRef,
    nullable: true,
    description: "Removes members, as removeMember; non-members are skipped.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group or channel." }),
      userIds: t.arg.idList({ required: true, description: "The members to remove (at most 100)." }),
    },
    authScopes: (_root, args) => ({ canRemoveMembers: String(args.roomId) }),
    resolve: (_root, args, context) => removeAndReturn(context, String(args.roomId), userIdsArg(args.userIds)),
  }),
  joinRoom: t.field({
    type: RoomRef,
    description: "Joins a room the viewer may join by themselves (public channels). A member is left as is.",
    args: { roomId: t.arg.id({ required: true, description: "The public channel to join." }) },
    authScopes: (_root, args) => ({ canJoin: String(args.roomId) }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.join(String(args.roomId));
      // Only for handlers that let chats through: a chat keeps its two participants.
      if (room.kind === "ONE_TO_ONE") throw new BadUserInputError("Chats cannot be joined.", "roomId");
      return addAndReturn(context, room, [viewerOf(context).id]);
    },
  }),
  leaveRoom: t.field({
    type: LeaveRoomPayloadRef,
    description:
      "Leaves a group or channel, dropping the viewer's roles and grants. The last member leaving deletes it.",
    args: { roomId: t.arg.id({ required: true, description: "The group or channel to leave." }) },
    authScopes: (_root, args) => ({ roomMember: String(args.roomId) }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.room(String(args.roomId));
      if (room.kind === "ONE_TO_ONE") {
        throw new BadUserInputError("You can only leave a group or channel.", "roomId");
      }
      const by = viewerOf(context).id;
      const { removed, roomDeleted } = await leaveRoom(context.db, room.id, by);
      announceMembersRemoved(context, room, removed, roomDeleted, by);
      return { roomId: room.id, roomDeleted };
    },
  }),
  addAdmins: t.field({
    type: GroupChatRef,
    description: "Makes participants admins of a group: its creator and admins may. Admins stay as they are.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group." }),
      userIds: t.arg.idList({ required: true, description: "Participants to make admins (at most 100)." }),
    },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "add_admin" } }),
    resolve: (_root, args, context) => changeRoles(context, args, "GROUP", "add_admin", addRoles),
  }),
  removeAdmins: t.field({
    type: GroupChatRef,
    description: "Takes the admin role from participants of a group; the creator always stays admin.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group." }),
      userIds: t.arg.idList({ required: true, description: "Admins to demote (at most 100)." }),
    },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "remove_admin" } }),
    resolve: (_root, args, context) => changeRoles(context, args, "GROUP", "remove_admin", removeRoles),
  }),
  addModerators: t.field({
    type: ChannelRef,
    description: "Makes subscribers moderators of a channel: its creator and moderators may.",
    args: {
      roomId: t.arg.id({ required: true, description: "The channel." }),
      userIds: t.arg.idList({ required: true, description: "Subscribers to make moderators (at most 100)." }),
    },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "add_moderator" } }),
    resolve: (_root, args, context) => changeRoles(context, args, "CHANNEL", "add_moderator", addRoles),
  }),
  removeModerators: t.field({
    type: ChannelRef,
    description: "Takes the moderator role from subscribers of a channel; the creator always stays moderator.",
    args: {
      roomId: t.arg.id({ required: true, description: "The channel." }),
      userIds: t.arg.idList({ required: true, description: "Moderators to demote (at most 100)." }),
    },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "remove_moderator" } }),
    resolve: (_root, args, context) => changeRoles(context, args, "CHANNEL", "remove_moderator", removeRoles),
  }),
  grantPermissions: t.field({
    type: RoomRef,
    description:
      "Grants members permissions (adding or removing members; posting in channels) without making them " +
      "admins. The creator and admins (moderators) may; granting a held permission changes nothing.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group or channel." }),
      userIds: t.arg.idList({ required: true, description: "Members to grant to (at most 100)." }),
      permissions: t.arg({ type: [RoomPermissionEnum], required: true, description: "Permissions to grant; each must fit the room's kind." }),
    },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "add_permission" } }),
    resolve: (_root, args, context) => changeGrants(context, args, "add_permission", grantPermissions),
  }),
  revokePermissions: t.field({
    type: RoomRef,
    description: "Revokes permissions granted to members; revoking one not held changes nothing.",
    args: {
      roomId: t.arg.id({ required: true, description: "The group or channel." }),
      userIds: t.arg.idList({ required: true, description: "Members to revoke from (at most 100)." }),
      permissions: t.arg({ type: [RoomPermissionEnum], required: true, description: "Permissions to revoke; each must fit the room's kind." }),
    },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "remove_permission" } }),
    resolve: (_root, args, context) => changeGrants(context, args, "remove_permission", revokePermissions),
  }),
}));
