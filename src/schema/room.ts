// The Room interface, its three kinds, and the room queries: room, rooms, publicChannels.
import type { Room } from "../generated/sqlite/client.js";
import type { Context } from "../context.js";
import { viewerOf } from "../context.js";
import { DEFAULT_ADMIN_NAMES } from "../permissions/permission-helpers.js";
import { builder } from "./builder.js";
import {
  afterTimeCursor,
  connectionRef,
  decodeCursor,
  forwardPage,
  isActivityCursor,
  timeCursor,
  type ActivityCursor,
} from "./connection.js";
import { ChannelRef, GroupChatRef, MessageRef, OneToOneChatRef, RoomKindEnum, RoomPermissionEnum, RoomRef, UserRef } from "./refs.js";
import { pageSizeArg } from "./validate.js";

export const MemberRoleEnum = builder.enumType("MemberRole", {
  description: "A member's standing in a room.",
  values: {
    CREATOR: { description: "Created the group or channel." },
    ADMIN: { description: "A group admin." },
    MODERATOR: { description: "A channel moderator." },
    MEMBER: { description: "A participant or subscriber without a role." },
  } as const,
});


interface Membership {
  room: Room;
  userId: string;
  joinedAt: Date;
}

const MembershipRef = builder.objectRef<Membership>("RoomMembership").implement({
  description: "A user's membership of a room.",
  fields: (t) => ({
    user: t.field({
      type: UserRef,
      description: "The member.",
      resolve: async (membership, _args, context) => (await context.loaders.user.load(membership.userId))!,
    }),
    role: t.field({
      type: MemberRoleEnum,
      description: "The member's standing in the room.",
      // As the handler shows it; a member it calls a non-member is listed all the same.
      resolve: async (membership, _args, context) => {
        const user = await context.loaders.user.load(membership.userId);
        return (user && (await context.gate.memberRole(membership.room, user))) ?? "MEMBER";
      },
    }),
    permissions: t.field({
      type: [RoomPermissionEnum],
      description: "Permissions granted to this member individually.",
      resolve: async (membership, _args, context) =>
        (
          await context.db.roomGrant.findMany({
            where: { roomId: membership.room.id, userId: membership.userId },
            orderBy: { permission: "asc" },
          })
        ).map((grant) => grant.permission),
    }),
    joinedAt: t.expose("joinedAt", { type: "DateTime", description: "When the user became a member." }),
  }),
});

const MembershipConnection = connectionRef("RoomMembership", MembershipRef, "Members of a room, earliest first.");


interface Capabilities {
  room: Room;
}

const CapabilitiesRef = builder.objectRef<Capabilities>("RoomCapabilities").implement({
  description: "What the viewer may do in a room, as the PermissionHandler answers.",
  fields: (t) => {
    const can = (description: string, check: (room: Room, context: Context) => Promise<boolean>) =>
      t.boolean({ description, resolve: ({ room }, _args, context) => check(room, context) });
    const notChat = (room: Room) => room.kind !== "ONE_TO_ONE";
    return {
      sendMessages: can("Post messages (and typing).", (room, { gate }) => gate.allows(gate.send(room.id))),
      addMembers: can("Add members.", async (room, { gate }) => notChat(room) && gate.allows(gate.members(room.id, "add_new"))),
      removeMembers: can("Remove members.", async (room, { gate }) => notChat(room) && gate.allows(gate.members(room.id, "remove"))),
      update: can("Change the room's settings.", (room, { gate }) => gate.allows(gate.admin(room.id, "update"))),
      manageRoles: can("Add or remove admins (groups) or moderators (channels).", async (room, { gate }) =>
        notChat(room) && gate.allows(gate.admin(room.id, room.kind === "GROUP" ? "add_admin" : "add_moderator")),
      ),
      managePermissions: can("Grant or revoke members' permissions.", async (room, { gate }) =>
        notChat(room) && gate.allows(gate.admin(room.id, "add_permission")),
      ),
      delete: can("Delete the room.", (room, { gate }) => gate.allows(gate.admin(room.id, "delete"))),
      leave: can("Leave the room (groups and channels).", async (room, { gate }) => notChat(room) && gate.allows(gate.room(room.id))),
    };
  },
});

