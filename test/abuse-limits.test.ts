// Limits for a public API: document shape (tokens, depth, aliases, cost), hidden suggestions,
// request and WebSocket message size, per-user rate limits and subscriptions per connection.
// One provider is enough: none of this touches the database layer.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connectWs, waitForListeners } from "./harness/clients.js";
import { createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type GraphQLResponse, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
const MESSAGE_ADDED = `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { seq content } }`;

/** What a chat client asks for: a page of rooms and a page of history, under the default limits. */
const ROOMS_PAGE = `query Rooms($after: String) {
  rooms(first: 100, after: $after) {
    edges { cursor node {
      __typename id kind name avatarUrl description lastActivityAt memberCount unreadCount viewerRole
      viewerCan { sendMessages addMembers removeMembers update manageRoles managePermissions delete leave }
      lastMessage { id seq content createdAt sender { id username displayName } }
      members(first: 5) { edges { node { role user { id username displayName } } } }
      ... on GroupChat { locked maxParticipants admins { id username } }
      ... on Channel { isPublic maxSubscribers moderators { id username } }
    } }
    pageInfo { endCursor hasNextPage }
  }
}`;
const HISTORY_PAGE = `query History($roomId: ID!, $before: String) {
  messages(roomId: $roomId, last: 100, before: $before) {
    edges { cursor node {
      id seq content createdAt editedAt isEdited isForwarded clientMsgId readByViewer readCount deliveredCount viewerReaction
      sender { id username displayName }
      attachments { id url mediaType mimeType size caption metadata }
      reactions { content count reactedByViewer }
      replyTo { id content sender { id username } }
      forwardedFrom { id sender { id username } }
    } }
    pageInfo { startCursor hasPreviousPage }
  }
}`;
const ROOM_EVENTS = `subscription($roomId: ID!) {
  roomEvents(roomId: $roomId) {
    kind roomId
    ... on MessageAddedEvent { seq message { id seq content sender { id username } attachments { url } replyTo { id } } }
    ... on ReactionChangedEvent { message { id reactions { content count reactedByViewer } } user { id } }
    ... on MembersAddedEvent { userIds room { id memberCount } }
    ... on TypingEvent { user { id } }
    ... on RoomResetEvent { latestSeq }
  }
}`;

async function historyCount(server: TestServer, roomId: string): Promise<number> {
  const data = await ok(server, "ann", `query($r: ID!) { messages(roomId: $r, last: 100) { edges { node { id } } } }`, { r: roomId });
  return data.messages.edges.length;
}

/** `sendMessage(input: $input) { <selection> }`, `count` times under aliases. */
function sends(count: number, selection: string): string {
  const fields = Array.from({ length: count }, (_, i) => `s${i}: sendMessage(input: $input) { ${selection} }`);
  return `mutation($input: SendMessageInput!) { ${fields.join("\n")} }`;
}

/** `room(id: $roomId) { <selection> }`, `count` times under aliases. */
function reads(count: number, selection: string): string {
  const fields = Array.from({ length: count }, (_, i) => `r${i}: room(id: $roomId) { ${selection} }`);
  return `query($roomId: ID!) { ${fields.join("\n")} }`;
}

/** `room { lastMessage { room { ... id } } }`, `levels` fields deep. */
function nested(levels: number): string {
  let selection = "id";
  for (let level = levels - 1; level > 0; level--) selection = `${level % 2 ? "room" : "lastMessage"} { ${selection} }`;
  return selection;
}

function firstError(result: GraphQLResponse): Record<string, any> | undefined {
  return result.errors?.[0];
}

/** Posts a body of `size` bytes in chunks, without Content-Length. */
function postChunked(url: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    const chunk = Buffer.alloc(8 * 1024, " ");
    req.write(`{"query":"{ viewer { id } }","variables":{"pad":"`);
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
    req.end(`"}}`);
  });
}

