// Presence on one instance (in memory), through real clients: who is online and when they were
// last seen (User.online, User.lastSeenAt), who may see it, the PresenceChanged event on the
// subscriptions of shared rooms, and the grace that turns a reconnect into no change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "../src/generated/sqlite/client.js";
import { PermissionHandler } from "../src/permissions/permission-handler.js";
import { PROVIDERS } from "./harness/databases.js";
import { connectSse, connectWs, poll, sleep, waitForListeners, waitForViewer, type Collected } from "./harness/clients.js";
import { createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

/** Short, so that tests wait little; long enough for a reconnect to land within it. */
const GRACE_MS = 500;

const ROOM_EVENTS = `subscription($roomId: ID!) {
  roomEvents(roomId: $roomId) { kind roomId ... on PresenceChangedEvent { user { id online lastSeenAt } } }
}`;

const VIEWER_EVENTS = `subscription { viewerEvents { kind roomId ... on PresenceChangedEvent { user { id online } } } }`;

const MEMBERS = `query($r: ID!) { room(id: $r) { members(first: 100) { edges { node { user { id online lastSeenAt } } } } } }`;

interface Seen {
  online: boolean;
  lastSeenAt: string | null;
}

/** The presence events a subscription received so far: [userId, roomId, online]. */
const presenceOf = (events: Collected) =>
  events.results
    .map((result) => result.data?.roomEvents)
    .filter((event) => event?.kind === "PRESENCE_CHANGED")
    .map((event) => [event.user.id, event.roomId, event.user.online]);

/** What `viewerId` reads of each member's presence in the room. */
async function presenceIn(server: TestServer, viewerId: string, roomId: string): Promise<Record<string, Seen>> {
  const data = await ok(server, viewerId, MEMBERS, { r: roomId });
  return Object.fromEntries(
    data.room.members.edges.map(({ node }: any) => [node.user.id, { online: node.user.online, lastSeenAt: node.user.lastSeenAt }]),
  );
}

describe.each(PROVIDERS)("presence on %s", (provider) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(provider, { PRESENCE_GRACE_MS: GRACE_MS });
    await signIn(server, "ann", "ben", "cat", "dan", "eve", "fay");
  });

  it("shows a member connected over graphql-ws online, then offline after the grace with the time they left", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const ann = await connectWs(server, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);
    expect((await presenceIn(server, "ann", roomId)).ben).toEqual({ online: false, lastSeenAt: null });

    const ben = await connectWs(server, "ben");
    const [online] = await events.waitFor(1);
    expect(online?.data?.roomEvents).toMatchObject({ kind: "PRESENCE_CHANGED", roomId, user: { id: "ben", online: true } });
    const whileOnline = await presenceIn(server, "ann", roomId);
    expect(whileOnline.ben?.online).toBe(true);
    // Online: being seen now.
    expect(Math.abs(Date.parse(whileOnline.ben!.lastSeenAt!) - Date.now())).toBeLessThan(5_000);
    expect(whileOnline.ann?.online).toBe(true);

    const leftAt = Date.now();
    await ben.dispose();
    // Still online within the grace.
    await sleep(GRACE_MS / 3);
    expect((await presenceIn(server, "ann", roomId)).ben?.online).toBe(true);
    const [, offline] = await events.waitFor(2);
    const offlineUser = offline?.data?.roomEvents.user;
    expect(offlineUser).toMatchObject({ id: "ben", online: false });
    // The time the connection closed, not the end of the grace.
    expect(Date.parse(offlineUser.lastSeenAt)).toBeGreaterThanOrEqual(leftAt - 50);
    expect(Date.parse(offlineUser.lastSeenAt)).toBeLessThan(leftAt + GRACE_MS);
    expect((await presenceIn(server, "ann", roomId)).ben).toEqual({ online: false, lastSeenAt: offlineUser.lastSeenAt });
    // Stored, so a restart still knows it.
    const row = await server.server.db.user.findUnique({ where: { id: "ben" } });
    expect(row?.lastSeenAt?.toISOString()).toBe(offlineUser.lastSeenAt);

    await sleep(GRACE_MS);
    expect(presenceOf(events)).toEqual([
      ["ben", roomId, true],
      ["ben", roomId, false],
    ]);
    await ann.dispose();
  });

  it("counts an SSE subscription as a connection while it streams, and does not send users their own presence", async () => {
    const roomId = await createGroup(server, "ann", ["cat"]);
    const ann = await connectWs(server, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);

    const cat = await connectSse(server, "cat");
    const catEvents = cat.subscribe(ROOM_EVENTS, { roomId });
    await events.waitFor(1);
    expect(presenceOf(events)).toEqual([["cat", roomId, true]]);
    expect((await presenceIn(server, "ann", roomId)).cat?.online).toBe(true);
    // Over SSE too: her presence as others see it.
    const viewer = await ok(server, "cat", "{ viewer { online } }");
    expect(viewer.viewer.online).toBe(true);

    catEvents.unsubscribe();
    await events.waitFor(2);
    expect(presenceOf(events)).toEqual([
      ["cat", roomId, true],
      ["cat", roomId, false],
    ]);
    expect(presenceOf(catEvents)).toEqual([]);
    expect((await presenceIn(server, "ann", roomId)).cat?.online).toBe(false);
    cat.client.dispose();
    await ann.dispose();
  });

  it("follows the room's members: one added after the subscription began is heard, one removed no longer", async () => {
    await signIn(server, "gus");
    const roomId = await createGroup(server, "ann", ["ben"]);
    const ann = await connectWs(server, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);

    await ok(server, "ann", `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id } }`, { r: roomId, u: "gus" });
    const gus = await connectWs(server, "gus");
    await poll(() => presenceOf(events).length === 1, "gus online");
    expect(presenceOf(events)).toEqual([["gus", roomId, true]]);

    await ok(server, "ann", `mutation($r: ID!, $u: ID!) { removeMember(roomId: $r, userId: $u) { id } }`, { r: roomId, u: "gus" });
    await gus.dispose();
    await sleep(GRACE_MS * 2);
    // Gus went offline after the grace, no longer a member: not heard. Ben's change, later, is.
    const ben = await connectWs(server, "ben");
    await poll(() => presenceOf(events).length >= 2, "ben online");
    expect(presenceOf(events)).toEqual([
      ["gus", roomId, true],
      ["ben", roomId, true],
    ]);
    await ben.dispose();
    await ann.dispose();
  });

  it("treats a reconnect within the grace, and one of two connections closing, as no change", async () => {
    const roomId = await createGroup(server, "ann", ["dan"]);
    const ann = await connectWs(server, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);

    const first = await connectWs(server, "dan");
    const second = await connectWs(server, "dan");
    await events.waitFor(1);
    await first.dispose();
    await sleep(GRACE_MS * 2);
    await second.dispose();
    const again = await connectWs(server, "dan");
    await sleep(GRACE_MS * 2);
    expect(presenceOf(events)).toEqual([["dan", roomId, true]]);

    await again.dispose();
    await events.waitFor(2);
    await sleep(GRACE_MS);
    expect(presenceOf(events)).toEqual([
      ["dan", roomId, true],
      ["dan", roomId, false],
    ]);
    await ann.dispose();
  });

  it("sends one change once on each subscription of each shared room, however many connections changed", async () => {
    const first = await createGroup(server, "ann", ["eve"]);
    const second = await createGroup(server, "ann", ["eve"]);
    const ann = await connectWs(server, "ann");
    const onFirst = ann.subscribe(ROOM_EVENTS, { roomId: first });
    const onSecond = ann.subscribe(ROOM_EVENTS, { roomId: second });
    const annElsewhere = await connectSse(server, "ann");
    const onFirstOverSse = annElsewhere.subscribe(ROOM_EVENTS, { roomId: first });
    const onViewer = ann.subscribe(VIEWER_EVENTS);
    await waitForViewer(server, "ann");
    await waitForListeners(server, first, 2);
    await waitForListeners(server, second, 1);

    // Three connections at once: one arrival.
    const ws1 = await connectWs(server, "eve");
    const ws2 = await connectWs(server, "eve");
    const sse = await connectSse(server, "eve");
    const sseEvents = sse.subscribe(ROOM_EVENTS, { roomId: second });
    await Promise.all([onFirst, onSecond, onFirstOverSse, onViewer].map((events) => events.waitFor(1)));
    await waitForListeners(server, second, 2);
    await Promise.all([ws1.dispose(), ws2.dispose()]);
    sseEvents.unsubscribe();
    await Promise.all([onFirst, onSecond, onFirstOverSse].map((events) => events.waitFor(2)));
    await onViewer.waitFor(2);
    await sleep(GRACE_MS * 2);
    expect(presenceOf(onFirst)).toEqual([
      ["eve", first, true],
      ["eve", first, false],
    ]);
    expect(presenceOf(onSecond)).toEqual([
      ["eve", second, true],
      ["eve", second, false],
    ]);
    expect(presenceOf(onFirstOverSse)).toEqual(presenceOf(onFirst));
    // One stream for all the viewer's rooms: each change once, through one of the rooms shared.
    const viewerPresence = onViewer.results.map((result) => result.data?.viewerEvents).filter((event) => event?.kind === "PRESENCE_CHANGED");
    expect(viewerPresence.map((event) => event.user.online)).toEqual([true, false]);
    for (const event of viewerPresence) expect([first, second]).toContain(event.roomId);
    sse.client.dispose();
    annElsewhere.client.dispose();
    await ann.dispose();
  });

  it("shows a user offline and never seen to those who share no room with them", async () => {
    const shared = await createGroup(server, "ann", ["ben"]);
    const ben = await connectWs(server, "ben");
    await poll(async () => (await presenceIn(server, "ann", shared)).ben?.online === true, "ben online");

    // A former room-mate: fay still reads ben's old message, but they share no room any more.
    const groupId = await createGroup(server, "fay", ["ben"]);
    await sendMessage(server, "ben", groupId, "bye");
    await ok(server, "ben", `mutation($r: ID!) { leaveRoom(roomId: $r) { roomId } }`, { r: groupId });
    const history = await ok(server, "fay", `query($r: ID!) { messages(roomId: $r) { edges { node { sender { id online lastSeenAt } } } } }`, {
      r: groupId,
    });
    expect(history.messages.edges[0].node.sender).toEqual({ id: "ben", online: false, lastSeenAt: null });
    await ben.dispose();
  });

  it("reads the presence of a page of 100 members with two statements", async () => {
    // A server of its own: the other tests' users going offline write lastSeenAt in the background.
    let queries = 0;
    const quiet = await startTestServer(provider, { onQuery: () => queries++ });
    await signIn(quiet, "ann");
    const others = Array.from({ length: 99 }, (_, i) => `crowd-${i}`);
    await quiet.server.db.user.createMany({ data: others.map((id) => ({ id, username: id })) });
    const roomId = await createGroup(quiet, "ann", others);
    const count = async (query: string) => {
      const before = queries;
      await ok(quiet, "ann", query, { r: roomId });
      return queries - before;
    };
    const without = await count(`query($r: ID!) { room(id: $r) { members(first: 100) { edges { node { user { id } } } } } }`);
    const withPresence = await count(MEMBERS);
    // One for who shares a room with the viewer, one for the last-seen times.
    expect(withPresence - without).toBeLessThanOrEqual(2);
  });
});

