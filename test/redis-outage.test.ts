// A Redis outage, with a redis-server of the test's own (never the shared one): a subscription
// that starts while Redis is down receives live messages once Redis is back, however long the
// outage lasted. (npm run chaos found a room whose channel stayed silent after Redis returned.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { ThrowawayRedis } from "../scripts/chaos/services.js";
import { waitForStatus } from "../scripts/chaos/server.js";
import { PROVIDERS } from "./harness/databases.js";
import { connectWs, waitForListeners } from "./harness/clients.js";
import { createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

const dir = mkdtempSync(join(tmpdir(), "rcg-redis-outage-"));
const redisServers: ThrowawayRedis[] = [];
afterAll(async () => {
  await stopTestServers();
  for (const redis of redisServers) redis.kill();
  rmSync(dir, { recursive: true, force: true });
});

const MESSAGE_ADDED = "subscription($r: ID!) { messageAdded(roomId: $r) { seq content } }";

describe.each(PROVIDERS)("a Redis outage on %s", (provider) => {
  it("delivers to a subscription begun while Redis was down, once it is back", { timeout: 60_000 }, async () => {
    const redis = await ThrowawayRedis.start(dir);
    redisServers.push(redis);
    const server = await startTestServer(provider, { REDIS_URL: redis.url });
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    const ready = async () => (await fetch(`${server.origin}/ready`)).status;

    await redis.down();
    expect(await waitForStatus(ready, 503, 10_000)).not.toBeNull();
    const ben = await connectWs(server, "ben");
    const messages = ben.subscribe(MESSAGE_ADDED, { r: roomId });
    await waitForListeners(server, roomId, 1);
    // Longer than ioredis retries a queued command by default (20 reconnection attempts, about
    // 11 s): an outage of a few seconds more than that is ordinary.
    await sleep(13_000);
    await redis.up();
    expect(await waitForStatus(ready, 200, 10_000)).not.toBeNull();

    await ok(server, "ann", `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "back" }) { seq } }`, { r: roomId });
    const [first] = await messages.waitFor(1);
    expect(first?.data?.messageAdded).toEqual({ seq: 1, content: "back" });
    await ben.dispose();
  });
});