describe("abuse limits", () => {
  let server: TestServer;
  let roomId: string;
  beforeAll(async () => {
    server = await startTestServer("sqlite");
    await signIn(server, "ann", "ben");
    roomId = await createGroup(server, "ann", ["ben"]);
    await sendMessage(server, "ann", roomId, "first");
  });

  it("lets a chat client's usual queries and subscriptions through the default limits", async () => {
    const rooms = await server.gql("ann", ROOMS_PAGE);
    expect(rooms.errors).toBeUndefined();
    const history = await server.gql("ann", HISTORY_PAGE, { roomId });
    expect(history.errors).toBeUndefined();
    const ben = await connectWs(server, "ben");
    const events = ben.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);
    await sendMessage(server, "ann", roomId, "live");
    const [event] = await events.waitFor(1);
    expect(event?.data?.roomEvents).toMatchObject({ kind: "MESSAGE_ADDED", message: { content: "live" } });
    await ben.dispose();
  });

  it.each([
    ["depth", 12, sends(1, nested(12))],
    ["aliases", 15, reads(16, "id")],
    ["tokens", 2000, sends(1, `id ${"__typename ".repeat(2000)}`)],
    // 13 x (room + 100 x (members + edges + node + user)) = 5,213.
    ["cost", 5000, reads(13, "members(first: 100) { edges { node { user { id } } } }")],
    ["mutations", 1, sends(2, "id")],
  ])("refuses a document past the %s limit with BAD_USER_INPUT before any resolver runs", async (limit, max, query) => {
    const before = await historyCount(server, roomId);
    const result = await server.gql("ann", query, { roomId, input: { roomId, content: "never stored" } });
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(firstError(result)).toMatchObject({ extensions: { code: "BAD_USER_INPUT", seedCode: 4003, limit, max } });
    expect(firstError(result)?.message).not.toMatch(/Syntax Error/);
    expect(await historyCount(server, roomId)).toBe(before);
  });

  it("applies the same limits to graphql-ws operations", async () => {
    const before = await historyCount(server, roomId);
    const ann = await connectWs(server, "ann");
    const deepMutation = ann.subscribe(sends(1, nested(12)), { input: { roomId, content: "never stored" } });
    const aliases = Array.from({ length: 16 }, (_, i) => `v${i}: viewer { id }`).join(" ");
    const manyAliases = ann.subscribe(`{ ${aliases} }`);
    const tokens = "seq ".repeat(2000);
    const tooManyTokens = ann.subscribe(`subscription($r: ID!) { messageAdded(roomId: $r) { id ${tokens} } }`, { r: roomId });
    await Promise.all([deepMutation.waitForComplete(), manyAliases.waitForComplete(), tooManyTokens.waitForComplete()]);
    expect((deepMutation.error as any[])[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "depth" });
    expect((manyAliases.error as any[])[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "aliases" });
    expect((tooManyTokens.error as any[])[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "tokens" });
    // The connection stays usable.
    const { value } = await ann.client.iterate({ query: "{ viewer { id } }" }).next();
    expect(value).toEqual({ data: { viewer: { id: "ann" } } });
    await ann.dispose();
    expect(await historyCount(server, roomId)).toBe(before);
  });

  it("hides field suggestions outside development, also in refused variable values", async () => {
    const field = await server.gql("ann", "{ viewer { usernme } }");
    expect(firstError(field)?.message).toBe('Cannot query field "usernme" on type "User".');
    const input = await server.gql("ann", SEND, { input: { roomId, contnt: "x", content: "y" } });
    expect(firstError(input)?.message).toMatch(/"contnt" is not defined by type "SendMessageInput"\.$/);
    const enumValue = await server.gql("ann", `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "x",
      attachments: [{ url: "https://a.example/x.png", mediaType: IMAGEX, mimeType: "image/png" }] }) { id } }`,
    { r: roomId });
    expect(firstError(enumValue)?.message).toBe('Value "IMAGEX" does not exist in "MediaType" enum.');

    const development = await startTestServer("sqlite", { NODE_ENV: "development" });
    await signIn(development, "ann");
    const shown = await development.gql("ann", "{ viewer { usernme } }");
    expect(firstError(shown)?.message).toBe('Cannot query field "usernme" on type "User". Did you mean "username"?');
  });

  it("refuses a request body over MAX_REQUEST_BYTES with 413, by Content-Length or as it streams", async () => {
    const pad = "x".repeat(64 * 1024);
    const declared = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { id } }", variables: { pad } }),
    });
    expect(declared.status).toBe(413);
    expect(await postChunked(server.url, 64 * 1024)).toBe(413);
    // Just under the limit is fine.
    const fits = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { id } }", variables: { pad: "x".repeat(60 * 1024) } }),
    });
    expect(fits.status).toBe(200);
    expect(await postChunked(server.url, 32 * 1024)).toBe(200);
  });

  it("closes a WebSocket that sends a message over MAX_REQUEST_BYTES with 1009", async () => {
    const socket = new WebSocket(server.url.replace(/^http/, "ws"), "graphql-transport-ws");
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
    await new Promise((resolve) => socket.on("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${await server.token("ann")}` } }));
    await new Promise((resolve) => socket.once("message", resolve));
    const query = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
    const variables = { input: { roomId, content: "x".repeat(64 * 1024) } };
    socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
    expect(await closed).toBe(1009);
  });
});

