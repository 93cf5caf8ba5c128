// Presence on one instance (in memory), through real clients: who is online, the PresenceChanged
// event on the subscriptions of shared rooms, and the grace that turns a reconnect into no change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "./harness/databases.js";
import { connectSse, connectWs, waitForListeners, type Collected } from "./harness/clients.js";
import { createGroup, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

/** Short, so that tests wait little; long enough for a reconnect to land within it. */
const GRACE_MS = 300;

const ROOM_EVENTS = `subscription($roomId: ID!) {
  roomEvents(roomId: $roomId) { kind roomId ... on PresenceChangedEvent { user { id } } }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The presence events a subscription received so far, as [userId, roomId]. */
const presenceOf = (events: Collected) =>
  events.results
    .map((result) => result.data?.roomEvents)
    .filter((event) => event?.kind === "PRESENCE_CHANGED")
    .map((event) => [event.user.id, event.roomId]);

describe.each(PROVIDERS)("presence on %s", (provider) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(provider, { PRESENCE_GRACE_MS: GRACE_MS });
    await signIn(server, "ann", "ben", "cat", "dan");
  });

  it("announces a member connecting over graphql-ws once, and leaving once after the grace", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const ann = await connectWs(server, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);

    const ben = await connectWs(server, "ben");
    await events.waitFor(1);
    expect(presenceOf(events)).toEqual([["ben", roomId]]);

    await ben.dispose();
    // Still online within the grace.
    await sleep(GRACE_MS / 3);
    expect(presenceOf(events)).toHaveLength(1);
    await events.waitFor(2);
    await sleep(GRACE_MS);
    expect(presenceOf(events)).toEqual([
      ["ben", roomId],
      ["ben", roomId],
    ]);
    await ann.dispose();
  });

  it("counts an SSE subscription as a connection while it streams", async () => {
    const roomId = await createGroup(server, "ann", ["cat"]);
    const ann = await connectWs(server, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);

    const cat = await connectSse(server, "cat");
    const catEvents = cat.subscribe(ROOM_EVENTS, { roomId });
    await events.waitFor(1);
    expect(presenceOf(events)).toEqual([["cat", roomId]]);
    // Her own presence is not sent back to her.
    expect(presenceOf(catEvents)).toEqual([]);

    catEvents.unsubscribe();
    await events.waitFor(2);
    expect(presenceOf(events)).toHaveLength(2);
    cat.client.dispose();
    await ann.dispose();
  });

  it("treats a reconnect within the grace, and a second connection closing, as no change", async () => {
    const roomId = await createGroup(server, "ann", ["dan"]);
    const ann = await connectWs(server, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(server, roomId, 1);

    const first = await connectWs(server, "dan");
    const second = await connectWs(server, "dan");
    await events.waitFor(1);
    await first.dispose();
    await second.dispose();
    const again = await connectWs(server, "dan");
    await sleep(GRACE_MS * 2);
    expect(presenceOf(events)).toEqual([["dan", roomId]]);

    await again.dispose();
    await events.waitFor(2);
    await sleep(GRACE_MS);
    expect(presenceOf(events)).toHaveLength(2);
    await ann.dispose();
  });
});
