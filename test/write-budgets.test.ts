// Every mutation spends from a per-user write budget; past it the call is RATE_LIMITED with
// retryAfterMs and changes nothing. With REDIS_URL set, instances sharing a Redis (and key prefix)
// count together; without Redis, or while it is unreachable, each server counts in its memory.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RATE_LIMIT_DEFAULTS } from "../src/config.js";
import { schema } from "../src/schema/index.js";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type GraphQLResponse, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function expectRateLimited(result: GraphQLResponse): void {
  const error = result.errors?.[0];
  expect(error?.extensions).toMatchObject({ code: "RATE_LIMITED", seedCode: 4029 });
  expect(error?.extensions?.retryAfterMs).toBeGreaterThan(0);
  expect(error?.extensions?.retryAfterMs).toBeLessThanOrEqual(60_000);
  // Nothing but null: the whole result, or the field's when its type is nullable.
  expect(Object.values(result.data ?? {}).filter((value) => value !== null)).toEqual([]);
}

/** A value of `type` the GraphQL layer accepts (ids name nothing): enough to reach the resolver. */
function placeholder(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return placeholder(type.ofType);
  if (isListType(type)) return [placeholder(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((field) => isNonNullType(field.type));
    return Object.fromEntries(fields.map((field) => [field.name, placeholder(field.type)]));
  }
  if (isScalarType(type)) {
    const byScalar: Record<string, unknown> = { ID: "missing", String: "x", Int: 1, Float: 1, Boolean: true, JSON: {}, DateTime: "2026-01-01T00:00:00Z" };
    if (type.name in byScalar) return byScalar[type.name];
  }
  throw new Error(`no placeholder for ${getNamedType(type).name}`);
}

/** `mutation(<required args as variables>) { <field>(...) { __typename } }` and its variables. */
function callOf(field: string): { query: string; variables: Record<string, unknown> } {
  const { args, type } = schema.getMutationType()!.getFields()[field]!;
  const required = args.filter((arg) => isNonNullType(arg.type));
  const declared = required.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(", ");
  const passed = required.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  const selection = isScalarType(getNamedType(type)) ? "" : " { __typename }";
  const query = `mutation${declared ? `(${declared})` : ""} { ${field}${passed ? `(${passed})` : ""}${selection} }`;
  return { query, variables: Object.fromEntries(required.map((arg) => [arg.name, placeholder(arg.type)])) };
}

const ONE_PER_MINUTE = Object.fromEntries(Object.keys(RATE_LIMIT_DEFAULTS).map((key) => [key, 1]));

describe("every mutation has a budget", () => {
  const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("sqlite", ONE_PER_MINUTE);
  });

  it.each(mutations)("%s: the call past the budget is RATE_LIMITED, also after a refusal for another reason", async (field) => {
    const { query, variables } = callOf(field);
    // A user per mutation, as budget classes are shared. Ids that name nothing: the first call is
    // refused (NOT_FOUND, FORBIDDEN, ...) but counts.
    const first = await server.gql(`ann-${field}`, query, variables);
    expect(first.errors?.[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
    expectRateLimited(await server.gql(`ann-${field}`, query, variables));
    // Per user: someone else still may.
    expect((await server.gql(`ben-${field}`, query, variables)).errors?.[0]?.extensions?.code).not.toBe("RATE_LIMITED");
  });
});

describe.each(PROVIDERS)("write budgets on %s", (provider) => {
  const MESSAGES = `query($r: ID!) { messages(roomId: $r, last: 10) { edges { node { id content readByViewer } } } }`;

  /** A server where only `budget` is low (2 a minute), with ann's group (ben, cat in it) and a message of ben's. */
  async function serverWith(budget: keyof typeof RATE_LIMIT_DEFAULTS) {
    const server = await startTestServer(provider, { [budget]: 2 });
    await signIn(server, "ann", "ben", "cat", "dan");
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const message = await sendMessage(server, "ben", roomId, "from ben");
    return { server, roomId, messageId: message.id };
  }

  async function history(server: TestServer, userId: string, roomId: string) {
    return (await ok(server, userId, MESSAGES, { r: roomId })).messages.edges.map((edge: any) => edge.node);
  }

  it("editMessage: the third edit in a minute is refused and the content stays", async () => {
    const { server, roomId, messageId } = await serverWith("RATE_LIMIT_EDITS_PER_MINUTE");
    const EDIT = `mutation($id: ID!, $c: String!) { editMessage(messageId: $id, content: $c) { content } }`;
    await ok(server, "ben", EDIT, { id: messageId, c: "one" });
    await ok(server, "ben", EDIT, { id: messageId, c: "two" });
    expectRateLimited(await server.gql("ben", EDIT, { id: messageId, c: "three" }));
    expect((await history(server, "ben", roomId))[0].content).toBe("two");
  });

  it("createGroupChat: the third room in a minute is refused and not created", async () => {
    const server = await startTestServer(provider, { RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE: 2 });
    await signIn(server, "ann", "ben");
    await createGroup(server, "ann", ["ben"]);
    await createGroup(server, "ann", ["ben"]);
    const CREATE = `mutation { createGroupChat(input: { name: "third", participantIds: ["ben"] }) { id } }`;
    expectRateLimited(await server.gql("ann", CREATE));
    const rooms = await ok(server, "ben", `{ rooms(first: 10) { edges { node { name } } } }`);
    expect(rooms.rooms.edges).toHaveLength(2);
  });

  it("updateRoom: the third change in a minute is refused and the name stays", async () => {
    const { server, roomId } = await serverWith("RATE_LIMIT_ROOM_ADMIN_PER_MINUTE");
    const RENAME = `mutation($r: ID!, $n: String!) { updateRoom(roomId: $r, input: { name: $n }) { name } }`;
    await ok(server, "ann", RENAME, { r: roomId, n: "one" });
    await ok(server, "ann", RENAME, { r: roomId, n: "two" });
    expectRateLimited(await server.gql("ann", RENAME, { r: roomId, n: "three" }));
    const room = await ok(server, "ann", `query($r: ID!) { room(id: $r) { name } }`, { r: roomId });
    expect(room.room.name).toBe("two");
  });

  it("addMember: the third membership change in a minute is refused and nobody is added", async () => {
    const { server, roomId } = await serverWith("RATE_LIMIT_MEMBERSHIP_PER_MINUTE");
    const REMOVE = `mutation($r: ID!, $u: ID!) { removeMember(roomId: $r, userId: $u) { id } }`;
    const ADD = `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id } }`;
    await ok(server, "ann", REMOVE, { r: roomId, u: "cat" });
    await ok(server, "ann", ADD, { r: roomId, u: "cat" });
    expectRateLimited(await server.gql("ann", ADD, { r: roomId, u: "dan" }));
    const room = await ok(server, "ann", `query($r: ID!) { room(id: $r) { memberCount } }`, { r: roomId });
    expect(room.room.memberCount).toBe(3);
  });

  it("markRead: the third read marker in a minute is refused and the message stays unread", async () => {
    const { server, roomId, messageId } = await serverWith("RATE_LIMIT_READ_MARKERS_PER_MINUTE");
    const second = await sendMessage(server, "ben", roomId, "second");
    const READ = `mutation($ids: [ID!]!) { markRead(messageIds: $ids) { id } }`;
    await ok(server, "ann", READ, { ids: [messageId] });
    await ok(server, "ann", READ, { ids: [messageId] });
    expectRateLimited(await server.gql("ann", READ, { ids: [second.id] }));
    expect((await history(server, "ann", roomId)).map((message: any) => message.readByViewer)).toEqual([true, false]);
  });

  it("removeReaction spends from the reactions budget: the reaction stays", async () => {
    const { server, roomId, messageId } = await serverWith("RATE_LIMIT_REACTIONS_PER_MINUTE");
    await ok(server, "ann", `mutation($id: ID!) { react(messageId: $id, content: "👍") { id } }`, { id: messageId });
    await ok(server, "ann", `mutation($id: ID!) { react(messageId: $id, content: "🎉") { id } }`, { id: messageId });
    expectRateLimited(await server.gql("ann", `mutation($id: ID!) { removeReaction(messageId: $id) { id } }`, { id: messageId }));
    const view = await ok(server, "ann", `query($r: ID!) { messages(roomId: $r, last: 1) { edges { node { viewerReaction } } } }`, { r: roomId });
    expect(view.messages.edges[0].node.viewerReaction).toBe("🎉");
  });
});

describe("budgets across instances", () => {
  const SEND = `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { id } }`;

  it("two servers in one process without Redis count apart", async () => {
    const [a, b] = [await startTestServer("sqlite", { RATE_LIMIT_MESSAGES_PER_MINUTE: 1 }), await startTestServer("sqlite", { RATE_LIMIT_MESSAGES_PER_MINUTE: 1 })];
    for (const server of [a, b]) {
      await signIn(server, "ann", "ben");
      await ok(server, "ann", SEND, { r: await createGroup(server, "ann", ["ben"]), c: "the one allowed" });
    }
  });

  // Two instances on one database need PostgreSQL (one SQLite file has one writer per process).
  describe.runIf(PROVIDERS.includes("postgresql"))("sharing one Redis", () => {
    it("allows the limit once in total across two instances with the same key prefix", async () => {
      const database = await createTestDatabase("postgresql");
      // Unique per run, so parallel test files and other runs on this Redis never share counters;
      // stopTestServers deletes the keys.
      const RATE_LIMIT_KEY_PREFIX = `test:ratelimit:${process.pid}:${Date.now()}:`;
      const shared = { database, REDIS_URL, RATE_LIMIT_KEY_PREFIX, RATE_LIMIT_MESSAGES_PER_MINUTE: 4 };
      const a = await startTestServer("postgresql", shared);
      const b = await startTestServer("postgresql", { ...shared, migrate: false });
      await signIn(a, "ann", "ben");
      const roomId = await createGroup(a, "ann", ["ben"]);
      for (let i = 0; i < 4; i++) await ok(i % 2 ? b : a, "ann", SEND, { r: roomId, c: `m${i}` });
      expectRateLimited(await a.gql("ann", SEND, { r: roomId, c: "fifth on a" }));
      expectRateLimited(await b.gql("ann", SEND, { r: roomId, c: "fifth on b" }));
      // Another deployment on the same Redis (its own prefix, as the harness gives) counts apart.
      const other = await startTestServer("postgresql", { database, REDIS_URL, RATE_LIMIT_MESSAGES_PER_MINUTE: 4, migrate: false });
      await ok(other, "ann", SEND, { r: roomId, c: "other deployment" });
      const history = await ok(a, "ann", `query($r: ID!) { messages(roomId: $r, last: 10) { edges { node { content } } } }`, { r: roomId });
      expect(history.messages.edges.map((edge: any) => edge.node.content)).toEqual(["m0", "m1", "m2", "m3", "other deployment"]);
    });
  });

  it("counts in memory while Redis is unreachable: writes go on under the limit, never an internal error", async () => {
    // Nothing listens on port 1: every rate check falls back to this instance's memory.
    const server = await startTestServer("sqlite", { REDIS_URL: "redis://127.0.0.1:1", RATE_LIMIT_MESSAGES_PER_MINUTE: 2 });
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    await ok(server, "ann", SEND, { r: roomId, c: "one" });
    await ok(server, "ann", SEND, { r: roomId, c: "two" });
    expectRateLimited(await server.gql("ann", SEND, { r: roomId, c: "three" }));
  });
});
