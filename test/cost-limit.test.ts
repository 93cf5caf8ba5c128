// The cost limit prices every list with the page size it will really have: written in the
// document, passed as a variable, or left to the server's default. A refused operation runs
// nothing, over HTTP, graphql-ws and SSE alike. One provider is enough: the limit is checked
// before any resolver touches the database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectSse, connectWs, waitForListeners } from "./harness/clients.js";
import { createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

/** The issue's attack: page sizes as variables, under aliases. 100 × (3 + $b × 4) per alias. */
const VARIABLE_PAGES = `query($a: Int, $b: Int) {
  ${[0, 1, 2]
    .map((i) => `r${i}: rooms(first: $a) { edges { node { members(first: $b) { edges { node { user { id } } } } } } }`)
    .join("\n  ")}
}`;

/** No page size at all: 50 rooms × (3 + 50 members × 4) = 10,150 per alias. */
const DEFAULT_PAGES = `{ r0: rooms { edges { node { members { edges { node { user { id } } } } } } } }`;

describe("cost limit", () => {
  let server: TestServer;
  let roomId: string;
  beforeAll(async () => {
    server = await startTestServer("sqlite");
    await signIn(server, "ann", "ben", "cat");
    roomId = await createGroup(server, "ann", ["ben"]);
    await sendMessage(server, "ann", roomId, "first");
  });

  it("refuses page sizes given as variables over HTTP, naming the cost and the limit", async () => {
    const result = await server.gql("ann", VARIABLE_PAGES, { a: 100, b: 100 });
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    const cost = 3 * 100 * (3 + 100 * 4);
    expect(result.errors?.[0]).toMatchObject({
      message: `Operation cost ${cost} exceeds the limit of 5000.`,
      extensions: { code: "BAD_USER_INPUT", limit: "cost", max: 5000, cost },
    });
  });

  it("lets the same document through with small variables", async () => {
    // 3 × 10 × (3 + 10 × 4) = 1,290.
    const result = await server.gql("ann", VARIABLE_PAGES, { a: 10, b: 10 });
    expect(result.errors).toBeUndefined();
    expect(result.data?.r0.edges[0].node.members.edges).toHaveLength(2);
  });

  it("prices an omitted page size at the default page size", async () => {
    const result = await server.gql("ann", DEFAULT_PAGES);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "cost", cost: 50 * (3 + 50 * 4) });
    // 20 rooms with a default page of members each: 20 × (3 + 50 × 4) = 4,060.
    const fewer = await server.gql("ann", `{ rooms(first: 20) { edges { node { members { edges { node { user { id } } } } } } } }`);
    expect(fewer.errors).toBeUndefined();
  });

  it("prices literal page sizes as before and runs nothing it refuses", async () => {
    // A mutation returning one message per id: 13 × (message + room + 100 × (members + edges +
    // node + user)) = 5,226, as graphql-armor priced 13 such fields.
    const MARK_READ = `mutation($ids: [ID!]!) { markRead(messageIds: $ids) { room { members(first: 100) { edges { node { user { id } } } } } } }`;
    const ids: string[] = [];
    for (let i = 0; i < 13; i++) ids.push((await sendMessage(server, "ann", roomId, `unread ${i}`)).id);
    const readByBen = async () =>
      (await ok(server, "ben", `query($r: ID!) { messages(roomId: $r, last: 100) { edges { node { id readByViewer } } } }`, { r: roomId }))
        .messages.edges.filter((edge: { node: { id: string; readByViewer: boolean } }) => ids.includes(edge.node.id) && edge.node.readByViewer).length;
    const result = await server.gql("ben", MARK_READ, { ids });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "cost", max: 5000, cost: 5226 });
    expect(await readByBen()).toBe(0);
    // 12 of them (4,824) are within the limit.
    const within = await server.gql("ben", MARK_READ, { ids: ids.slice(0, 12) });
    expect(within.errors).toBeUndefined();
    expect(await readByBen()).toBe(12);
  });

  it("counts the costliest of a room's types, not their sum, and nothing left out by @include", async () => {
    // 100 × (rooms + edges + node + admins or moderators (10) + 9 members × 4) = 4,900; the sum
    // of both types' fields would be 5,900.
    const query = `query($all: Boolean!) { rooms(first: 100) { edges { node {
      ... on GroupChat { admins { id } } ... on Channel { moderators { id } }
      members(first: 9) { edges { node { user { id } } } }
      everyone: members(first: 100) @include(if: $all) { edges { node { user { id } } } }
    } } } }`;
    const within = await server.gql("ann", query, { all: false });
    expect(within.errors).toBeUndefined();
    expect(within.data?.rooms.edges[0].node.admins).toEqual([{ id: "ann" }]);
    const refused = await server.gql("ann", query, { all: true });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ limit: "cost", cost: 4900 + 100 * 400 });
  });

  it("refuses the variable attack over graphql-ws at once, and the connection stays usable", async () => {
    const ann = await connectWs(server, "ann");
    const refused = ann.subscribe(VARIABLE_PAGES, { a: 100, b: 100 });
    await refused.waitForComplete();
    expect(refused.results).toHaveLength(1);
    expect(refused.results[0]?.data ?? null).toBeNull();
    expect(refused.results[0]?.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "cost", max: 5000, cost: 120_900 });
    const { value } = await ann.client.iterate({ query: "{ viewer { id } }" }).next();
    expect(value).toEqual({ data: { viewer: { id: "ann" } } });
    await ann.dispose();
  });

  it("refuses a subscription past the limit before it starts, over graphql-ws and SSE", async () => {
    // A subscription has one root field, but its events may carry rooms with pages of members:
    // roomEvents (1) × (1 + room (1 + 13 × members (n × 4))).
    const pages = Array.from({ length: 13 }, (_, i) => `m${i}: members(first: $n) { edges { node { user { id } } } }`);
    const query = `subscription($r: ID!, $n: Int) { roomEvents(roomId: $r) { kind ... on MembersAddedEvent { room { ${pages.join(" ")} } } } }`;
    const refusal = { code: "BAD_USER_INPUT", limit: "cost", max: 5000, cost: 2 + 13 * 400 };
    // The refusal is the operation's one result: no event is ever delivered.
    const onlyError = (collected: { results: Array<{ data?: unknown; errors?: any[] }> }) => {
      expect(collected.results).toHaveLength(1);
      expect(collected.results[0]?.data ?? null).toBeNull();
      return collected.results[0]?.errors?.[0];
    };
    const ann = await connectWs(server, "ann");
    const overWs = ann.subscribe(query, { r: roomId, n: 100 });
    await overWs.waitForComplete();
    expect(onlyError(overWs)?.extensions).toMatchObject(refusal);
    const sse = await connectSse(server, "ann");
    const overSse = sse.subscribe(query, { r: roomId, n: 100 });
    await overSse.waitForComplete();
    expect(onlyError(overSse)?.extensions).toMatchObject(refusal);
    expect(server.server.realtime.listenerCount(roomId)).toBe(0);
    // With 10 members a page (522), the same subscription starts and delivers.
    const within = ann.subscribe(query, { r: roomId, n: 10 });
    await waitForListeners(server, roomId, 1);
    await ok(server, "ann", `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id } }`, { r: roomId, u: "cat" });
    const [event] = await within.waitFor(1);
    expect(event?.errors).toBeUndefined();
    expect(event?.data?.roomEvents.room.m0.edges).toHaveLength(3);
    within.unsubscribe();
    await ann.dispose();
  });
});
