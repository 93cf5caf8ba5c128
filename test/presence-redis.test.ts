// Presence across instances sharing one PostgreSQL database and one Redis: they agree on who is
// online, a change is announced once and reaches subscribers on every instance, and the users of
// an instance killed without shutting down go offline within PRESENCE_TTL_MS × 4/3. Redis is
// required like PostgreSQL: when it is down this fails.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ThrowawayRedis } from "../scripts/chaos/services.js";
import { connectWs, poll, sleep, waitForListeners, type Collected } from "./harness/clients.js";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { createGroup, ok, signIn } from "./harness/fixtures.js";
import { remoteServer, startServerProcess, type ServerProcess } from "./harness/process.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const GRACE_MS = 500;
const TTL_MS = 1_500;

const processes: ServerProcess[] = [];
const redisServers: ThrowawayRedis[] = [];
const dir = mkdtempSync(join(tmpdir(), "rcg-presence-"));
afterAll(async () => {
  for (const { child } of processes) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await stopTestServers();
  for (const redis of redisServers) redis.kill();
  rmSync(dir, { recursive: true, force: true });
});

const ROOM_EVENTS = `subscription($roomId: ID!) {
  roomEvents(roomId: $roomId) { kind roomId ... on PresenceChangedEvent { user { id online lastSeenAt } } }
}`;
const MEMBERS = `query($r: ID!) { room(id: $r) { members(first: 100) { edges { node { user { id online lastSeenAt } } } } } }`;

const presenceOf = (events: Collected) =>
  events.results
    .map((result) => result.data?.roomEvents)
    .filter((event) => event?.kind === "PRESENCE_CHANGED")
    .map((event) => [event.user.id, event.user.online]);

async function presenceIn(server: TestServer, viewerId: string, roomId: string, userId: string) {
  const data = await ok(server, viewerId, MEMBERS, { r: roomId });
  return data.room.members.edges.map(({ node }: any) => node.user).find((user: any) => user.id === userId);
}

/** Settings two instances of one deployment share. */
const deployment = () => ({ REDIS_URL, PRESENCE_KEY_PREFIX: `test:presence:${randomBytes(8).toString("hex")}:`, PRESENCE_GRACE_MS: GRACE_MS, PRESENCE_TTL_MS: TTL_MS });

