// What travels between instances: small records of ids, kinds and sequence numbers (never rows;
// every instance loads what its subscribers need once per event). Topic names live only here.

/** Events of one room, published on `room:<roomId>` after the change committed. */
export type RoomEvent =
  | { kind: "MESSAGE_ADDED"; roomId: string; seq: number; messageId: string }
  | { kind: "MESSAGE_EDITED"; roomId: string; messageId: string }
  | { kind: "MESSAGES_DELETED"; roomId: string; messageIds: string[] }
  | { kind: "REACTION_CHANGED"; roomId: string; messageId: string; userId: string }
  | { kind: "READ_RECEIPT"; roomId: string; messageIds: string[]; userId: string }
  | { kind: "DELIVERY_ACK"; roomId: string; messageIds: string[]; userId: string }
  | { kind: "TYPING"; roomId: string; userId: string }
  | { kind: "MEMBERS_ADDED"; roomId: string; userIds: string[] }
  | { kind: "MEMBERS_REMOVED"; roomId: string; userIds: string[] }
  | { kind: "ROOM_UPDATED"; roomId: string }
  | { kind: "ROOM_DELETED"; roomId: string; userIds: string[] }
  // Never published on a room's topic: each instance makes one per local room from a PresenceEvent.
  | { kind: "PRESENCE_CHANGED"; roomId: string; userId: string; online: boolean; lastSeenAt: string };

/** Events of one user, published on `user:<userId>`. */
export type UserEvent =
  | { kind: "ADDED_TO_ROOM"; roomId: string; userId: string }
  | { kind: "REMOVED_FROM_ROOM"; roomId: string; userId: string; roomDeleted: boolean }
  | { kind: "NOTIFICATION_ADDED"; roomId: string; userId: string; notificationId: string };

/** A user came online or went offline: published once per change on `presenceTopic`, whatever
 * the number of rooms; each instance hands it to its local subscribers of the user's rooms. */
export interface PresenceEvent {
  userId: string;
  online: boolean;
  /** ISO time: now when online, when the last connection closed when offline. */
  lastSeenAt: string;
}

export type RoomEventKind = RoomEvent["kind"];

export const roomTopic = (roomId: string) => `room:${roomId}`;
export const userTopic = (userId: string) => `user:${userId}`;
/** Under PRESENCE_KEY_PREFIX: servers that share a Redis but not a database keep apart. */
export const presenceTopic = (prefix: string) => `${prefix}changed`;

/** Room events that change who is a member. */
export function membershipChange(event: RoomEvent): { added: string[]; removed: string[] } | null {
  switch (event.kind) {
    case "MEMBERS_ADDED":
      return { added: event.userIds, removed: [] };
    case "MEMBERS_REMOVED":
    case "ROOM_DELETED":
      return { added: [], removed: event.userIds };
    default:
      return null;
  }
}
