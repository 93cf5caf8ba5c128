// A Redis connection for answers that must come now or not at all (rate limits, presence): no
// offline queue, so a command fails at once while Redis is away (the event bus's connections
// queue theirs until it returns), and a timeout on each command.
import type { Redis as RedisClient } from "ioredis";

export interface FailFastRedisOptions {
  /** Longest a command waits for its answer, in ms. */
  commandTimeoutMs: number;
  /** Connection and command errors. */
  onRedisError?: (error: Error) => void;
  /** Called when the connection is (again) ready. */
  onRedisReady?: () => void;
}

export async function connectFailFastRedis(url: string, options: FailFastRedisOptions): Promise<RedisClient> {
  const { Redis } = await import("ioredis");
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    // The calls of one event-loop turn go out in one write.
    enableAutoPipelining: true,
  });
  // ioredis reconnects by itself; without a listener an error would crash the process.
  client.on("error", (error: Error) => options.onRedisError?.(error));
  client.on("ready", () => options.onRedisReady?.());
  // A Redis that is down at start does not stop the start: callers fall back meanwhile.
  await client.connect().catch(() => {});
  return client;
}

/** QUIT when connected (QUIT would wait for a connection that is down). */
export async function closeRedis(client: RedisClient): Promise<void> {
  await (client.status === "ready" ? client.quit().then(() => {}, () => client.disconnect()) : client.disconnect());
}
