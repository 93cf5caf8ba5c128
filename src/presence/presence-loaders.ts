// Per-operation batch loaders of presence: a page of 100 members asks who is online in one
// lookup (one Redis round trip) and reads the last-seen times of the offline ones in one query.
// They batch but do not cache: presence changes at any time, and an SSE subscription keeps its
// context (and so these loaders) for as long as it streams.
import DataLoader from "dataloader";
import type { Db } from "../db/client.js";
import { MAX_BATCH_KEYS } from "../db/loaders.js";
import type { Presence } from "./presence.js";

export type PresenceLoaders = ReturnType<typeof createPresenceLoaders>;

export function createPresenceLoaders(presence: Presence, db: Db) {
  const online = new DataLoader<string, boolean>(
    async (userIds) => {
      const found = await presence.onlineAmong(userIds);
      return userIds.map((userId) => found.has(userId));
    },
    { maxBatchSize: MAX_BATCH_KEYS, cache: false },
  );
  /** Offline users' last-seen times, read fresh (a User row at hand may be older: the signed-in
   * viewer's is remembered across requests). */
  const stored = new DataLoader<string, Date | null>(
    async (userIds) => {
      const rows = await db.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, lastSeenAt: true } });
      const byId = new Map(rows.map((row) => [row.id, row.lastSeenAt]));
      return userIds.map((userId) => byId.get(userId) ?? null);
    },
    { maxBatchSize: MAX_BATCH_KEYS, cache: false },
  );
  return {
    online,
    /** Now for an online user (they are being seen), else when their last connection closed;
     * null if they were never seen. */
    lastSeenAt: async (userId: string): Promise<Date | null> => ((await online.load(userId)) ? new Date() : stored.load(userId)),
  };
}
