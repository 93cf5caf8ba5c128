// References to the object types that several schema files point at. Declaring them here, and
// implementing each in its own file, keeps the schema files free of import cycles.
import type { Message, Room, User } from "../generated/sqlite/client.js";
import { builder } from "./builder.js";

export const UserRef = builder.objectRef<User>("User");
export const RoomRef = builder.interfaceRef<Room>("Room");
export const OneToOneChatRef = builder.objectRef<Room>("OneToOneChat");
export const GroupChatRef = builder.objectRef<Room>("GroupChat");
export const ChannelRef = builder.objectRef<Room>("Channel");
export const MessageRef = builder.objectRef<Message>("Message");

export const RoomKindEnum = builder.enumType("RoomKind", {
  description: "The three kinds of room.",
  values: {
    ONE_TO_ONE: { description: "A private chat of exactly two users." },
    GROUP: { description: "A group chat: participants, with the creator and admins in charge." },
    CHANNEL: { description: "A broadcast channel: subscribers read, the creator and moderators post." },
  } as const,
});

export const RoomPermissionEnum = builder.enumType("RoomPermission", {
  description: "A permission granted to one member of one room.",
  values: {
    CAN_ADD_NEW_PARTICIPANTS: { description: "Groups: add participants." },
    CAN_REMOVE_PARTICIPANTS: { description: "Groups: remove participants." },
    CAN_ADD_NEW_SUBSCRIBERS: { description: "Channels: add subscribers." },
    CAN_REMOVE_SUBSCRIBERS: { description: "Channels: remove subscribers." },
    CAN_SEND_MESSAGES: { description: "Channels: post messages." },
  } as const,
});
