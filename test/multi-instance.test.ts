// Two instances sharing one PostgreSQL database and one Redis: an event published on one reaches
// subscribers on the other. Redis is required like PostgreSQL: when it is down this fails.
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { connectWs, waitForListeners } from "./harness/clients.js";
import { createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

afterAll(stopTestServers);

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ROOM_EVENTS = `subscription($roomId: ID!) { roomEvents(roomId: $roomId) {
  kind ... on MessageAddedEvent { seq message { content sender { id } } } } }`;

describe.runIf(PROVIDERS.includes("postgresql"))("two instances on PostgreSQL and Redis", () => {
  it("delivers a message sent on one instance to subscribers on the other, and revokes there too", async () => {
    const database = await createTestDatabase("postgresql");
    const a = await startTestServer("postgresql", { database, REDIS_URL });
    const b = await startTestServer("postgresql", { database, REDIS_URL });
    await signIn(a, "ann", "ben", "cat");
    await signIn(b, "ann", "ben", "cat");
    const roomId = await createGroup(a, "ann", ["ben", "cat"]);

    const ben = await connectWs(b, "ben");
    const cat = await connectWs(b, "cat");
    const benEvents = ben.subscribe(ROOM_EVENTS, { roomId });
    const catEvents = cat.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(b, roomId, 2);

    await ok(a, "ann", `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "from a" }) { seq } }`, { r: roomId });
    const [first] = await benEvents.waitFor(1);
    expect(first?.data?.roomEvents).toEqual({ kind: "MESSAGE_ADDED", seq: 1, message: { content: "from a", sender: { id: "ann" } } });

    await ok(a, "ann", `mutation($r: ID!) { removeMember(roomId: $r, userId: "cat") { id } }`, { r: roomId });
    await catEvents.waitForComplete();
    await ok(a, "ann", `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "after" }) { seq } }`, { r: roomId });
    const seen = await benEvents.waitFor(3);
    expect(seen.map((result) => result.data?.roomEvents.kind)).toEqual(["MESSAGE_ADDED", "MEMBERS_REMOVED", "MESSAGE_ADDED"]);
    expect(catEvents.results.map((result) => result.data?.roomEvents.kind)).toEqual(["MESSAGE_ADDED", "MEMBERS_REMOVED"]);
    await Promise.all([ben.dispose(), cat.dispose()]);
  });
});
