// What each change announces, after its transaction committed: the events subscribers receive
// (on every instance, through the bus) and the call of the application's ChatEventHandler (on this
// instance only, so exactly once per change). One place maps outcomes to both, so a mutation
// cannot tell one and forget the other.
import type { LoadedMessage } from "../db/loaders.js";
import type { ReactionChange, SentMessage } from "../db/messages.js";
import type { EventDispatcher } from "../events/event-dispatcher.js";
import type { Room } from "../generated/sqlite/client.js";
import type { RealtimeHub } from "./hub.js";

/** Where announcements go: the operation's Context has both. */
export interface Outlets {
  realtime: RealtimeHub;
  events: EventDispatcher;
}

/** A message was stored now (not an idempotent retry: the caller checks `sent.created`). `payload`
 * hands the written row to local subscribers without a read back. */
export function announceMessageSent(out: Outlets, sent: SentMessage, room: Room, payload?: LoadedMessage): void {
  out.realtime.publishMessage({ kind: "MESSAGE_ADDED", roomId: sent.roomId, seq: sent.seq, messageId: sent.message.id }, payload);
  // One boolean test when the handler ignores sends: the send path stays as it was.
  out.events.messageSent(sent.message, sent.attachments ?? [], room);
}

/** A reaction was set or removed by `actorId`; a new one may have notified the message's sender. */
export function announceReaction(out: Outlets, change: ReactionChange, actorId: string): void {
  if (!change.changed) return;
  out.realtime.publishRoom({ kind: "REACTION_CHANGED", roomId: change.roomId, messageId: change.messageId, userId: actorId });
  const { notification } = change;
  if (notification) {
    out.realtime.publishUser({
      kind: "NOTIFICATION_ADDED",
      roomId: change.roomId,
      userId: notification.userId,
      notificationId: notification.id,
    });
    out.events.notificationCreated({
      id: notification.id,
      kind: "REACTION",
      userId: notification.userId,
      roomId: change.roomId,
      messageId: change.messageId,
      actorId,
      createdAt: notification.createdAt,
    });
  }
}

function publishMembersAdded(hub: RealtimeHub, roomId: string, userIds: readonly string[]): void {
  hub.publishRoom({ kind: "MEMBERS_ADDED", roomId, userIds: [...userIds] });
  for (const userId of userIds) hub.publishUser({ kind: "ADDED_TO_ROOM", roomId, userId });
}

/** A room was created with these members (the creator first). */
export function announceRoomCreated(out: Outlets, room: Room, memberIds: readonly string[], by: string): void {
  publishMembersAdded(out.realtime, room.id, memberIds);
  out.events.roomCreated(room, memberIds, by);
}

/** Users joined an existing room (added by `by`, or `by` joined). */
export function announceMembersAdded(out: Outlets, room: Room, userIds: readonly string[], by: string): void {
  if (userIds.length === 0) return;
  publishMembersAdded(out.realtime, room.id, userIds);
  out.events.membersChanged(room, userIds, [], by);
}

/** Users left a room (removed by `by`, or `by` left); the last one leaving deleted it. */
export function announceMembersRemoved(
  out: Outlets,
  room: Room,
  userIds: readonly string[],
  roomDeleted: boolean,
  by: string,
): void {
  const roomId = room.id;
  if (userIds.length > 0) {
    out.realtime.publishRoom({ kind: "MEMBERS_REMOVED", roomId, userIds: [...userIds] });
    for (const userId of userIds) out.realtime.publishUser({ kind: "REMOVED_FROM_ROOM", roomId, userId, roomDeleted });
  }
  if (roomDeleted) {
    out.realtime.publishRoom({ kind: "ROOM_DELETED", roomId, userIds: [...userIds] });
    // The handler hears of the deletion only: formerMembers names who were removed with it.
    out.events.roomDeleted(room, userIds, by);
  } else {
    out.events.membersChanged(room, [], userIds, by);
  }
}

/** A room was deleted with all its members (deleteRoom). */
export function announceRoomDeleted(out: Outlets, room: Room, formerMembers: readonly string[], by: string): void {
  out.realtime.publishRoom({ kind: "ROOM_DELETED", roomId: room.id, userIds: [...formerMembers] });
  for (const userId of formerMembers) {
    out.realtime.publishUser({ kind: "REMOVED_FROM_ROOM", roomId: room.id, userId, roomDeleted: true });
  }
  out.events.roomDeleted(room, formerMembers, by);
}

/** Settings, roles or grants changed (subscribers only: no event handler method is about it). */
export function announceRoomUpdated(hub: RealtimeHub, roomId: string): void {
  hub.publishRoom({ kind: "ROOM_UPDATED", roomId });
}