RoomRef.implement({
  description: "A room: a one-to-one chat, a group chat or a channel.",
  resolveType: (room) =>
    room.kind === "GROUP" ? "GroupChat" : room.kind === "CHANNEL" ? "Channel" : "OneToOneChat",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The room's id (a UUID)." }),
    kind: t.expose("kind", { type: RoomKindEnum, description: "Chat, group or channel; matches the object type." }),
    name: t.exposeString("name", { nullable: true, description: "Groups and channels; null for chats." }),
    description: t.exposeString("description", { nullable: true, description: "Free text shown with the room; null when unset." }),
    avatarUrl: t.exposeString("avatarUrl", { nullable: true, description: "An http(s) URL of the room's picture; null when unset." }),
    preferences: t.field({
      type: "JSON",
      description: "Free-form settings (mute, theme, ...); an empty object for non-members.",
      authScopes: (room) => ({ memberView: room.id }),
      unauthorizedResolver: () => ({}),
      resolve: (room) => room.preferences,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the room was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the room last changed (settings, members or a new message)." }),
    lastActivityAt: t.expose("lastActivityAt", { type: "DateTime", description: "Time of the last message, else creation." }),
    lastMessage: t.field({
      type: MessageRef,
      nullable: true,
      description: "The newest message that is not deleted; null for non-members.",
      authScopes: (room) => ({ memberView: room.id }),
      unauthorizedResolver: () => null,
      resolve: async (room, _args, context) => {
        if (!room.lastMessageId) return null;
        const message = await context.loaders.message.load(room.lastMessageId);
        return message && !message.isDeleted ? message : null;
      },
    }),
    memberCount: t.int({
      description: "Participants or subscribers.",
      resolve: (room, _args, context) => context.db.roomMember.count({ where: { roomId: room.id } }),
    }),
    members: t.field({
      type: MembershipConnection,
      description: "Members, earliest first. Empty for non-members of a private room.",
      args: {
        first: t.arg.int({ required: false, description: "Page size, at most 100 (default 50)." }),
        after: t.arg.string({ required: false, description: "pageInfo.endCursor of the previous page; omit for the first page." }),
      },
      authScopes: (room) => ({ memberView: room.id }),
      unauthorizedResolver: () => ({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } }),
      resolve: async (room, args, context) => {
        const first = pageSizeArg(args.first, "first");
        const after = args.after ? decodeCursor(args.after, "after", isActivityCursor) : null;
        const rows = await context.db.roomMember.findMany({
          where: { roomId: room.id, ...afterTimeCursor(after, "joinedAt", "userId", "asc") },
          orderBy: [{ joinedAt: "asc" }, { userId: "asc" }],
          take: first + 1,
        });
        return forwardPage(
          rows.map((row) => ({ room, userId: row.userId, joinedAt: row.joinedAt })),
          first,
          (row) => timeCursor(row.joinedAt, row.userId),
          after !== null,
        );
      },
    }),
    viewerRole: t.field({
      type: MemberRoleEnum,
      nullable: true,
      description: "The viewer's role; null when the viewer is not a member.",
      resolve: (room, _args, context) => context.gate.memberRole(room, viewerOf(context)),
    }),
    viewerCan: t.field({
      type: CapabilitiesRef,
      description: "What the viewer may do here.",
      resolve: (room) => ({ room }),
    }),
    unreadCount: t.int({
      description: "Messages from others after the viewer's last read one; 0 for non-members.",
      resolve: async (room, _args, context) => {
        const member = await context.loaders.member.load({ roomId: room.id, userId: viewerOf(context).id });
        if (!member) return 0;
        return context.db.message.count({
          where: { roomId: room.id, seq: { gt: member.lastReadSeq }, isDeleted: false, senderId: { not: member.userId } },
        });
      },
    }),
  }),
});

// Who runs a group or channel is for its members to know (a public channel shows the rest to all).
const creatorField = (t: any) =>
  t.field({
    type: UserRef,
    nullable: true,
    description: "Who created it; null if that user was deleted, and for non-members.",
    authScopes: (room: Room) => ({ memberView: room.id }),
    unauthorizedResolver: () => null,
    resolve: (room: Room, _args: unknown, context: Context) => (room.creatorId ? context.loaders.user.load(room.creatorId) : null),
  });

async function usersWithRole(context: Context, room: Room, role: string) {
  const rows = await context.db.roomRole.findMany({ where: { roomId: room.id, role }, orderBy: { createdAt: "asc" } });
  return context.loaders.users(rows.map((row) => row.userId));
}

OneToOneChatRef.implement({
  description: "A private chat of exactly two users.",
  interfaces: [RoomRef],
  isTypeOf: (room) => (room as Room).kind === "ONE_TO_ONE",
  fields: (t) => ({
    participants: t.field({
      type: [UserRef],
      description: "Both participants, ordered by user id.",
      resolve: async (room, _args, context) => {
        const rows = await context.db.roomMember.findMany({ where: { roomId: room.id }, orderBy: { userId: "asc" } });
        return context.loaders.users(rows.map((row) => row.userId));
      },
    }),
    peer: t.field({
      type: UserRef,
      nullable: true,
      description: "The other participant, seen from the viewer.",
      resolve: async (room, _args, context) => {
        const other = await context.db.roomMember.findFirst({
          where: { roomId: room.id, userId: { not: viewerOf(context).id } },
        });
        return other ? context.loaders.user.load(other.userId) : null;
      },
    }),
  }),
});

