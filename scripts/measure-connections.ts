// Heap per idle graphql-ws connection holding one viewerEvents subscription. The server runs in
// its own process; this one opens N connections (one user each), and the server reports its heap
// after a forced GC before and after. A measurement, not a test: it asserts nothing.
//
//   npx tsx scripts/measure-connections.ts [--connections 2000] [--snapshots /tmp/heap] [--no-subscription]
// With --snapshots PREFIX it also writes PREFIX-before.heapsnapshot and PREFIX-after.heapsnapshot
// (open both in Chrome DevTools, Memory tab, "Comparison" view).
import { connect, option, startServerProcess, token, until, type RawConnection } from "./measure/harness.js";

const count = Number(option("connections", "2000"));
const snapshots = option("snapshots", "");
/** Only connect (connection_init, ack): what a connection costs without its subscription. */
const subscribing = !process.argv.includes("--no-subscription");
const VIEWER_EVENTS = "subscription { viewerEvents { kind roomId } }";
const BATCH = 50;

interface Memory {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

async function openMany(url: string, userIds: string[]): Promise<RawConnection[]> {
  const connections: RawConnection[] = [];
  for (let i = 0; i < userIds.length; i += BATCH) {
    const batch = userIds.slice(i, i + BATCH);
    const opened = await Promise.all(batch.map(async (userId) => connect(url, await token(userId))));
    if (subscribing) for (const connection of opened) connection.subscribe("1", VIEWER_EVENTS);
    connections.push(...opened);
  }
  return connections;
}

async function main(): Promise<void> {
  const server = await startServerProcess();
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  try {
    // Warm-up: compiled code, caches and pools that any first connection creates once.
    const warmIds = Array.from({ length: 50 }, (_, i) => `warm-${i}`);
    const warm = await openMany(server.url, warmIds);
    if (subscribing) await until(async () => (await server.ask<number>({ type: "viewers", userIds: warmIds })) === warmIds.length, "warm-up");
    for (const connection of warm) connection.socket.close();
    await until(async () => (await server.ask<number>({ type: "viewers", userIds: warmIds })) === 0, "warm-up to end");

    const before = await server.ask<Memory>({ type: "heap" });
    if (snapshots) await server.ask({ type: "snapshot", path: `${snapshots}-before.heapsnapshot` });
    const userIds = Array.from({ length: count }, (_, i) => `idle-${i}`);
    const started = Date.now();
    const connections = await openMany(server.url, userIds);
    if (subscribing) await until(async () => (await server.ask<number>({ type: "viewers", userIds })) === count, `${count} subscriptions`);
    // Idle: graphql-ws's connection-init timer (3 s) of the last connections has fired.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const openedIn = (Date.now() - started) / 1000;
    const after = await server.ask<Memory>({ type: "heap" });
    if (snapshots) await server.ask({ type: "snapshot", path: `${snapshots}-after.heapsnapshot` });

    const grown = after.heapUsed - before.heapUsed;
    const what = subscribing ? "with one viewerEvents subscription each" : "without a subscription";
    console.log(`${count} idle connections ${what} (opened in ${openedIn.toFixed(1)} s)`);
    console.log(`heap used: ${(before.heapUsed / 2 ** 20).toFixed(1)} MB -> ${(after.heapUsed / 2 ** 20).toFixed(1)} MB`);
    console.log(`heap per connection: ${kb(grown / count)} KB (${(grown / 2 ** 20).toFixed(1)} MB in all)`);
    console.log(`rss per connection: ${kb((after.rss - before.rss) / count)} KB; external: ${kb((after.external - before.external) / count)} KB`);
    for (const connection of connections) connection.socket.close();
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
