// Creating, updating and deleting rooms.
import type { Prisma, Room } from "../generated/sqlite/client.js";
import { viewerOf } from "../context.js";
import type { Context } from "../context.js";
import { createRoom, deleteRoom, openOneToOneChat, updateRoom, type NewRoom } from "../db/rooms.js";
import { BadUserInputError } from "../errors.js";
import {
  DEFAULT_MAX_PARTICIPANTS,
  DEFAULT_MAX_SUBSCRIBERS,
  LIMITS,
} from "../limits.js";
import { checkId } from "../permissions/permission-helpers.js";
import { announceRoomCreated, announceRoomDeleted, announceRoomUpdated } from "../realtime/publish.js";
import { builder } from "./builder.js";
import { ChannelRef, GroupChatRef, OneToOneChatRef, RoomRef } from "./refs.js";
import { idsArg, intArg, jsonObjectArg, textArg, urlArg } from "./validate.js";

const CreateGroupChatInput = builder.inputType("CreateGroupChatInput", {
  description: "A new group chat. The creator becomes participant and admin.",
  fields: (t) => ({
    name: t.string({ required: true, description: `At most ${LIMITS.nameLength} characters.` }),
    description: t.string({ required: false, description: `Free text shown with the group, at most ${LIMITS.descriptionLength} characters.` }),
    participantIds: t.idList({ required: false, description: `Other participants (at most ${LIMITS.idsPerList}).` }),
    locked: t.boolean({ required: false, description: "Only the creator and admins may post. Default false." }),
    joinApprovalRequired: t.boolean({ required: false, description: "Informational. Default false." }),
    maxParticipants: t.int({ required: false, description: `Default ${DEFAULT_MAX_PARTICIPANTS}, at most ${LIMITS.maxGroupParticipants}.` }),
    avatarUrl: t.string({ required: false, description: `An http(s) URL of a picture, at most ${LIMITS.urlLength} characters.` }),
    preferences: t.field({ type: "JSON", required: false, description: "A JSON object." }),
  }),
});

const CreateChannelInput = builder.inputType("CreateChannelInput", {
  description: "A new channel. The creator becomes subscriber and moderator.",
  fields: (t) => ({
    name: t.string({ required: true, description: `At most ${LIMITS.nameLength} characters.` }),
    description: t.string({ required: false, description: `Free text shown with the channel, at most ${LIMITS.descriptionLength} characters.` }),
    subscriberIds: t.idList({ required: false, description: `Other subscribers (at most ${LIMITS.idsPerList}).` }),
    isPublic: t.boolean({ required: false, description: "Anyone may join. Default false." }),
    maxSubscribers: t.int({ required: false, description: `Default ${DEFAULT_MAX_SUBSCRIBERS}, at most ${LIMITS.maxChannelSubscribers}.` }),
    avatarUrl: t.string({ required: false, description: `An http(s) URL of a picture, at most ${LIMITS.urlLength} characters.` }),
    preferences: t.field({ type: "JSON", required: false, description: "A JSON object." }),
  }),
});

const UpdateRoomInput = builder.inputType("UpdateRoomInput", {
  description:
    "Settings to change; omitted fields stay. null clears description and avatarUrl. " +
    "One-to-one chats only have preferences; locked and joinApprovalRequired are for groups, isPublic for channels.",
  fields: (t) => ({
    name: t.string({ required: false, description: `Groups and channels: a new name of at most ${LIMITS.nameLength} characters; cannot be null.` }),
    description: t.string({ required: false, description: `Groups and channels: at most ${LIMITS.descriptionLength} characters; null clears it.` }),
    avatarUrl: t.string({ required: false, description: "Groups and channels: an http(s) URL; null clears it." }),
    locked: t.boolean({ required: false, description: "Groups: only the creator and admins may post." }),
    joinApprovalRequired: t.boolean({ required: false, description: "Groups: informational flag." }),
    isPublic: t.boolean({ required: false, description: "Channels: anyone may join." }),
    preferences: t.field({ type: "JSON", required: false, description: "A JSON object replacing the room's preferences." }),
  }),
});

type UpdateArgs = typeof UpdateRoomInput.$inferInput;

const optionalText = (value: string | null | undefined, field: string, max: number) =>
  value === null || value === undefined ? null : textArg(value, field, max) || null;

/** The columns an update may change in this room, each checked; anything else is refused. */
function roomPatch(room: Room, input: UpdateArgs): Prisma.RoomUpdateInput {
  const allowed: Record<Room["kind"], Array<keyof UpdateArgs>> = {
    ONE_TO_ONE: ["preferences"],
    GROUP: ["name", "description", "avatarUrl", "locked", "joinApprovalRequired", "preferences"],
    CHANNEL: ["name", "description", "avatarUrl", "isPublic", "preferences"],
  };
  const patch: Prisma.RoomUpdateInput = {};
  for (const key of Object.keys(input) as Array<keyof UpdateArgs>) {
    const value = input[key];
    if (value === undefined) continue;
    if (!allowed[room.kind].includes(key)) {
      throw new BadUserInputError(`${key} cannot be set on a ${room.kind.toLowerCase().replace(/_/g, "-")} room.`, key);
    }
    switch (key) {
      case "name":
        if (value === null) throw new BadUserInputError("name cannot be cleared.", "name");
        patch.name = textArg(value as string, "name", LIMITS.nameLength, true);
        break;
      case "description":
        patch.description = optionalText(value as string | null, "description", LIMITS.descriptionLength);
        break;
      case "avatarUrl":
        patch.avatarUrl = value === null ? null : urlArg(value as string, "avatarUrl");
        break;
      case "preferences":
        patch.preferences = jsonObjectArg(value, "preferences") as Prisma.InputJsonObject;
        break;
      default:
        if (value === null) throw new BadUserInputError(`${key} cannot be null.`, key);
        patch[key] = value as boolean;
    }
  }
  if (Object.keys(patch).length === 0) throw new BadUserInputError("input changes nothing.", "input");
  return patch;
}

