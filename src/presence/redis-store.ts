// Presence shared by the instances through Redis. Keys, under PRESENCE_KEY_PREFIX:
//   instances          sorted set: instance id → its last heartbeat (Redis clock, epoch ms)
//   instance:<id>      set: the users that instance has (connected, or within their grace)
//   user:<userId>      set: the instances that have the user; online while it is not empty
// Every change of membership runs in a Lua script, so "the first instance in" and "the last one
// out" are decided atomically: exactly one instance announces each change.
//
// An instance heartbeats every PRESENCE_TTL_MS / 3. An instance whose heartbeat is older than
// PRESENCE_TTL_MS is dead: every instance sweeps for such on its own heartbeat, and the script
// that removes a dead instance (ZREM inside it) hands its users with no other instance to the one
// sweeper that removed it, which announces them offline as of that last heartbeat. So the users of
// an instance killed without shutdown go offline within PRESENCE_TTL_MS × 4/3.
//
// Redis away: commands fail at once (no offline queue); the tracker then answers from this
// instance's connections, and the next heartbeat that reaches Redis puts this instance's users
// back as they are now (announcing who came and went meanwhile). So does a heartbeat that finds
// this instance swept (a process paused for longer than the TTL).
import { randomUUID } from "node:crypto";
import type { Redis as RedisClient } from "ioredis";
import { closeRedis, connectFailFastRedis } from "../redis-connection.js";
import { PresenceTracker, type PresenceChange, type PresenceOptions, type PresenceStore } from "./presence.js";

/** How long a presence command waits for Redis before the local view answers. */
const COMMAND_TIMEOUT_MS = 500;

/** Redis's clock in epoch ms, so that instances with skewed clocks agree on who is late. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const SCRIPTS = {
  // ARGV: prefix, instance, user → 1 when no instance had the user.
  presenceArrive: `
    local p, inst, user = ARGV[1], ARGV[2], ARGV[3]
    redis.call('SADD', p .. 'instance:' .. inst, user)
    if redis.call('SADD', p .. 'user:' .. user, inst) == 1 and redis.call('SCARD', p .. 'user:' .. user) == 1 then return 1 end
    return 0`,
  // ARGV: prefix, instance, user → 1 when no instance has the user any more.
  presenceDepart: `
    local p, inst, user = ARGV[1], ARGV[2], ARGV[3]
    redis.call('SREM', p .. 'instance:' .. inst, user)
    if redis.call('SREM', p .. 'user:' .. user, inst) == 1 and redis.call('EXISTS', p .. 'user:' .. user) == 0 then return 1 end
    return 0`,
  // ARGV: prefix, users... → 1 or 0 per user.
  presenceOnline: `
    local out = {}
    for i = 2, #ARGV do out[#out + 1] = redis.call('EXISTS', ARGV[1] .. 'user:' .. ARGV[i]) end
    return out`,
  // ARGV: prefix, instance → 1 when the instance was not registered (new, or swept as dead).
  presenceHeartbeat: `
    ${NOW}
    return redis.call('ZADD', ARGV[1] .. 'instances', now, ARGV[2])`,
  // ARGV: prefix, ttl → user, last heartbeat, user, last heartbeat... of the users of dead
  // instances left on none. Removing the instance in here is the claim: one sweeper gets them.
  presenceSweep: `
    ${NOW}
    local p = ARGV[1]
    local dead = redis.call('ZRANGEBYSCORE', p .. 'instances', '-inf', now - tonumber(ARGV[2]), 'WITHSCORES')
    local out = {}
    for i = 1, #dead, 2 do
      local inst, beat = dead[i], dead[i + 1]
      redis.call('ZREM', p .. 'instances', inst)
      for _, user in ipairs(redis.call('SMEMBERS', p .. 'instance:' .. inst)) do
        local key = p .. 'user:' .. user
        if redis.call('SREM', key, inst) == 1 and redis.call('EXISTS', key) == 0 then
          out[#out + 1] = user
          out[#out + 1] = beat
        end
      end
      redis.call('DEL', p .. 'instance:' .. inst)
    end
    return out`,
  // ARGV: prefix, instance, users... (this instance's users now) → user, "1" (came online) or
  // "0" (went offline), ... for the changes that putting the instance's entries right made.
  presenceSync: `
    local p, inst = ARGV[1], ARGV[2]
    local own = p .. 'instance:' .. inst
    local want = {}
    for i = 3, #ARGV do want[ARGV[i]] = true end
    local out = {}
    for _, user in ipairs(redis.call('SMEMBERS', own)) do
      if not want[user] then
        local key = p .. 'user:' .. user
        redis.call('SREM', own, user)
        if redis.call('SREM', key, inst) == 1 and redis.call('EXISTS', key) == 0 then
          out[#out + 1] = user
          out[#out + 1] = '0'
        end
      end
    end
    for user in pairs(want) do
      local key = p .. 'user:' .. user
      redis.call('SADD', own, user)
      if redis.call('SADD', key, inst) == 1 and redis.call('SCARD', key) == 1 then
        out[#out + 1] = user
        out[#out + 1] = '1'
      end
    end
    return out`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptedRedis = RedisClient & Record<ScriptName, (...args: Array<string | number>) => Promise<unknown>>;

export interface RedisPresenceOptions extends PresenceOptions {
  url: string;
  /** PRESENCE_KEY_PREFIX */
  prefix: string;
  /** PRESENCE_TTL_MS */
  ttlMs: number;
  onRedisError?: (error: Error) => void;
  onRedisReady?: () => void;
}

