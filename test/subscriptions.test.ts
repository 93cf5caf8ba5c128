// Subscriptions through the real graphql-ws and graphql-sse clients against a listening server.
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PROVIDERS } from "./harness/databases.js";
import { connectSse, connectWs, waitForListeners, waitForViewer } from "./harness/clients.js";
import { codeOf, createChannel, createChat, createGroup, ok, signIn } from "./harness/fixtures.js";
import { signToken } from "../src/auth/authenticate.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);
// A test that fakes the clock and fails must not leave it faked for the next ones.
afterEach(() => {
  vi.useRealTimers();
});

const MESSAGE_ADDED = `subscription($roomId: ID!, $afterSeq: Int) {
  messageAdded(roomId: $roomId, afterSeq: $afterSeq) { id seq content sender { id } room { id } }
}`;
const ROOM_EVENTS = `subscription($roomId: ID!, $afterSeq: Int) {
  roomEvents(roomId: $roomId, afterSeq: $afterSeq) {
    kind roomId
    ... on MessageAddedEvent { seq message { content } }
    ... on MembersRemovedEvent { userIds }
    ... on MembersAddedEvent { userIds }
    ... on TypingEvent { user { id } }
    ... on RoomResetEvent { latestSeq }
  }
}`;
const VIEWER_EVENTS = `subscription { viewerEvents { kind roomId
  ... on AddedToRoomEvent { room { id name } }
  ... on RemovedFromRoomEvent { roomDeleted }
  ... on MessageAddedEvent { seq message { content } } } }`;

