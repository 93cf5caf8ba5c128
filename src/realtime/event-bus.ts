// The transport of events between instances: in process, or Redis pub/sub
// (@graphql-yoga/redis-event-target) when REDIS_URL is set. Redis only carries the signal:
// messages live in the database, so a client that misses events resumes with afterSeq.
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
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

interface MinimalEventTarget {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  dispatchEvent(event: Event): boolean;
}

function busOver(target: MinimalEventTarget, close: () => Promise<void>, ping: () => Promise<void>): EventBus {
  return {
    publish(topic, payload) {
      target.dispatchEvent(new CustomEvent(topic, { detail: payload }));
    },
    subscribe(topic, listener) {
      const handler = (event: Event) => listener((event as CustomEvent).detail);
      target.addEventListener(topic, handler);
      return () => target.removeEventListener(topic, handler);
    },
    ping,
    close,
  };
}

/**
 * In process: a map from topic to its listener, or to its listeners once there are several. Each
 * viewerEvents subscription listens on its user's topic, and an EventTarget costs every listener a
 * handler closure and a listener record (and every publish an Event); most topics have one
 * listener. Dispatch matches EventTarget's: in subscription order, synchronously, skipping a
 * listener unsubscribed meanwhile, and a listener's exception does not reach the publisher.
 */
export function createMemoryBus(): EventBus {
  const topics = new Map<string, BusListener | readonly BusListener[]>();
  const isSubscribed = (topic: string, listener: BusListener) => {
    const current = topics.get(topic);
    return current === listener || (Array.isArray(current) && current.includes(listener));
  };
  const call = (listener: BusListener, payload: unknown) => {
    try {
      listener(payload);
    } catch (error) {
      // As EventTarget does: reported as an uncaught exception, after the publisher moved on.
      process.nextTick(() => {
        throw error;
      });
    }
  };
  return {
    publish(topic, payload) {
      const listeners = topics.get(topic);
      if (typeof listeners === "function") return call(listeners, payload);
      // The array is never changed in place, so this is a snapshot.
      for (const listener of listeners ?? []) if (isSubscribed(topic, listener)) call(listener, payload);
    },
    subscribe(topic, listener) {
      const current = topics.get(topic);
      topics.set(topic, current === undefined ? listener : ([] as BusListener[]).concat(current, listener));
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        const now = topics.get(topic);
        if (now === listener) topics.delete(topic);
        else if (Array.isArray(now) && now.includes(listener)) {
          // This subscription's entry only, should the same function be subscribed twice.
          const at = now.indexOf(listener);
          const left = now.slice(0, at).concat(now.slice(at + 1));
          topics.set(topic, left.length === 1 ? left[0]! : left);
        }
      };
    },
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
  const clients: RedisClient[] = [
    new Redis(url, { lazyConnect: true, enableAutoPipelining: true }),
    new Redis(url, { lazyConnect: true }),
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
  const target = createRedisEventTarget({ publishClient, subscribeClient }) as unknown as MinimalEventTarget;
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
  return busOver(target, close, ping);
}
