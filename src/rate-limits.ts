// Per-user write budgets. Every mutation spends from one budget class, and each class allows so
// many calls per user per window (a fixed window that starts with the first call). With REDIS_URL
// set the counters live in Redis, so all instances count together; without it, in this process.
// createChatServer makes one set per server: two servers in one process never count together
// unless they share a Redis and RATE_LIMIT_KEY_PREFIX on purpose.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "./config.js";
import { RateLimitedError } from "./errors.js";
import { LIMITS } from "./limits.js";
import { closeRedis, connectFailFastRedis } from "./redis-connection.js";

export type BudgetClass =
  | "messages"
  | "reactions"
  | "edits"
  | "roomCreation"
  | "roomAdmin"
  | "membership"
  | "readMarkers"
  | "typing";

/** The budget each mutation spends from. The schema build fails for a mutation missing here,
 * so a new write cannot ship without a budget (src/schema/write-budget-plugin.ts). */
export const MUTATION_BUDGETS: Readonly<Record<string, BudgetClass>> = {
  sendMessage: "messages",
  react: "reactions",
  removeReaction: "reactions",
  editMessage: "edits",
  deleteMessages: "edits",
  createOneToOneChat: "roomCreation",
  createGroupChat: "roomCreation",
  createChannel: "roomCreation",
  updateRoom: "roomAdmin",
  deleteRoom: "roomAdmin",
  addAdmins: "roomAdmin",
  removeAdmins: "roomAdmin",
  addModerators: "roomAdmin",
  removeModerators: "roomAdmin",
  grantPermissions: "roomAdmin",
  revokePermissions: "roomAdmin",
  addMember: "membership",
  addMembers: "membership",
  removeMember: "membership",
  removeMembers: "membership",
  joinRoom: "membership",
  leaveRoom: "membership",
  markRead: "readMarkers",
  acknowledgeDelivery: "readMarkers",
  setTyping: "typing",
};

export type RateLimitConfig = Pick<
  Config,
  | "REDIS_URL"
  | "RATE_LIMIT_KEY_PREFIX"
  | "RATE_LIMIT_MESSAGES_PER_MINUTE"
  | "RATE_LIMIT_REACTIONS_PER_MINUTE"
  | "RATE_LIMIT_EDITS_PER_MINUTE"
  | "RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE"
  | "RATE_LIMIT_ROOM_ADMIN_PER_MINUTE"
  | "RATE_LIMIT_MEMBERSHIP_PER_MINUTE"
  | "RATE_LIMIT_READ_MARKERS_PER_MINUTE"
>;

interface Budget {
  points: number;
  seconds: number;
  refusal: string;
}

function budgetsOf(config: RateLimitConfig): Record<BudgetClass, Budget> {
  const perMinute = (points: number, what: string): Budget => ({ points, seconds: 60, refusal: `At most ${points} ${what} a minute.` });
  return {
    messages: perMinute(config.RATE_LIMIT_MESSAGES_PER_MINUTE, "messages"),
    reactions: perMinute(config.RATE_LIMIT_REACTIONS_PER_MINUTE, "reaction changes"),
    edits: perMinute(config.RATE_LIMIT_EDITS_PER_MINUTE, "edits or deletions"),
    roomCreation: perMinute(config.RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE, "new rooms"),
    roomAdmin: perMinute(config.RATE_LIMIT_ROOM_ADMIN_PER_MINUTE, "room settings, role or permission changes"),
    membership: perMinute(config.RATE_LIMIT_MEMBERSHIP_PER_MINUTE, "membership changes"),
    readMarkers: perMinute(config.RATE_LIMIT_READ_MARKERS_PER_MINUTE, "read or delivery markers"),
    typing: { points: 1, seconds: LIMITS.typingIntervalMs / 1000, refusal: "Typing is announced at most once a second." },
  };
}

/** Typing is limited per user and room; every other class per user. */
function keyOf(budget: BudgetClass, userId: string, args: Record<string, unknown>): string {
  return budget === "typing" ? `${String(args.roomId)}:${userId}` : userId;
}

export interface RateLimits {
  /** Counts one call of `mutation` by `userId`; past its budget throws RATE_LIMITED with
   * `retryAfterMs`. Never throws anything else: a failing store lets the call through. */
  spend(mutation: string, userId: string, args: Record<string, unknown>): Promise<void>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

export interface RateLimitOptions {
  /** Redis errors (connection lost, command failed); the call was counted in memory instead. */
  onRedisError?: (error: Error) => void;
  /** Called when the Redis connection is (again) ready. */
  onRedisReady?: () => void;
}

/** How long a rate check waits for Redis before it counts in memory instead. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

export async function createRateLimits(config: RateLimitConfig, options: RateLimitOptions = {}): Promise<RateLimits> {
  const budgets = budgetsOf(config);
  // Its own connection, failing fast (not the event bus's, whose commands wait for Redis).
  const redis = config.REDIS_URL
    ? await connectFailFastRedis(config.REDIS_URL, { ...options, commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS })
    : undefined;
  const limiters = {} as Record<BudgetClass, RateLimiterAbstract>;
  for (const [name, { points, seconds }] of Object.entries(budgets) as [BudgetClass, Budget][]) {
    const memory = new RateLimiterMemory({ points, duration: seconds });
    limiters[name] = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          points,
          duration: seconds,
          keyPrefix: `${config.RATE_LIMIT_KEY_PREFIX}${name}`,
          // Redis away: refuse to wait and count in this process's memory (the insurance) until it
          // returns, so writes go on under a per-instance limit instead of failing or stalling.
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;
  }
  return {
    async spend(mutation, userId, args) {
      const budget = MUTATION_BUDGETS[mutation];
      if (!budget) throw new Error(`Mutation.${mutation} has no write budget`);
      try {
        await limiters[budget].consume(keyOf(budget, userId, args));
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) throw new RateLimitedError(budgets[budget].refusal, Math.max(1, refusal.msBeforeNext));
        // Only the in-memory insurance answers after a Redis error, and it does not fail; should
        // anything else go wrong, the write goes through rather than fail with an internal error.
        options.onRedisError?.(refusal as Error);
      }
    },
    async close() {
      if (redis) await closeRedis(redis);
    },
  };
}