async function send(server: TestServer, userId: string, roomId: string, content: string): Promise<number> {
  const data = await ok(server, userId, `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`, {
    r: roomId,
    c: content,
  });
  return data.sendMessage.seq;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A token the server's secret signed, without an `exp` claim. */
const signTokenWithoutExpiry = (secret: string, userId: string) =>
  new SignJWT({ name: userId }).setProtectedHeader({ alg: "HS256" }).setSubject(userId).sign(new TextEncoder().encode(secret));

const seqsOf = (results: Array<{ data?: any }>) => results.map((result) => result.data?.messageAdded?.seq);

describe.each(PROVIDERS)("subscriptions on %s", (provider) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "ann", "ben", "cat", "dan");
  });

  it("delivers new messages to the members of every kind of room and refuses others before any event", async () => {
    const rooms = {
      chat: await createChat(server, "ann", "ben"),
      group: await createGroup(server, "ann", ["ben"]),
      channel: await createChannel(server, "ann", ["ben"]),
    };
    const ben = await connectWs(server, "ben");
    const cat = await connectWs(server, "cat");
    for (const [kind, roomId] of Object.entries(rooms)) {
      const member = ben.subscribe(MESSAGE_ADDED, { roomId });
      const outsider = cat.subscribe(MESSAGE_ADDED, { roomId });
      await waitForListeners(server, roomId, 1);
      await send(server, "ann", roomId, `hello ${kind}`);
      const [first] = await member.waitFor(1);
      expect(first?.data?.messageAdded).toMatchObject({ seq: 1, content: `hello ${kind}`, sender: { id: "ann" }, room: { id: roomId } });
      const [refusal] = await outsider.waitFor(1);
      // A room the outsider is not in is, to them, a room that does not exist.
      expect(refusal?.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      expect(outsider.results).toHaveLength(1);
      member.unsubscribe();
    }
    await Promise.all([ben.dispose(), cat.dispose()]);
  });

  it("refuses a WebSocket connection without a valid token with close code 4401", async () => {
    const anonymous = await connectWs(server, null);
    expect((await anonymous.closed).code).toBe(4401);
    const forged = await connectWs(server, null, "not.a.token");
    expect((await forged.closed).code).toBe(4401);
    // Signed, but valid forever: refused, or the connection would never re-authenticate.
    const noExpiry = await connectWs(server, null, await signTokenWithoutExpiry(server.secret, "ben"));
    expect((await noExpiry.closed).code).toBe(4401);
  });

  it("closes a WebSocket with 4401 when its token expires", async () => {
    const shortLived = await signToken(server.secret, { sub: "ben" }, "2s");
    const ben = await connectWs(server, "ben", shortLived);
    const roomId = await createGroup(server, "ann", ["ben"]);
    const messages = ben.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(server, roomId, 1);
    const started = Date.now();
    const { code, reason } = await ben.closed;
    expect({ code, reason }).toEqual({ code: 4401, reason: "Token expired" });
    expect(Date.now() - started).toBeLessThan(5_000);
    await messages.waitForComplete();
  });

  it("closes a WebSocket with 4401 when a 30-day token expires, past setTimeout's 24.8-day range", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    // A clock that runs on its own, and can be moved on by 30 days.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], shouldAdvanceTime: true });
    try {
      const monthLong = await signToken(server.secret, { sub: "ben" }, "30d");
      const ben = await connectWs(server, "ben", monthLong);
      const messages = ben.subscribe(MESSAGE_ADDED, { roomId });
      await waitForListeners(server, roomId, 1);
      await vi.advanceTimersByTimeAsync(30 * DAY_MS - 60_000);
      await send(server, "ann", roomId, "a day before expiry, still connected");
      await messages.waitFor(1);
      await vi.advanceTimersByTimeAsync(62_000);
      const { code, reason } = await ben.closed;
      expect({ code, reason }).toEqual({ code: 4401, reason: "Token expired" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("ends an SSE subscription with UNAUTHENTICATED when its token expires", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const shortLived = await signToken(server.secret, { sub: "ben" }, "2s");
    const ben = await connectSse(server, "ben", shortLived);
    const messages = ben.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(server, roomId, 1);
    await send(server, "ann", roomId, "while the token is valid");
    await messages.waitFor(1);
    await messages.waitForComplete(5_000);
    // One error says why, then the stream completes (no network error); nothing streams anymore.
    expect(messages.error).toBeUndefined();
    expect(messages.results.at(-1)?.errors?.[0]).toMatchObject({ message: "The token has expired.", extensions: { code: "UNAUTHENTICATED" } });
    expect(server.server.realtime.listenerCount(roomId)).toBe(0);
  });

  it("stops a removed member's stream at the removal while the others keep receiving", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const ben = await connectWs(server, "ben");
    const cat = await connectWs(server, "cat");
    const benEvents = ben.subscribe(ROOM_EVENTS, { roomId });
    const catEvents = cat.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 2);
    await send(server, "ann", roomId, "before");
    await ok(server, "ann", `mutation($r: ID!) { removeMember(roomId: $r, userId: "ben") { id } }`, { r: roomId });
    await benEvents.waitForComplete();
    await send(server, "ann", roomId, "after");
    const catSeen = await catEvents.waitFor(3);
    expect(catSeen.map((result) => result.data?.roomEvents.kind)).toEqual(["MESSAGE_ADDED", "MEMBERS_REMOVED", "MESSAGE_ADDED"]);
    expect(benEvents.results.map((result) => result.data?.roomEvents.kind)).toEqual(["MESSAGE_ADDED", "MEMBERS_REMOVED"]);
    await Promise.all([ben.dispose(), cat.dispose()]);
  });

  it("resumes with afterSeq: every missed message once, in order, also while messages arrive", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    for (let i = 1; i <= 5; i++) await send(server, "ann", roomId, `m${i}`);
    const ben = await connectWs(server, "ben");
    const resumed = ben.subscribe(MESSAGE_ADDED, { roomId, afterSeq: 2 });
    // Sends racing the replay: none may be lost or repeated.
    await Promise.all([send(server, "ann", roomId, "m6"), send(server, "ann", roomId, "m7"), send(server, "ann", roomId, "m8")]);
    await resumed.waitFor(6);
    await send(server, "ann", roomId, "m9");
    const results = await resumed.waitFor(7);
    expect(seqsOf(results)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    await ben.dispose();
  });

  it("resumes in seq order while another member with the same operation receives the same messages live", async () => {
    // Subscribers of the same operation and variables share each live event's execution. A resumed
    // subscriber's replay must still come before the live messages it shares with the others.
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    for (let i = 1; i <= 3; i++) await send(server, "ann", roomId, `m${i}`);
    const cat = await connectWs(server, "cat");
    const live = cat.subscribe(MESSAGE_ADDED, { roomId, afterSeq: 0 });
    await live.waitFor(3);
    const ben = await connectWs(server, "ben");
    const resumed = Array.from({ length: 4 }, () => ben.subscribe(MESSAGE_ADDED, { roomId, afterSeq: 0 }));
    await Promise.all(Array.from({ length: 12 }, (_, i) => send(server, "ann", roomId, `r${i}`)));
    const expected = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(seqsOf(await live.waitFor(15))).toEqual(expected);
    for (const subscription of resumed) expect(seqsOf(await subscription.waitFor(15))).toEqual(expected);
    await Promise.all([ben.dispose(), cat.dispose()]);
  });

  it("sends one reset event instead of a replay past the limit", async () => {
    const limited = await startTestServer(provider, { RESUME_REPLAY_LIMIT: 3 });
    await signIn(limited, "ann", "ben");
    const roomId = await createGroup(limited, "ann", ["ben"]);
    for (let i = 1; i <= 5; i++) await send(limited, "ann", roomId, `m${i}`);
    const ben = await connectWs(limited, "ben");
    const events = ben.subscribe(ROOM_EVENTS, { roomId, afterSeq: 0 });
    const messages = ben.subscribe(MESSAGE_ADDED, { roomId, afterSeq: 0 });
    // The reset comes first; a message sent after it arrives live.
    const [reset] = await events.waitFor(1);
    expect(reset?.data?.roomEvents).toMatchObject({ kind: "RESET", latestSeq: 5 });
    const [resync] = await messages.waitFor(1);
    expect(resync?.errors?.[0]?.extensions).toMatchObject({ code: "RESYNC_REQUIRED", latestSeq: 5 });
    await send(limited, "ann", roomId, "m6");
    const [, live] = await events.waitFor(2);
    expect(live?.data?.roomEvents).toMatchObject({ kind: "MESSAGE_ADDED", seq: 6 });
    const [, next] = await messages.waitFor(2);
    expect(next?.data?.messageAdded.seq).toBe(6);
    await ben.dispose();
  });

  it("resumes after the server restarted", async () => {
    const first = await startTestServer(provider);
    await signIn(first, "ann", "ben");
    const roomId = await createGroup(first, "ann", ["ben"]);
    const ben = await connectWs(first, "ben");
    const live = ben.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(first, roomId, 1);
    await send(first, "ann", roomId, "m1");
    await live.waitFor(1);
    await first.server.stop();
    expect((await ben.closed).code).toBe(1001);
    const second = await startTestServer(provider, { database: first.database });
    await send(second, "ann", roomId, "m2");
    await send(second, "ann", roomId, "m3");
    const again = await connectWs(second, "ben");
    const resumed = again.subscribe(MESSAGE_ADDED, { roomId, afterSeq: 1 });
    expect(seqsOf(await resumed.waitFor(2))).toEqual([2, 3]);
    await again.dispose();
  });

  it("announces being added to a room on viewerEvents, and that room's events follow", async () => {
    const dan = await connectWs(server, "dan");
    const events = dan.subscribe(VIEWER_EVENTS);
    await waitForViewer(server, "dan");
    const roomId = await createGroup(server, "ann", ["dan"], { name: "news" });
    const [added] = await events.waitFor(1);
    expect(added?.data?.viewerEvents).toMatchObject({ kind: "ADDED_TO_ROOM", roomId, room: { id: roomId, name: "news" } });
    await waitForListeners(server, roomId, 1);
    await send(server, "ann", roomId, "welcome");
    const [, message] = await events.waitFor(2);
    expect(message?.data?.viewerEvents).toMatchObject({ kind: "MESSAGE_ADDED", roomId, message: { content: "welcome" } });

    // Removed: told so, and nothing of that room follows; the stream itself stays open.
    await ok(server, "ann", `mutation($r: ID!) { removeMember(roomId: $r, userId: "dan") { id } }`, { r: roomId });
    const [, , removed] = await events.waitFor(3);
    expect(removed?.data?.viewerEvents).toEqual({ kind: "REMOVED_FROM_ROOM", roomId, roomDeleted: false });
    await send(server, "ann", roomId, "after removal");
    const other = await createGroup(server, "ann", ["dan"], { name: "second" });
    const [next] = (await events.waitFor(4)).slice(3);
    expect(next?.data?.viewerEvents).toMatchObject({ kind: "ADDED_TO_ROOM", roomId: other });
    expect(events.completed).toBe(false);
    await dan.dispose();
  });

  it("delivers to every connection of a user (devices, tabs)", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const phone = await connectWs(server, "ben");
    const laptop = await connectWs(server, "ben");
    const onPhone = phone.subscribe(MESSAGE_ADDED, { roomId });
    const onLaptop = laptop.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(server, roomId, 2);
    await send(server, "ann", roomId, "to both");
    for (const subscription of [onPhone, onLaptop]) {
      const [first] = await subscription.waitFor(1);
      expect(first?.data?.messageAdded.content).toBe("to both");
    }
    await Promise.all([phone.dispose(), laptop.dispose()]);
  });

  it("delivers over SSE with the same token", async () => {
    const roomId = await createGroup(server, "ann", ["cat"]);
    const cat = await connectSse(server, "cat");
    const messages = cat.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(server, roomId, 1);
    await send(server, "ann", roomId, "over sse");
    const [first] = await messages.waitFor(1);
    expect(first?.data?.messageAdded.content).toBe("over sse");
    messages.unsubscribe();
    cat.client.dispose();
  });

  it("shows typing to the others, not the typist, and limits its rate", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const ann = await connectWs(server, "ann");
    const ben = await connectWs(server, "ben");
    const annEvents = ann.subscribe(ROOM_EVENTS, { roomId });
    const benEvents = ben.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 2);
    const typing = `mutation($r: ID!) { setTyping(roomId: $r) }`;
    expect(await codeOf(server, "ann", typing, { r: roomId })).toBe("OK");
    expect(await codeOf(server, "ann", typing, { r: roomId })).toBe("RATE_LIMITED");
    expect(await codeOf(server, "dan", typing, { r: roomId })).toBe("NOT_FOUND");
    const [event] = await benEvents.waitFor(1);
    expect(event?.data?.roomEvents).toMatchObject({ kind: "TYPING", user: { id: "ann" } });
    await send(server, "ben", roomId, "marker");
    const [first] = await annEvents.waitFor(1);
    expect(first?.data?.roomEvents.kind).toBe("MESSAGE_ADDED");
    await Promise.all([ann.dispose(), ben.dispose()]);
  });
});
