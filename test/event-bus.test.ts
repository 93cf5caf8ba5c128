// The in-process event bus dispatches like the EventTarget it replaced: in subscription order,
// synchronously, not to a listener unsubscribed meanwhile, and without letting a listener's
// exception reach the publisher.
import { describe, expect, it } from "vitest";
import { createMemoryBus } from "../src/realtime/event-bus.js";

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
