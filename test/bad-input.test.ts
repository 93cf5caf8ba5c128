// Input that used to become an internal error (issue 9, item 5): identity claims no database
// stores, JSON nested too deep or holding unstorable strings, and forged pagination cursors.
// Each is refused with UNAUTHENTICATED (401 / 4401) or BAD_USER_INPUT, and nothing is written.
// test/argument-fuzz.test.ts throws generated values at every argument of the schema.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../src/auth/authenticate.js";
import { LIMITS } from "../src/limits.js";
import { connectWs } from "./harness/clients.js";
import { PROVIDERS } from "./harness/databases.js";
import { codeOf, createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const VIEWER = "{ viewer { id username } }";
const MESSAGE_ADDED = `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id } }`;

/** `{ a: { a: ... { a: 1 } } }`, `levels` objects deep. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe.each(PROVIDERS)("bad input on %s", (provider) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "ann", "ben");
  });

  async function post(token: string, query: string, accept = "application/json") {
    return fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { roomId: "8a1f1d8e-0000-4000-8000-000000000000" } }),
    });
  }

  /** What a refused token gets over HTTP and SSE: 401 and UNAUTHENTICATED, as any invalid token. */
  async function refusalOf(token: string, query: string, accept: string): Promise<{ status: number; code: unknown }> {
    const response = await post(token, query, accept);
    const text = await response.text();
    const json = accept === "text/event-stream" ? (/^data: (\{.*\})$/m.exec(text)?.[1] ?? "{}") : text;
    const body = JSON.parse(json) as { errors?: Array<{ extensions: { code: string } }> };
    return { status: response.status, code: body.errors?.[0]?.extensions.code };
  }

  it("refuses a token whose claims no database stores like any invalid token, on every transport", async () => {
    const users = await server.server.db.user.count();
    const tokens = [
      await signToken(server.secret, { sub: "x\ud800" }),
      await signToken(server.secret, { sub: "eve", name: "e\udc00ve" }),
      await signToken(server.secret, { sub: "nul\u0000" }),
      await signToken(server.secret, { sub: "eve", name: "nul\u0000" }),
    ];
    for (const token of tokens) {
      // Twice: the first request must not leave a half-written user that breaks the next.
      for (let attempt = 0; attempt < 2; attempt++) {
        expect(await refusalOf(token, VIEWER, "application/json")).toEqual({ status: 401, code: "UNAUTHENTICATED" });
      }
      expect(await refusalOf(token, MESSAGE_ADDED, "text/event-stream")).toEqual({ status: 401, code: "UNAUTHENTICATED" });
      const ws = await connectWs(server, null, token);
      expect((await ws.closed).code).toBe(4401);
    }
    expect(await server.server.db.user.count()).toBe(users);
  });

  it("shortens a long name by whole characters, never into a lone surrogate", async () => {
    const name = `${"a".repeat(149)}\u{1F600}b`;
    const token = await signToken(server.secret, { sub: "long-name", name });
    const response = await post(token, VIEWER);
    const body = (await response.json()) as { data: { viewer: { username: string } } };
    expect(body.data.viewer.username).toBe(`${"a".repeat(149)}\u{1F600}`);
  });

  it("refuses claims no database stores from an application's own authenticate", async () => {
    const custom = await startTestServer(provider, {
      authenticate: async () => ({ id: "pat", username: "pat", displayName: "p\ud800" }),
    });
    const response = await fetch(custom.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: VIEWER }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
    expect(body.errors?.[0]?.extensions.code).toBe("UNAUTHENTICATED");
    expect(await custom.server.db.user.count()).toBe(0);
  });

  it("refuses JSON arguments nested too deep, or holding unstorable strings or numbers, writing nothing", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const before = await server.server.db.room.findUniqueOrThrow({ where: { id: roomId } });
    const UPDATE = `mutation($r: ID!, $p: JSON!) { updateRoom(roomId: $r, input: { preferences: $p }) { id } }`;
    const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
    const image = (metadata: unknown) => ({
      roomId,
      content: "look",
      attachments: [{ url: "https://cdn.example/a.png", mediaType: "IMAGE", mimeType: "image/png", metadata }],
    });
    const refused = [
      nested(LIMITS.jsonDepth + 1),
      nested(1_000),
      { list: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] },
      { text: "x\ud800" },
      { "k\udc00": 1 },
      { text: "nul\u0000" },
      { "nul\u0000": true },
    ];
    for (const value of refused) {
      const update = await server.gql("ann", UPDATE, { r: roomId, p: value });
      expect(update.errors?.[0]?.extensions?.code, JSON.stringify(value).slice(0, 80)).toBe("BAD_USER_INPUT");
      expect(update.errors?.[0]?.extensions?.field).toBe("preferences");
      const send = await server.gql("ann", SEND, { input: image(value) });
      expect(send.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(send.errors?.[0]?.extensions?.field).toBe("attachments[0].metadata");
    }
    // Deeper than the test's own JSON.stringify goes: the request body written by hand.
    const deep = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await server.token("ann")}` },
      body: `{"query":${JSON.stringify(UPDATE)},"variables":{"r":"${roomId}","p":${deep}}}`,
    });
    expect(((await response.json()) as any).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    // A number past a double, written as a literal (a JSON body cannot carry one).
    const literal = `mutation { updateRoom(roomId: "${roomId}", input: { preferences: { n: 1e400 } }) { id } }`;
    expect(await codeOf(server, "ann", literal)).toBe("BAD_USER_INPUT");
    expect(await server.server.db.room.findUniqueOrThrow({ where: { id: roomId } })).toEqual(before);
    expect(await server.server.db.message.count({ where: { roomId } })).toBe(0);
    // The limit itself is allowed, on both databases.
    await ok(server, "ann", UPDATE, { r: roomId, p: nested(LIMITS.jsonDepth) });
    await ok(server, "ann", SEND, { input: image(nested(LIMITS.jsonDepth)) });
  });

  it("refuses forged pagination cursors", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    await sendMessage(server, "ann", roomId, "one");
    const MESSAGES = `query($r: ID!, $c: String) { messages(roomId: $r, before: $c) { edges { node { id } } } }`;
    const ROOMS = `query($c: String) { rooms(after: $c) { edges { node { id } } } }`;
    const CHANNELS = `query($c: String) { publicChannels(after: $c) { edges { node { id } } } }`;
    const NOTIFICATIONS = `query($c: String) { notifications(after: $c) { edges { node { id } } } }`;
    const seqCursors = [1e20, 2 ** 31, -1, 1.5, "7", [1], null, { seq: 1 }].map(encodeCursor);
    const id = "8a1f1d8e-0000-4000-8000-000000000000";
    const timeCursors = [
      ["+275760-09-13T00:00:00.000Z", id],
      ["-271821-04-20T00:00:00.000Z", id],
      ["99999", id],
      ["2020-01-01", id],
      ["2020-02-30T00:00:00.000Z", id],
      [1e20, id],
      ["2020-01-01T00:00:00.000Z", 5],
      ["2020-01-01T00:00:00.000Z", "nul\u0000"],
      ["2020-01-01T00:00:00.000Z", "x\ud800"],
      "not-a-list",
    ].map(encodeCursor);
    const garbage = ["%%%", "x".repeat(60_000), encodeCursor(["2020-01-01T00:00:00.000Z", "x".repeat(1_000)]), Buffer.from("[1,").toString("base64url")];
    for (const cursor of [...seqCursors, ...garbage]) {
      expect(await codeOf(server, "ann", MESSAGES, { r: roomId, c: cursor })).toBe("BAD_USER_INPUT");
    }
    for (const query of [ROOMS, CHANNELS, NOTIFICATIONS]) {
      for (const cursor of [...timeCursors, ...garbage]) {
        expect(await codeOf(server, "ann", query, { c: cursor })).toBe("BAD_USER_INPUT");
      }
    }
    // Cursors the server issued still page.
    const issued = await ok(server, "ann", `{ rooms(first: 1) { pageInfo { endCursor } } }`);
    await ok(server, "ann", ROOMS, { c: issued.rooms.pageInfo.endCursor });
    await ok(server, "ann", MESSAGES, { r: roomId, c: encodeCursor(2 ** 31 - 1) });
  });

  it("refuses user ids no database could hold", async () => {
    for (const userId of ["nul\u0000", "x\ud800"]) {
      const chat = `mutation($u: ID!) { createOneToOneChat(userId: $u) { id } }`;
      expect(await codeOf(server, "ann", chat, { u: userId })).toBe("BAD_USER_INPUT");
    }
  });
});
