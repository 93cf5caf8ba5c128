// The per-user rate limits of one server instance. createChatServer makes one set and every
// context shares it, so two servers in one process (tests, embedding) never count together.
import type { Config } from "./config.js";
import { RateLimitedError } from "./errors.js";
import { LIMITS } from "./limits.js";
import { RateLimiter } from "./rate-limiter.js";

const MINUTE_MS = 60_000;

export interface RateLimits {
  /** sendMessage calls, keyed by user. */
  messages: RateLimiter;
  /** react calls, keyed by user. */
  reactions: RateLimiter;
  /** setTyping calls, keyed by room and user. */
  typing: RateLimiter;
}

export function createRateLimits(
  config: Pick<Config, "RATE_LIMIT_MESSAGES_PER_MINUTE" | "RATE_LIMIT_REACTIONS_PER_MINUTE">,
): RateLimits {
  return {
    messages: new RateLimiter(config.RATE_LIMIT_MESSAGES_PER_MINUTE, MINUTE_MS),
    reactions: new RateLimiter(config.RATE_LIMIT_REACTIONS_PER_MINUTE, MINUTE_MS),
    typing: new RateLimiter(1, LIMITS.typingIntervalMs),
  };
}

/** Counts one action under `key`; past the limit throws RATE_LIMITED with `retryAfterMs`. */
export function takeOrRefuse(limiter: RateLimiter, key: string, message: string): void {
  const wait = limiter.take(key);
  if (wait > 0) throw new RateLimitedError(message, wait);
}
