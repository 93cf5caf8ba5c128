// Direct delivery (execution/direct-results.ts): for a shareable operation whose transport writes
// frames itself, each event is executed once per event and key and written straight to the
// transport; a result with errors goes through the iterator instead (for Yoga's masking), and
// what follows waits for it, so every subscriber sees its events in order and the end last.
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from "graphql";
import { describe, expect, it } from "vitest";
import { EventSubscribe } from "../src/execution/event-subscribe.js";
import { ShareabilityAnalyser } from "../src/execution/shareable.js";
import { SharedResults } from "../src/execution/shared-results.js";
import { EventQueue } from "../src/realtime/event-queue.js";

interface Tick {
  n: number;
}

/** Resolves after the microtasks and immediates queued so far. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const queues: Array<EventQueue<Tick>> = [];
  const Tick = new GraphQLObjectType<Tick>({
    name: "Tick",
    fields: {
      n: { type: GraphQLInt },
      // Slow for odd ticks: results must still leave in event order.
      slow: { type: GraphQLInt, resolve: async (tick) => (tick.n % 2 ? new Promise((r) => setTimeout(() => r(tick.n), 5)) : tick.n) },
      fails: { type: GraphQLString, resolve: (tick) => (tick.n === 2 ? Promise.reject(new Error("two fails")) : "ok") },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: { n: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: "Subscription",
      fields: {
        ticks: {
          type: Tick,
          subscribe: () => {
            const queue = new EventQueue<Tick>(100, () => {});
            queues.push(queue);
            return queue;
          },
          resolve: (tick: Tick) => tick,
        },
      },
    }),
  });
  const counted = { executions: 0, delivered: 0, opened: 0, closed: 0 };
  const subscribe = new EventSubscribe({
    analyser: new ShareabilityAnalyser(schema, { Subscription: ["ticks"], Tick: ["n", "slow", "fails"] }),
    results: new SharedResults(),
    createEventContext: () => ({}),
    onExecute: () => (counted.executions += 1),
    delivered: (_args, count) => (counted.delivered += count),
    streams: { opened: () => (counted.opened += 1), closed: () => (counted.closed += 1) },
  });
  // Documents share by identity, as Yoga's parser cache hands them out.
  const documents = new Map<string, ReturnType<typeof parse>>();
  /** A subscriber whose transport records the frames written past the iterator. */
  const subscriber = async (query: string) => {
    if (!documents.has(query)) documents.set(query, parse(query));
    const frames: unknown[] = [];
    const transport = { disconnectSlowConsumer: () => {}, sendNext: (_id: string, json: string) => (frames.push(JSON.parse(json)), true) };
    const args = { schema, document: documents.get(query)!, contextValue: { transport }, operationId: "1" };
    const iterator = (await subscribe.subscribe(args)) as AsyncIterableIterator<ExecutionResult>;
    return { frames, iterator, queue: queues.at(-1)! };
  };
  return { subscriber, counted };
}

describe("direct delivery", () => {
  it("writes each event once executed for all subscribers, in order, even when later ones finish first", async () => {
    const { subscriber, counted } = setup();
    const subscribers = [];
    for (let i = 0; i < 3; i++) subscribers.push(await subscriber("subscription { ticks { n slow } }"));
    const pulled = subscribers.map(({ iterator }) => iterator.next());
    const ticks = [1, 2, 3, 4].map((n) => ({ n }));
    // The hub hands the same event object to every subscriber.
    for (const tick of ticks) for (const { queue } of subscribers) queue.push(tick);
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (const { frames } of subscribers) {
      expect(frames).toEqual(ticks.map(({ n }) => ({ data: { ticks: { n, slow: n } } })));
    }
    expect(counted).toMatchObject({ executions: 4, delivered: 12, opened: 3 });
    // The stream ends after what was pushed before the end: the iterator reports done.
    for (const { queue } of subscribers) queue.end();
    expect(await Promise.all(pulled)).toEqual(subscribers.map(() => ({ value: undefined, done: true })));
    expect(counted.closed).toBe(3);
  });

  it("hands a result with errors to the iterator and writes the rest only after it was taken", async () => {
    const { subscriber } = setup();
    const { frames, iterator, queue } = await subscriber("subscription { ticks { n fails } }");
    const first = iterator.next();
    for (const n of [1, 2, 3]) queue.push({ n });
    queue.end();
    await settle();
    // Tick 1 went straight out; tick 2 failed a field: it is the iterator's result, and tick 3 waits.
    expect(frames).toEqual([{ data: { ticks: { n: 1, fails: "ok" } } }]);
    const handed = await first;
    expect(handed.value?.errors?.[0]?.message).toBe("two fails");
    expect(handed.value?.data).toEqual({ ticks: { n: 2, fails: null } });
    const last = iterator.next();
    await settle();
    expect(frames).toEqual([{ data: { ticks: { n: 1, fails: "ok" } } }, { data: { ticks: { n: 3, fails: "ok" } } }]);
    expect(await last).toEqual({ value: undefined, done: true });
  });

  it("stops writing when the client completes (return), and ends the hub's stream", async () => {
    const { subscriber, counted } = setup();
    const { frames, iterator, queue } = await subscriber("subscription { ticks { n } }");
    const pending = iterator.next();
    queue.push({ n: 1 });
    await settle();
    await iterator.return!();
    queue.push({ n: 2 });
    await settle();
    expect(frames).toEqual([{ data: { ticks: { n: 1 } } }]);
    expect(queue.done).toBe(true);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(counted.closed).toBe(1);
  });
});