describe.runIf(PROVIDERS.includes("postgresql"))("presence across instances (PostgreSQL and Redis)", () => {
  it("agrees on two instances, announces each change once to subscribers on both, and debounces across them", async () => {
    const database = await createTestDatabase("postgresql");
    const shared = deployment();
    const a = await startTestServer("postgresql", { database, ...shared });
    const b = await startTestServer("postgresql", { database, ...shared });
    await signIn(a, "ann", "ben");
    const roomId = await createGroup(a, "ann", ["ben"]);
    const annOnA = await connectWs(a, "ann");
    const annOnB = await connectWs(b, "ann");
    const eventsOnA = annOnA.subscribe(ROOM_EVENTS, { roomId });
    const eventsOnB = annOnB.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(a, roomId, 1);
    await waitForListeners(b, roomId, 1);

    const benOnA = await connectWs(a, "ben");
    await Promise.all([eventsOnA.waitFor(1), eventsOnB.waitFor(1)]);
    // b has none of ben's connections, and knows he is online.
    expect(await presenceIn(b, "ann", roomId, "ben")).toMatchObject({ online: true });

    // He moves to b within the grace: no change anywhere.
    await benOnA.dispose();
    const benOnB = await connectWs(b, "ben");
    await sleep(GRACE_MS * 3);
    expect(await presenceIn(a, "ann", roomId, "ben")).toMatchObject({ online: true });

    const leftAt = Date.now();
    await benOnB.dispose();
    await Promise.all([eventsOnA.waitFor(2), eventsOnB.waitFor(2)]);
    await sleep(GRACE_MS);
    for (const events of [eventsOnA, eventsOnB]) {
      expect(presenceOf(events)).toEqual([
        ["ben", true],
        ["ben", false],
      ]);
    }
    const seenOnA = await presenceIn(a, "ann", roomId, "ben");
    expect(seenOnA.online).toBe(false);
    expect(Date.parse(seenOnA.lastSeenAt)).toBeGreaterThanOrEqual(leftAt - 50);
    expect(await presenceIn(b, "ann", roomId, "ben")).toEqual(seenOnA);
    await Promise.all([annOnA.dispose(), annOnB.dispose()]);
  });

  it("takes the users of an instance killed without shutting down offline within PRESENCE_TTL_MS × 4/3, announced once", { timeout: 60_000 }, async () => {
    const database = await createTestDatabase("postgresql");
    const shared = deployment();
    const a = await startTestServer("postgresql", { database, ...shared });
    const doomed = await startServerProcess({
      JWT_SECRET: a.secret,
      DATABASE_URL: database.url,
      DATA_DIR: database.dir,
      ...Object.fromEntries(Object.entries(shared).map(([key, value]) => [key, String(value)])),
    });
    processes.push(doomed);
    const other = remoteServer(doomed.url, a.secret);
    // Two survivors sweep: exactly one of them may announce.
    const b = await startTestServer("postgresql", { database, ...shared });
    await signIn(a, "ann", "ben");
    const roomId = await createGroup(a, "ann", ["ben"]);
    const ann = await connectWs(a, "ann");
    const annOnB = await connectWs(b, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    const eventsOnB = annOnB.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(a, roomId, 1);
    await waitForListeners(b, roomId, 1);

    const ben = await connectWs(other, "ben");
    await Promise.all([events.waitFor(1), eventsOnB.waitFor(1)]);
    expect(await presenceIn(a, "ann", roomId, "ben")).toMatchObject({ online: true });

    const killedAt = Date.now();
    doomed.child.kill("SIGKILL");
    const [, offline] = await events.waitFor(2, TTL_MS * 3);
    const tookMs = Date.now() - killedAt;
    expect(offline?.data?.roomEvents.user).toMatchObject({ id: "ben", online: false });
    // The documented bound, with room for a busy machine.
    expect(tookMs).toBeLessThan((TTL_MS * 4) / 3 + TTL_MS);
    // Last seen: the dead instance's last heartbeat.
    const lastSeen = Date.parse(offline?.data?.roomEvents.user.lastSeenAt);
    expect(lastSeen).toBeLessThanOrEqual(killedAt + 50);
    expect(lastSeen).toBeGreaterThan(killedAt - TTL_MS);
    expect(await presenceIn(a, "ann", roomId, "ben")).toMatchObject({ online: false, lastSeenAt: offline?.data?.roomEvents.user.lastSeenAt });
    await sleep(TTL_MS);
    for (const received of [events, eventsOnB]) {
      expect(presenceOf(received)).toEqual([
        ["ben", true],
        ["ben", false],
      ]);
    }
    await ben.dispose().catch(() => {});
    await Promise.all([ann.dispose(), annOnB.dispose()]);
  });

  it("takes the users of an instance that stops gracefully offline at once, not after the TTL", { timeout: 30_000 }, async () => {
    const database = await createTestDatabase("postgresql");
    // A TTL no test waits out: only the stopping instance itself can announce in time.
    const shared = { ...deployment(), PRESENCE_TTL_MS: 600_000 };
    const a = await startTestServer("postgresql", { database, ...shared });
    const b = await startTestServer("postgresql", { database, ...shared });
    await signIn(a, "ann", "ben");
    const roomId = await createGroup(a, "ann", ["ben"]);
    const ann = await connectWs(a, "ann");
    const events = ann.subscribe(ROOM_EVENTS, { roomId });
    await waitForListeners(a, roomId, 1);
    const ben = await connectWs(b, "ben");
    await events.waitFor(1);

    await b.server.stop();
    await events.waitFor(2);
    expect(presenceOf(events)).toEqual([
      ["ben", true],
      ["ben", false],
    ]);
    expect(await presenceIn(a, "ann", roomId, "ben")).toMatchObject({ online: false });
    await ben.dispose();
    await ann.dispose();
  });

  it("answers from each instance's own connections while Redis is down, and agrees again once it is back", { timeout: 60_000 }, async () => {
    // A redis-server of the test's own: the shared one is never stopped.
    const redis = await ThrowawayRedis.start(dir);
    redisServers.push(redis);
    const database = await createTestDatabase("postgresql");
    const shared = { ...deployment(), REDIS_URL: redis.url };
    const a = await startTestServer("postgresql", { database, ...shared });
    const b = await startTestServer("postgresql", { database, ...shared });
    await signIn(a, "ann", "ben");
    const roomId = await createGroup(a, "ann", ["ben"]);

    await redis.down();
    const ben = await connectWs(a, "ben");
    // No error: a sees ben's connection, b sees none of his.
    await poll(async () => (await presenceIn(a, "ann", roomId, "ben"))?.online === true, "ben online on a");
    expect(await presenceIn(b, "ann", roomId, "ben")).toMatchObject({ online: false });

    await redis.up();
    // a's next heartbeat puts its entries back.
    await poll(async () => (await presenceIn(b, "ann", roomId, "ben"))?.online === true, "ben online on b", TTL_MS * 4);
    await ben.dispose();
    await poll(async () => (await presenceIn(b, "ann", roomId, "ben"))?.online === false, "ben offline on b", TTL_MS * 4);
  });
});
