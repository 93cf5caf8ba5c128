// The in-process event bus dispatches like the EventTarget it replaced: in subscription order,
// synchronously, not to a listener unsubscribed meanwhile, and without letting a listener's
// exception reach the publisher. The Redis bus carries payloads between buses and holds a channel
// only while it has listeners (Redis is required, as for the two-instance test).
import { describe, expect, it } from "vitest";
import { createMemoryBus, createRedisBus } from "../src/realtime/event-bus.js";

describe("in-process event bus", () => {
  it("delivers each payload to the topic's listeners in order, until they unsubscribe", () => {
    const bus = createMemoryBus();
    const seen: string[] = [];
    const stopA = bus.subscribe("t", (payload) => seen.push(`a${payload}`));
    const stopB = bus.subscribe("t", (payload) => seen.push(`b${payload}`));
    bus.subscribe("other", (payload) => seen.push(`other${payload}`));
    bus.publish("t", 1);
    stopA();
    stopA();
    bus.publish("t", 2);
    stopB();
    bus.publish("t", 3);
    expect(seen).toEqual(["a1", "b1", "b2"]);
  });

  it("keeps two subscriptions of one function apart, and skips a listener removed during dispatch", () => {
    const bus = createMemoryBus();
    const seen: number[] = [];
    const listener = (payload: unknown) => seen.push(payload as number);
    const first = bus.subscribe("t", listener);
    bus.subscribe("t", listener);
    first();
    bus.publish("t", 1);
    let stopLater = () => {};
    bus.subscribe("u", () => stopLater());
    stopLater = bus.subscribe("u", () => seen.push(99));
    bus.publish("u", 2);
    expect(seen).toEqual([1]);
  });

  it("reports a listener's exception as uncaught, after the others ran", async () => {
    const bus = createMemoryBus();
    const seen: number[] = [];
    bus.subscribe("t", () => {
      throw new Error("listener failed");
    });
    bus.subscribe("t", (payload) => seen.push(payload as number));
    const uncaught = new Promise<Error>((resolve) => process.once("uncaughtException", resolve));
    expect(() => bus.publish("t", 1)).not.toThrow();
    expect(seen).toEqual([1]);
    expect((await uncaught).message).toBe("listener failed");
  });
});

describe("Redis event bus", () => {
  const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

  it("carries payloads between two buses, subscribing a channel only while it has listeners", async () => {
    const [a, b] = await Promise.all([createRedisBus({ url: REDIS_URL }), createRedisBus({ url: REDIS_URL })]);
    const { Redis } = await import("ioredis");
    const admin = new Redis(REDIS_URL);
    const topic = `test:${Math.random().toString(36).slice(2)}`;
    const subscribers = async () => ((await admin.pubsub("NUMSUB", topic)) as [string, number])[1];
    const until = async (check: () => boolean | Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    try {
      const seen: unknown[] = [];
      const stopFirst = b.subscribe(topic, (payload) => seen.push(["first", payload]));
      const stopSecond = b.subscribe(topic, (payload) => seen.push(["second", payload]));
      await until(async () => (await subscribers()) === 1);
      expect(await subscribers()).toBe(1);
      a.publish(topic, { kind: "TYPING", n: 1 });
      await until(() => seen.length === 2);
      expect(seen).toEqual([["first", { kind: "TYPING", n: 1 }], ["second", { kind: "TYPING", n: 1 }]]);
      stopFirst();
      stopSecond();
      // The last listener gone, the channel is given up.
      await until(async () => (await subscribers()) === 0);
      expect(await subscribers()).toBe(0);
      a.publish(topic, { n: 2 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen).toHaveLength(2);
    } finally {
      admin.disconnect();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
