// What each change announces, published after its transaction committed. One place maps
// outcomes to events, so every mutation that changes membership tells rooms and users alike.
import type { RealtimeHub } from "./hub.js";

export function announceMembersAdded(hub: RealtimeHub, roomId: string, userIds: readonly string[]): void {
  if (userIds.length === 0) return;
  hub.publishRoom({ kind: "MEMBERS_ADDED", roomId, userIds: [...userIds] });
  for (const userId of userIds) hub.publishUser({ kind: "ADDED_TO_ROOM", roomId, userId });
}

export function announceMembersRemoved(
  hub: RealtimeHub,
  roomId: string,
  userIds: readonly string[],
  roomDeleted: boolean,
): void {
  if (userIds.length > 0) {
    hub.publishRoom({ kind: "MEMBERS_REMOVED", roomId, userIds: [...userIds] });
    for (const userId of userIds) hub.publishUser({ kind: "REMOVED_FROM_ROOM", roomId, userId, roomDeleted });
  }
  if (roomDeleted) hub.publishRoom({ kind: "ROOM_DELETED", roomId, userIds: [...userIds] });
}

export function announceRoomDeleted(hub: RealtimeHub, roomId: string, formerMembers: readonly string[]): void {
  hub.publishRoom({ kind: "ROOM_DELETED", roomId, userIds: [...formerMembers] });
  for (const userId of formerMembers) hub.publishUser({ kind: "REMOVED_FROM_ROOM", roomId, userId, roomDeleted: true });
}

/** Settings, roles or grants changed. */
export function announceRoomUpdated(hub: RealtimeHub, roomId: string): void {
  hub.publishRoom({ kind: "ROOM_UPDATED", roomId });
}
