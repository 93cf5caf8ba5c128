// The subscribe function on its own, with a tiny schema: what subscribers of the same event object
// share (one execution, one result object, its errors too), what they do not, and how a stream ends.
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type DocumentNode, type ExecutionResult } from "graphql";
import { describe, expect, it } from "vitest";
import { EventSubscribe } from "../src/execution/event-subscribe.js";
import { ShareabilityAnalyser } from "../src/execution/shareable.js";
import { SharedResults } from "../src/execution/shared-results.js";

interface Tick {
  n: number;
}

function setup(events: Tick[]) {
  const calls = { n: 0, secret: 0, returned: 0 };
  const Tick = new GraphQLObjectType<Tick>({
    name: "Tick",
    fields: {
      n: { type: GraphQLInt, resolve: (tick) => ((calls.n += 1), tick.n) },
      fails: { type: GraphQLString, resolve: () => { throw new Error("no"); } },
      secret: { type: GraphQLString, resolve: (_tick, _args, context: { viewer: string }) => ((calls.secret += 1), context.viewer) },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: { n: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: "Subscription",
      fields: {
        // Every subscriber gets its own stream of the same event objects, as from the hub.
        ticks: {
          type: Tick,
          subscribe: () => ({
            [Symbol.asyncIterator]() {
              let at = 0;
              return {
                next: async () => (at < events.length ? { value: events[at++], done: false } : { value: undefined, done: true }),
                return: async () => ((calls.returned += 1), { value: undefined, done: true }),
              };
            },
          }),
          resolve: (tick: Tick) => tick,
        },
      },
    }),
  });
  const counted = { opened: 0, closed: 0, shared: 0, perSubscriber: 0 };
  const released: string[] = [];
  const subscribe = new EventSubscribe({
    analyser: new ShareabilityAnalyser(schema, { Subscription: ["ticks"], Tick: ["n", "fails"] }),
    results: new SharedResults(),
    createEventContext: () => ({ viewer: "nobody" }),
    onExecute: (mode) => (mode === "shared" ? (counted.shared += 1) : (counted.perSubscriber += 1)),
    streams: { opened: () => (counted.opened += 1), closed: () => (counted.closed += 1) },
    afterEvent: (context) => released.push((context as { viewer: string }).viewer),
  }).subscribe;
  // One document per text, as Yoga's parser cache hands out: sharing goes by document identity.
  const documents = new Map<string, DocumentNode>();
  const documentOf = (query: string) => documents.get(query) ?? documents.set(query, parse(query)).get(query)!;
  const open = async (query: string, viewer: string, variableValues?: Record<string, unknown>) =>
    (await subscribe({ schema, document: documentOf(query), contextValue: { viewer }, variableValues })) as AsyncIterableIterator<ExecutionResult>;
  return { calls, counted, released, open };
}

const drain = async (stream: AsyncIterableIterator<ExecutionResult>) => {
  const results = [];
  for await (const result of stream) results.push(result);
  return results;
};

describe("EventSubscribe", () => {
  it("executes each event once for subscribers of one shareable operation, in order, and hands them the same result", async () => {
    const { calls, counted, open } = setup([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const [first, second] = await Promise.all([drain(await open("subscription { ticks { n } }", "ann")), drain(await open("subscription { ticks { n } }", "ben"))]);
    expect(first.map((result) => result.data?.ticks)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    first.forEach((result, i) => expect(second[i]).toBe(result));
    expect(calls.n).toBe(3);
    expect(counted).toMatchObject({ shared: 3, perSubscriber: 0, opened: 2, closed: 2 });
  });

  it("shares an execution's errors too", async () => {
    const { open } = setup([{ n: 1 }]);
    const [[first], [second]] = await Promise.all([drain(await open("subscription { ticks { fails } }", "ann")), drain(await open("subscription { ticks { fails } }", "ben"))]);
    expect(first?.errors?.[0]?.message).toBe("no");
    expect(second).toBe(first);
  });

  it("keeps subscribers apart whose variables differ, and runs fields nobody listed per subscriber", async () => {
    const { calls, counted, released, open } = setup([{ n: 1 }]);
    const flagged = "subscription($a: Boolean!) { ticks { n @include(if: $a) } }";
    const [withN, withoutN] = await Promise.all([drain(await open(flagged, "ann", { a: true })), drain(await open(flagged, "ben", { a: false }))]);
    expect([withN[0]?.data, withoutN[0]?.data]).toEqual([{ ticks: { n: 1 } }, { ticks: {} }]);
    const [forAnn, forBen] = await Promise.all([drain(await open("subscription { ticks { secret } }", "ann")), drain(await open("subscription { ticks { secret } }", "ben"))]);
    expect([forAnn[0]?.data, forBen[0]?.data]).toEqual([{ ticks: { secret: "ann" } }, { ticks: { secret: "ben" } }]);
    expect([calls.secret, counted.shared, counted.perSubscriber]).toEqual([2, 2, 2]);
    // Each subscriber's context forgets what its own execution loaded; shared ones used their own.
    expect(released.sort()).toEqual(["ann", "ben"]);
  });

  it("ends the source stream when the subscriber leaves, and counts the stream closed once", async () => {
    const { calls, counted, open } = setup([{ n: 1 }, { n: 2 }]);
    const stream = await open("subscription { ticks { n } }", "ann");
    expect((await stream.next()).value?.data).toEqual({ ticks: { n: 1 } });
    await stream.return?.();
    await stream.return?.();
    expect(calls.returned).toBe(2);
    expect([counted.opened, counted.closed]).toEqual([1, 1]);
  });
});
