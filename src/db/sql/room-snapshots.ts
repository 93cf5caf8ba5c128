// The last row of each room this instance read or wrote, for send checks only. A send is decided
// on the room's accessVersion, and its insert is refused when that version moved (every change of
// members, roles, grants or settings bumps it); then the snapshot is dropped and the send decided
// again on a fresh row. So a warm send reads nothing before its insert, and no snapshot can
// extend a revoked permission. Every other check reads the room fresh.
import type { Room } from "../../generated/sqlite/client.js";
import type { HotPath, HotPathStatements, PendingSend, SendOutcome } from "./hot-path.js";

/** Rooms remembered; the least recently used goes first. */
const ROOM_SNAPSHOTS = 10_000;

export function withRoomSnapshots(hotPath: HotPathStatements): HotPath {
  const rooms = new Map<string, Room>();
  const remember = (room: Room) => {
    rooms.delete(room.id);
    if (rooms.size >= ROOM_SNAPSHOTS) rooms.delete(rooms.keys().next().value as string);
    rooms.set(room.id, room);
  };
  /** A refused insert means the snapshot it was decided on is outdated (or the room gone). */
  const learn = (send: PendingSend, outcome: SendOutcome) => {
    if (outcome.kind === "stale" || outcome.kind === "missing") rooms.delete(send.roomId);
  };
  return {
    ...hotPath,
    async room(roomId) {
      const room = await hotPath.room(roomId);
      if (room) remember(room);
      else rooms.delete(roomId);
      return room;
    },
    async roomForSend(roomId) {
      const known = rooms.get(roomId);
      if (!known) return this.room(roomId);
      remember(known);
      return known;
    },
    async insertMessages(sends) {
      const outcomes = await hotPath.insertMessages(sends);
      outcomes.forEach((outcome, i) => learn(sends[i]!, outcome));
      return outcomes;
    },
    async storeMessage(send) {
      const outcome = await hotPath.storeMessage(send);
      learn(send, outcome);
      return outcome;
    },
  };
}