describe("per-user rate limits", () => {
  let server: TestServer;
  let roomId: string;
  beforeAll(async () => {
    server = await startTestServer("sqlite", { RATE_LIMIT_MESSAGES_PER_MINUTE: 3, RATE_LIMIT_REACTIONS_PER_MINUTE: 2 });
    await signIn(server, "ann", "ben");
    roomId = await createGroup(server, "ann", ["ben"]);
  });

  it("refuses sendMessage past the per-minute limit with RATE_LIMITED and stores nothing", async () => {
    for (let i = 1; i <= 3; i++) await sendMessage(server, "ann", roomId, `m${i}`);
    const refused = await server.gql("ann", SEND, { input: { roomId, content: "m4", clientMsgId: "c4" } });
    expect(refused.data ?? null).toBeNull();
    expect(firstError(refused)?.extensions).toMatchObject({ code: "RATE_LIMITED", seedCode: 4029 });
    const retryAfterMs = firstError(refused)?.extensions?.retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await historyCount(server, roomId)).toBe(3);
    // Per user: ben still may.
    await sendMessage(server, "ben", roomId, "from ben");
    expect(await historyCount(server, roomId)).toBe(4);
  });

  it("refuses react past the per-minute limit with RATE_LIMITED and keeps the reaction", async () => {
    const { id } = await sendMessage(server, "ben", roomId, "react to me");
    const REACT = `mutation($id: ID!, $c: String!) { react(messageId: $id, content: $c) { viewerReaction } }`;
    await ok(server, "ann", REACT, { id, c: "👍" });
    await ok(server, "ann", REACT, { id, c: "🎉" });
    const refused = await server.gql("ann", REACT, { id, c: "❤️" });
    expect(firstError(refused)?.extensions).toMatchObject({ code: "RATE_LIMITED" });
    const view = await ok(server, "ann", `query($r: ID!) { messages(roomId: $r, last: 1) { edges { node {
      viewerReaction reactions { content count } } } } }`, { r: roomId });
    expect(view.messages.edges[0].node).toEqual({ viewerReaction: "🎉", reactions: [{ content: "🎉", count: 1 }] });
  });
});

describe("subscriptions per connection", () => {
  it("refuses one subscription more than MAX_SUBSCRIPTIONS_PER_CONNECTION while the others deliver", async () => {
    const server = await startTestServer("sqlite", { MAX_SUBSCRIPTIONS_PER_CONNECTION: 2 });
    await signIn(server, "ann", "ben");
    const [first, second, third] = [
      await createGroup(server, "ann", ["ben"]),
      await createGroup(server, "ann", ["ben"]),
      await createGroup(server, "ann", ["ben"]),
    ] as [string, string, string];
    const ben = await connectWs(server, "ben");
    const one = ben.subscribe(MESSAGE_ADDED, { roomId: first });
    const two = ben.subscribe(MESSAGE_ADDED, { roomId: second });
    await Promise.all([waitForListeners(server, first, 1), waitForListeners(server, second, 1)]);
    const three = ben.subscribe(MESSAGE_ADDED, { roomId: third });
    await three.waitForComplete();
    expect((three.error as any[])[0].extensions).toMatchObject({ code: "RATE_LIMITED", limit: "subscriptions", max: 2 });

    await sendMessage(server, "ann", first, "to one");
    await sendMessage(server, "ann", second, "to two");
    expect((await one.waitFor(1))[0]?.data?.messageAdded.content).toBe("to one");
    expect((await two.waitFor(1))[0]?.data?.messageAdded.content).toBe("to two");

    // Ending one frees its slot; another connection counts on its own.
    one.unsubscribe();
    const retried = ben.subscribe(MESSAGE_ADDED, { roomId: third });
    const other = await connectWs(server, "ben");
    const elsewhere = other.subscribe(MESSAGE_ADDED, { roomId: third });
    await waitForListeners(server, third, 2);
    await sendMessage(server, "ann", third, "to three");
    expect((await retried.waitFor(1))[0]?.data?.messageAdded.content).toBe("to three");
    expect((await elsewhere.waitFor(1))[0]?.data?.messageAdded.content).toBe("to three");
    expect(three.results).toHaveLength(0);
    await Promise.all([ben.dispose(), other.dispose()]);
  });
});
