// `npm run bench`: end-to-end delivery of messages to graphql-ws subscribers. Starts a server on
// a free loopback port (SQLite in a temporary folder, or BENCH_DATABASE_URL), opens a subscriber
// per member of rooms of several sizes, sends at a fixed rate for a fixed time, and prints
// deliveries per second, latency percentiles from send to receipt, and lost, duplicated and
// reordered deliveries. A benchmark, not a test: it asserts nothing.
//
//   npm run bench -- [--sizes 2,20,100] [--rate 20] [--seconds 10]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { signToken } from "../src/auth/authenticate.js";
import { createChatServer } from "../src/chat-server.js";

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const sizes = option("sizes", "2,20,100").split(",").map(Number);
const ratePerRoom = Number(option("rate", "20"));
const seconds = Number(option("seconds", "10"));
const secret = "bench-secret";

interface RoomStats {
  size: number;
  sent: number;
  latencies: number[];
  lost: number;
  duplicated: number;
  reordered: number;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "rcg-bench-"));
  const server = await createChatServer({
    PORT: 0,
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `file:${join(dataDir, "chat.db")}`,
    JWT_SECRET: secret,
    REDIS_URL: process.env.BENCH_REDIS_URL,
    // The bench measures delivery, not the per-user send limit.
    RATE_LIMIT_MESSAGES_PER_MINUTE: 1_000_000,
    RATE_LIMIT_REACTIONS_PER_MINUTE: 1_000_000,
  });
  const { url } = await server.start();
  const token = (userId: string) => signToken(secret, { sub: userId });
  const gql = async (userId: string, query: string, variables: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await token(userId)}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };

  const clients: Client[] = [];
  const rooms: Array<{ id: string; sender: string; stats: RoomStats; received: Map<string, number[]> }> = [];
  for (const [index, size] of sizes.entries()) {
    const members = Array.from({ length: size }, (_, i) => `bench-${index}-${i}`);
    for (const member of members) await gql(member, "{ viewer { id } }", {});
    const { createGroupChat } = await gql(members[0]!, `mutation($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }`, {
      i: { name: `bench ${size}`, participantIds: members.slice(1), maxParticipants: Math.max(size, 2) },
    });
    const received = new Map<string, number[]>();
    const stats: RoomStats = { size, sent: 0, latencies: [], lost: 0, duplicated: 0, reordered: 0 };
    rooms.push({ id: createGroupChat.id, sender: members[0]!, stats, received });
    for (const member of members) {
      const seqs: number[] = [];
      received.set(member, seqs);
      const client = createClient({
        url: url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${await token(member)}` },
      });
      clients.push(client);
      client.subscribe(
        { query: `subscription($r: ID!) { messageAdded(roomId: $r) { seq content } }`, variables: { r: createGroupChat.id } },
        {
          next: (result: any) => {
            const message = result.data?.messageAdded;
            if (!message) return;
            stats.latencies.push(Date.now() - Number(message.content));
            seqs.push(message.seq);
          },
          error: (error) => console.error(`subscriber ${member}:`, error),
          complete: () => {},
        },
      );
    }
    while (server.realtime.listenerCount(createGroupChat.id) < size) await new Promise((r) => setTimeout(r, 20));
  }

  console.log(`rooms of ${sizes.join(", ")} members, ${ratePerRoom} messages/s each, ${seconds} s`);
  const started = Date.now();
  const send = `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`;
  const inFlight: Promise<unknown>[] = [];
  const total = ratePerRoom * seconds;
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / ratePerRoom;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const room of rooms) {
      room.stats.sent += 1;
      inFlight.push(gql(room.sender, send, { r: room.id, c: String(Date.now()) }));
    }
  }
  await Promise.all(inFlight);
  // Let the last deliveries arrive.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const elapsed = (Date.now() - started) / 1000;

  let deliveries = 0;
  for (const room of rooms) {
    for (const seqs of room.received.values()) {
      deliveries += seqs.length;
      const unique = new Set(seqs);
      room.stats.duplicated += seqs.length - unique.size;
      room.stats.lost += room.stats.sent - unique.size;
      room.stats.reordered += seqs.filter((seq, i) => i > 0 && seq < seqs[i - 1]!).length;
    }
  }
  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  };
  console.log(`deliveries: ${deliveries} in ${elapsed.toFixed(1)} s = ${(deliveries / elapsed).toFixed(0)} /s`);
  console.log("room size | sent | p50 ms | p95 ms | p99 ms | lost | duplicated | reordered");
  for (const { stats } of rooms) {
    const l = stats.latencies;
    console.log(
      `${String(stats.size).padStart(9)} | ${String(stats.sent).padStart(4)} | ${String(percentile(l, 50)).padStart(6)} | ` +
        `${String(percentile(l, 95)).padStart(6)} | ${String(percentile(l, 99)).padStart(6)} | ${String(stats.lost).padStart(4)} | ` +
        `${String(stats.duplicated).padStart(10)} | ${String(stats.reordered).padStart(9)}`,
    );
  }
  await Promise.all(clients.map((client) => client.dispose()));
  await server.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
