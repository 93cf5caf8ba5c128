// The transport of events between instances: in process, or Redis pub/sub (ioredis) when
// REDIS_URL is set. Redis only carries the signal: messages live in the database, so a client that
// misses events resumes with afterSeq. (Not @graphql-yoga/redis-event-target: it made an Event
// object per delivered message and kept a callback set per topic, and left SUBSCRIBE's promise
// unchecked; the topic map below serves both buses.)
import type { Redis as RedisClient } from "ioredis";

export type BusListener = (payload: unknown) => void;

export interface EventBus {
  publish(topic: string, payload: unknown): void;
  /** Calls `listener` for each payload published on `topic` until the returned function is called. */
  subscribe(topic: string, listener: BusListener): () => void;
  /** Resolves when the transport works (readiness); rejects when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The listeners of each topic in this process: a map from topic to its listener, or to its
 * listeners once there are several. Each viewerEvents subscription listens on its user's topic,
 * and an EventTarget costs every listener a handler closure and a listener record (and every
 * publish an Event); most topics have one listener. Dispatch matches EventTarget's: in
 * subscription order, synchronously, skipping a listener unsubscribed meanwhile, and a listener's
 * exception does not reach the publisher. `onFirst` and `onLast` tell when a topic gains its first
 * listener and loses its last (the Redis bus subscribes and unsubscribes the channel then).
 */
class LocalTopics {
  private readonly topics = new Map<string, BusListener | readonly BusListener[]>();

  constructor(private readonly hooks: { onFirst?(topic: string): void; onLast?(topic: string): void } = {}) {}

  private isSubscribed(topic: string, listener: BusListener): boolean {
    const current = this.topics.get(topic);
    return current === listener || (Array.isArray(current) && current.includes(listener));
  }

  private static call(listener: BusListener, payload: unknown): void {
    try {
      listener(payload);
    } catch (error) {
      // As EventTarget does: reported as an uncaught exception, after the publisher moved on.
      process.nextTick(() => {
        throw error;
      });
    }
  }

  dispatch(topic: string, payload: unknown): void {
    const listeners = this.topics.get(topic);
    if (typeof listeners === "function") return LocalTopics.call(listeners, payload);
    // The array is never changed in place, so this is a snapshot.
    for (const listener of listeners ?? []) if (this.isSubscribed(topic, listener)) LocalTopics.call(listener, payload);
  }

  add(topic: string, listener: BusListener): () => void {
    const current = this.topics.get(topic);
    this.topics.set(topic, current === undefined ? listener : ([] as BusListener[]).concat(current, listener));
    if (current === undefined) this.hooks.onFirst?.(topic);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const now = this.topics.get(topic);
      if (now === listener) {
        this.topics.delete(topic);
        this.hooks.onLast?.(topic);
      } else if (Array.isArray(now) && now.includes(listener)) {
        // This subscription's entry only, should the same function be subscribed twice.
        const at = now.indexOf(listener);
        const left = now.slice(0, at).concat(now.slice(at + 1));
        this.topics.set(topic, left.length === 1 ? left[0]! : left);
      }
    };
  }
}

/** In process: publishing is dispatching to this process's listeners. */
export function createMemoryBus(): EventBus {
  const topics = new LocalTopics();
  return {
    publish: (topic, payload) => topics.dispatch(topic, payload),
    subscribe: (topic, listener) => topics.add(topic, listener),
    ping: async () => {},
    close: async () => {},
  };
}

export interface RedisBusOptions {
  url: string;
  onError?: (error: Error) => void;
  /** Called each time both connections are (again) ready. */
  onReady?: () => void;
}

export async function createRedisBus({ url, onError, onReady }: RedisBusOptions): Promise<EventBus> {
  const { Redis } = await import("ioredis");
  // Publishing and subscribing need separate connections: a subscribed connection cannot publish.
  // Auto-pipelining sends the PUBLISHes of one event-loop turn (a group commit's messages) in one
  // write: a socket write is a system call, and they cost this server more than Redis's work.
  // The subscribing connection keeps a SUBSCRIBE issued while Redis is away until Redis is back,
  // however long that takes (maxRetriesPerRequest: null): by default ioredis drops a queued
  // command after 20 reconnection attempts (about 11 s), and a room whose SUBSCRIBE was dropped
  // would never hear its events on this instance again (ioredis resubscribes only the channels
  // Redis confirmed). A PUBLISH dropped that way is caught up by the next event's gap fill.
  const clients: RedisClient[] = [
    new Redis(url, { lazyConnect: true, enableAutoPipelining: true }),
    new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null }),
  ];
  for (const client of clients) {
    // ioredis reconnects by itself; without a listener an error would crash the process.
    client.on("error", (error: Error) => onError?.(error));
    client.on("ready", () => clients.every((each) => each.status === "ready") && onReady?.());
  }
  // A Redis that is down at start does not stop the start: ioredis keeps reconnecting, commands
  // wait in its offline queue, and /ready answers 503 until both connections are up.
  await Promise.all(clients.map((client) => client.connect().catch(() => {})));
  const [publishClient, subscribeClient] = clients as [RedisClient, RedisClient];
  // A channel is subscribed while this process has a listener on its topic. A failed SUBSCRIBE
  // (Redis away) is reported; ioredis subscribes its channels again when it reconnects.
  const report = (what: string) => (error: Error) => onError?.(new Error(`redis ${what}: ${error.message}`));
  const topics = new LocalTopics({
    onFirst: (topic) => void subscribeClient.subscribe(topic).catch(report(`SUBSCRIBE ${topic}`)),
    onLast: (topic) => void subscribeClient.unsubscribe(topic).catch(report(`UNSUBSCRIBE ${topic}`)),
  });
  subscribeClient.on("message", (topic: string, message: string) => {
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      return onError?.(new Error(`redis: a message on ${topic} is not JSON`));
    }
    topics.dispatch(topic, payload);
  });
  const close = async () => {
    // QUIT would wait in the offline queue of a connection that is down.
    await Promise.all(
      clients.map((client) =>
        client.status === "ready" ? client.quit().catch(() => client.disconnect()) : client.disconnect(),
      ),
    );
  };
  const ping = async () => {
    const down = clients.find((client) => client.status !== "ready");
    // Not ready: fail now instead of queueing a PING until Redis returns.
    if (down) throw new Error(`redis connection is ${down.status}`);
    await publishClient.ping();
  };
  return {
    publish: (topic, payload) => void publishClient.publish(topic, JSON.stringify(payload)).catch(report(`PUBLISH ${topic}`)),
    subscribe: (topic, listener) => topics.add(topic, listener),
    ping,
    close,
  };
}