/** A policy that hides everyone's presence from cat. */
class PresenceHiddenFromCat extends PermissionHandler {
  override async canSeePresence(user: User, otherUserId: string): Promise<boolean> {
    return user.id !== "cat" && super.canSeePresence(user, otherUserId);
  }
}

describe.each(PROVIDERS)("presence with an overridden canSeePresence on %s", (provider) => {
  it("delivers the event to every member, and each reads online as the handler answers them", async () => {
    const server = await startTestServer(provider, { PRESENCE_GRACE_MS: GRACE_MS, permissionHandler: PresenceHiddenFromCat });
    await signIn(server, "ann", "ben", "cat");
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const ann = await connectWs(server, "ann");
    const cat = await connectWs(server, "cat");
    // connectWs does not wait for the server's acknowledgement: cat's arrival must be over before
    // ann subscribes, or it would be the first event she receives.
    await poll(async () => (await server.server.presence.onlineAmong(["ann", "cat"])).size === 2, "ann and cat connected");
    // The same document for both: selecting `online` makes it run per subscriber.
    const annEvents = ann.subscribe(ROOM_EVENTS, { roomId });
    const catEvents = cat.subscribe(ROOM_EVENTS, { roomId });
    // And one that selects nothing about presence, shared by both.
    const SHAREABLE = `subscription($roomId: ID!) { roomEvents(roomId: $roomId) { kind ... on PresenceChangedEvent { user { id username } } } }`;
    const annShared = ann.subscribe(SHAREABLE, { roomId });
    const catShared = cat.subscribe(SHAREABLE, { roomId });
    await waitForListeners(server, roomId, 4);

    const ben = await connectWs(server, "ben");
    const [[forAnn], [forCat]] = await Promise.all([annEvents.waitFor(1), catEvents.waitFor(1)]);
    expect(forAnn?.data?.roomEvents.user).toMatchObject({ id: "ben", online: true });
    expect(forCat?.data?.roomEvents.user).toEqual({ id: "ben", online: false, lastSeenAt: null });
    const [[sharedForAnn], [sharedForCat]] = await Promise.all([annShared.waitFor(1), catShared.waitFor(1)]);
    expect(sharedForAnn?.data).toEqual({ roomEvents: { kind: "PRESENCE_CHANGED", user: { id: "ben", username: "ben" } } });
    expect(sharedForCat?.data).toEqual(sharedForAnn?.data);
    expect((await presenceIn(server, "cat", roomId)).ben).toEqual({ online: false, lastSeenAt: null });
    expect((await presenceIn(server, "ann", roomId)).ben?.online).toBe(true);
    await Promise.all([ben.dispose(), ann.dispose(), cat.dispose()]);
  });
});