GroupChatRef.implement({
  description: "A group chat.",
  interfaces: [RoomRef],
  isTypeOf: (room) => (room as Room).kind === "GROUP",
  fields: (t) => ({
    creator: creatorField(t),
    admins: t.field({
      type: [UserRef],
      description: "Admins (the creator among them); empty for non-members.",
      authScopes: (room) => ({ memberView: room.id }),
      unauthorizedResolver: () => [],
      resolve: (room, _args, context) => usersWithRole(context, room, DEFAULT_ADMIN_NAMES.group),
    }),
    locked: t.exposeBoolean("locked", { description: "Only the creator and admins may post." }),
    joinApprovalRequired: t.exposeBoolean("joinApprovalRequired", {
      description: "Informational: groups are always joined by invitation.",
    }),
    maxParticipants: t.exposeInt("maxMembers", { description: "Most participants the group takes; adding past it is refused." }),
  }),
});

ChannelRef.implement({
  description: "A broadcast channel.",
  interfaces: [RoomRef],
  isTypeOf: (room) => (room as Room).kind === "CHANNEL",
  fields: (t) => ({
    creator: creatorField(t),
    moderators: t.field({
      type: [UserRef],
      description: "Moderators (the creator among them); empty for non-members.",
      authScopes: (room) => ({ memberView: room.id }),
      unauthorizedResolver: () => [],
      resolve: (room, _args, context) => usersWithRole(context, room, DEFAULT_ADMIN_NAMES.channel),
    }),
    isPublic: t.exposeBoolean("isPublic", { description: "Anyone may join a public channel." }),
    maxSubscribers: t.exposeInt("maxMembers", { description: "Most subscribers the channel takes; adding or joining past it is refused." }),
  }),
});

const RoomConnection = connectionRef("Room", RoomRef as any, "Rooms, most recent activity first.");
const ChannelConnection = connectionRef("Channel", ChannelRef, "Channels, most recent activity first.");

/** Rooms matching `where`, ordered by (lastActivityAt desc, id desc), one page after `after`. */
async function activityPage(context: Context, where: object, first: number, after: string | null | undefined) {
  const cursor: ActivityCursor | null = after ? decodeCursor(after, "after", isActivityCursor) : null;
  const rows = await context.db.room.findMany({
    where: { ...where, ...afterTimeCursor(cursor, "lastActivityAt", "id", "desc") },
    orderBy: [{ lastActivityAt: "desc" }, { id: "desc" }],
    take: first + 1,
  });
  return forwardPage(rows, first, (room) => timeCursor(room.lastActivityAt, room.id), cursor !== null);
}

builder.queryFields((t) => ({
  room: t.field({
    type: RoomRef,
    description: "One room the viewer is a member of. NOT_FOUND for a room the viewer may not know exists.",
    args: { id: t.arg.id({ required: true, description: "The room's id." }) },
    authScopes: (_root, args) => ({ roomMember: String(args.id) }),
    resolve: async (_root, args, context) => (await context.gate.room(String(args.id)))[1],
  }),
  rooms: t.field({
    type: RoomConnection,
    description: "The viewer's rooms, most recent activity first.",
    args: {
      first: t.arg.int({ required: false, description: "Page size, at most 100 (default 50)." }),
      after: t.arg.string({ required: false, description: "pageInfo.endCursor of the previous page; omit for the first page." }),
    },
    authScopes: { authenticated: true },
    resolve: (_root, args, context) =>
      activityPage(context, { members: { some: { userId: viewerOf(context).id } } }, pageSizeArg(args.first, "first"), args.after),
  }),
  publicChannels: t.field({
    type: ChannelConnection,
    description:
      "Public channels anyone may join, most recent activity first. Non-members see their public facts " +
      "(name, description, member count, ...): preferences are empty, creator null, moderators and members empty.",
    args: {
      first: t.arg.int({ required: false, description: "Page size, at most 100 (default 50)." }),
      after: t.arg.string({ required: false, description: "pageInfo.endCursor of the previous page; omit for the first page." }),
    },
    authScopes: { authenticated: true },
    resolve: (_root, args, context) =>
      activityPage(context, { kind: "CHANNEL", isPublic: true }, pageSizeArg(args.first, "first"), args.after),
  }),
}));
