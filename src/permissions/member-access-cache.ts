// Each (room, user)'s membership, roles and grants, kept in memory per instance. An entry is
// valid for one Room.accessVersion only: every change of who may do what bumps that version in
// the same transaction, and every check reads the room row fresh, so a cached answer is never
// used after a change committed, on this instance or any other. No event has to reach us first.
import type { Room } from "../generated/sqlite/client.js";
import type { MemberAccess } from "../db/sql/hot-path.js";

/** Entries kept; the least recently used goes first. About 200 bytes each. */
const DEFAULT_LIMIT = 50_000;

interface Entry {
  version: number;
  access: MemberAccess;
}

export class MemberAccessCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** The user's access to the room at its current accessVersion, loaded when not known. */
  async get(room: Room, userId: string, load: () => Promise<MemberAccess>): Promise<MemberAccess> {
    const version = (room as Partial<Room>).accessVersion;
    // A room object without a version (built by hand in a handler) cannot be checked: load.
    if (typeof version !== "number") return load();
    const key = `${room.id}\u0000${userId}`;
    const hit = this.entries.get(key);
    if (hit?.version === version) {
      // Map order is insertion order: re-inserting marks it as recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.access;
    }
    // Loaded after the room row was read, so it is at least as new as `version`.
    const access = await load();
    this.entries.delete(key);
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { version, access });
    return access;
  }

  get size(): number {
    return this.entries.size;
  }
}