/** The checked fields groups and channels share, from either create input. */
function commonRoomFields(
  context: Context,
  input: { name: string; description?: string | null; avatarUrl?: string | null; preferences?: unknown },
) {
  return {
    creatorId: viewerOf(context).id,
    name: textArg(input.name, "name", LIMITS.nameLength, true),
    description: optionalText(input.description, "description", LIMITS.descriptionLength),
    avatarUrl: input.avatarUrl ? urlArg(input.avatarUrl, "avatarUrl") : null,
    preferences: (input.preferences === null || input.preferences === undefined
      ? {}
      : jsonObjectArg(input.preferences, "preferences")) as Prisma.InputJsonObject,
  };
}

async function createAndAnnounce(context: Context, input: NewRoom): Promise<Room> {
  const room = await createRoom(context.db, input);
  const memberIds = [input.creatorId, ...input.memberIds.filter((id) => id !== input.creatorId)];
  announceRoomCreated(context, room, memberIds, input.creatorId);
  return room;
}

builder.mutationFields((t) => ({
  createOneToOneChat: t.field({
    type: OneToOneChatRef,
    description: "Opens the chat with another user, or returns the existing one: a pair has one chat.",
    args: { userId: t.arg.id({ required: true, description: "The other user; they must have made a request before." }) },
    authScopes: { canCreateRoom: "ONE_TO_ONE" },
    resolve: async (_root, args, context) => {
      const by = viewerOf(context).id;
      const { room, created } = await openOneToOneChat(context.db, by, checkId(String(args.userId), "user"));
      // An existing chat returned again is no new room.
      if (created) announceRoomCreated(context, room, created, by);
      return room;
    },
  }),
  createGroupChat: t.field({
    type: GroupChatRef,
    description: "Creates a group chat; the viewer becomes its creator, a participant and an admin.",
    args: { input: t.arg({ type: CreateGroupChatInput, required: true, description: "The new group." }) },
    authScopes: { canCreateRoom: "GROUP" },
    resolve: (_root, { input }, context) =>
      createAndAnnounce(context, {
        ...commonRoomFields(context, input),
        kind: "GROUP",
        locked: input.locked ?? false,
        joinApprovalRequired: input.joinApprovalRequired ?? false,
        isPublic: false,
        maxMembers: intArg(input.maxParticipants ?? DEFAULT_MAX_PARTICIPANTS, "maxParticipants", 2, LIMITS.maxGroupParticipants),
        memberIds: input.participantIds?.length ? idsArg(input.participantIds.map(String), "participantIds", "user") : [],
      }),
  }),
  createChannel: t.field({
    type: ChannelRef,
    description: "Creates a channel; the viewer becomes its creator, a subscriber and a moderator.",
    args: { input: t.arg({ type: CreateChannelInput, required: true, description: "The new channel." }) },
    authScopes: { canCreateRoom: "CHANNEL" },
    resolve: (_root, { input }, context) =>
      createAndAnnounce(context, {
        ...commonRoomFields(context, input),
        kind: "CHANNEL",
        locked: false,
        joinApprovalRequired: false,
        isPublic: input.isPublic ?? false,
        maxMembers: intArg(input.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS, "maxSubscribers", 1, LIMITS.maxChannelSubscribers),
        memberIds: input.subscriberIds?.length ? idsArg(input.subscriberIds.map(String), "subscriberIds", "user") : [],
      }),
  }),
  updateRoom: t.field({
    type: RoomRef,
    description: "Changes a room's settings: admins of groups, moderators of channels, either participant of a chat.",
    args: {
      roomId: t.arg.id({ required: true, description: "The room to change." }),
      input: t.arg({ type: UpdateRoomInput, required: true, description: "The settings to change; at least one." }),
    },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "update" } }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.admin(String(args.roomId), "update");
      const updated = await updateRoom(context.db, room.id, roomPatch(room, args.input));
      announceRoomUpdated(context.realtime, room.id);
      return updated;
    },
  }),
  deleteRoom: t.id({
    description: "Deletes a room with its messages: the creator of a group or channel, either participant of a chat.",
    args: { roomId: t.arg.id({ required: true, description: "The room to delete." }) },
    authScopes: (_root, args) => ({ roomAdmin: { roomId: String(args.roomId), action: "delete" } }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.admin(String(args.roomId), "delete");
      announceRoomDeleted(context, room, await deleteRoom(context.db, room.id), viewerOf(context).id);
      return room.id;
    },
  }),
}));