export class RedisPresenceStore implements PresenceStore {
  readonly instanceId = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  /** Set when a write may not have reached Redis: the next heartbeat puts the entries right. */
  private outOfSync = false;
  private beating: Promise<void> = Promise.resolve();
  private session: { localUsers(): string[]; announce(change: PresenceChange): Promise<void> } | null = null;
  private closing = false;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly options: Pick<RedisPresenceOptions, "prefix" | "ttlMs" | "onRedisError">,
  ) {}

  static async connect(options: RedisPresenceOptions): Promise<RedisPresenceStore> {
    const redis = await connectFailFastRedis(options.url, { ...options, commandTimeoutMs: COMMAND_TIMEOUT_MS });
    for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    return new RedisPresenceStore(redis as ScriptedRedis, options);
  }

  /** Starts heartbeating (and sweeping); `localUsers` and `announce` come from the tracker. */
  start(session: { localUsers(): string[]; announce(change: PresenceChange): Promise<void> }): void {
    this.session = session;
    const beat = () => {
      if (this.closing) return;
      this.beating = this.heartbeat();
      this.timer = setTimeout(() => void this.beating.then(beat), Math.max(50, Math.floor(this.options.ttlMs / 3)));
      // A stopping process does not wait for it.
      this.timer.unref();
    };
    beat();
  }

  private get prefix(): string {
    return this.options.prefix;
  }

  private failed(error: unknown): never {
    this.outOfSync = true;
    throw error;
  }

  async arrive(userId: string): Promise<boolean> {
    const first = await this.redis.presenceArrive(this.prefix, this.instanceId, userId).catch((error) => this.failed(error));
    return first === 1;
  }

  async depart(userId: string): Promise<boolean> {
    const last = await this.redis.presenceDepart(this.prefix, this.instanceId, userId).catch((error) => this.failed(error));
    return last === 1;
  }

  async onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    const flags = (await this.redis.presenceOnline(this.prefix, ...userIds)) as number[];
    return new Set(userIds.filter((_, i) => flags[i] === 1));
  }

  private async heartbeat(): Promise<void> {
    const session = this.session;
    if (!session) return;
    try {
      const missing = (await this.redis.presenceHeartbeat(this.prefix, this.instanceId)) === 1;
      if (missing || this.outOfSync) await this.sync(session.localUsers());
      const gone = (await this.redis.presenceSweep(this.prefix, this.options.ttlMs)) as string[];
      for (let i = 0; i < gone.length; i += 2) {
        await session.announce({ userId: gone[i]!, online: false, at: new Date(Number(gone[i + 1])) });
      }
    } catch (error) {
      this.outOfSync = true;
      this.options.onRedisError?.(new Error(`presence heartbeat: ${(error as Error).message}`));
    }
  }

  /** Makes this instance's entries `users`, announcing the changes that makes. */
  private async sync(users: string[]): Promise<void> {
    const changes = (await this.redis.presenceSync(this.prefix, this.instanceId, ...users)) as string[];
    this.outOfSync = false;
    const at = new Date();
    for (let i = 0; i < changes.length; i += 2) {
      await this.session?.announce({ userId: changes[i]!, online: changes[i + 1] === "1", at });
    }
  }

  /** Removes this instance: what the tracker could not depart goes now, then the instance. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.beating;
    try {
      await this.sync([]);
      await this.redis.zrem(`${this.prefix}instances`, this.instanceId);
    } catch (error) {
      // The others sweep this instance once its heartbeat is old enough.
      this.options.onRedisError?.(new Error(`presence: could not leave Redis: ${(error as Error).message}`));
    }
    this.session = null;
    await closeRedis(this.redis);
  }
}

export async function createRedisPresence(options: RedisPresenceOptions): Promise<PresenceTracker> {
  const store = await RedisPresenceStore.connect(options);
  const tracker = new PresenceTracker(store, options);
  store.start({ localUsers: () => tracker.localUsers(), announce: async (change) => options.announce(change) });
  return tracker;
}
