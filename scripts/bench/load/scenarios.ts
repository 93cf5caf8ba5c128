// The three scenarios, written once against SystemClient. Every figure comes from a measured
// window that starts after start-up, setup (users, rooms, connections) and warm-up: the server's
// CPU is sampled at both edges of that window, and so is the load generator's own CPU, so a run
// where the load generator rather than the server was the limit can be told apart.
import { inBatches, type Member, type SystemClient } from "./clients.js";
import type { ExternalCpu } from "./external-cpu.js";
import { ExternalCpu as External, procCpuMs, runQueueWaitMs } from "./external-cpu.js";
import type { ServerProcess } from "./server-process.js";
import type { CpuWindow, FanoutResult, IdleResult, RunSpec, SmallRoomsResult } from "../spec.js";
import { DeliveryTracker, percentile } from "../stats.js";

export interface ScenarioContext {
  spec: RunSpec;
  client: SystemClient;
  server: ServerProcess;
  external: ExternalCpu;
  progress(text: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Polls `done` until it holds or `timeoutMs` passes; resolves with whether it held. */
async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** About 64 characters like a short chat line, starting with the send time (performance.now()
 * of the load generator, which also timestamps receipt: one clock). Plain text, so the
 * project's HTML sanitiser keeps it as it is. */
function content(sentAt: number): string {
  return `${sentAt.toFixed(3)} the quick brown fox jumps over the lazy dog again`.padEnd(64, ".");
}

interface Edge {
  at: number;
  /** Server CPU from /proc (10 ms steps, read at `at`), µs. */
  procUs: number | undefined;
  /** Server CPU the server reported over IPC (µs steps, read within ipcDelayMs of `at`), µs. */
  ipcUs: number;
  ipcDelayMs: number;
  load: NodeJS.CpuUsage;
  serverWaitMs: number | undefined;
  loadWaitMs: number | undefined;
  external: Awaited<ReturnType<ExternalCpu["sample"]>>;
}

/**
 * One edge of a measured window. The server's CPU time (utime + stime, all threads) is read from
 * /proc/<pid>/stat at this very moment, in the same synchronous step as the clock and the load
 * generator's own CPU, and `atEdge` (which opens or closes the counting) runs right after, so the
 * CPU window and the counted operations cover the same span. The server is also asked over IPC
 * (process.cpuUsage(), µs steps): when it answers within IPC_PROMPT_MS at both edges, that finer
 * reading is used; a saturated server answers late (hundreds of ms in A), and then /proc is.
 */
async function edge(context: ScenarioContext, atEdge: () => void = () => {}): Promise<Edge> {
  const at = performance.now();
  const pid = context.server.child.pid!;
  const procMs = procCpuMs(pid);
  const load = process.cpuUsage();
  const serverWaitMs = runQueueWaitMs(pid);
  const loadWaitMs = runQueueWaitMs("self");
  atEdge();
  const cpu = await context.server.cpu();
  const ipcDelayMs = performance.now() - at;
  return {
    at,
    procUs: procMs === undefined ? undefined : procMs * 1000,
    ipcUs: cpu.userUs + cpu.systemUs,
    ipcDelayMs,
    load,
    serverWaitMs,
    loadWaitMs,
    external: await context.external.sample(),
  };
}

/** An IPC answer this quick was read close enough to the edge to be used: even a server busy all
 * along could have spent no more in between than /proc's 10 ms step (and at B's edges it is idle). */
const IPC_PROMPT_MS = 10;

function windowBetween(start: Edge, end: Edge): CpuWindow {
  return {
    wallMs: end.at - start.at,
    serverCpuMs:
      (start.ipcDelayMs <= IPC_PROMPT_MS && end.ipcDelayMs <= IPC_PROMPT_MS) || start.procUs === undefined || end.procUs === undefined
        ? (end.ipcUs - start.ipcUs) / 1000
        : (end.procUs - start.procUs) / 1000,
    loadCpuMs: (end.load.user + end.load.system - start.load.user - start.load.system) / 1000,
    ...(start.serverWaitMs !== undefined && end.serverWaitMs !== undefined && { serverWaitMs: end.serverWaitMs - start.serverWaitMs }),
    ...(start.loadWaitMs !== undefined && end.loadWaitMs !== undefined && { loadWaitMs: end.loadWaitMs - start.loadWaitMs }),
    ...External.between(start.external, end.external),
  };
}

/** Opens one member connection per (user, room) pair, each subscribed to its room. */
async function connectMembers(
  context: ScenarioContext,
  pairs: Array<{ user: string; room: string }>,
  tracker: DeliveryTracker,
  onDelivery?: (room: string, seq: number, content: string) => void,
): Promise<Map<string, Member>> {
  const members = new Map<string, Member>();
  await inBatches(pairs, 16, async ({ user, room }) => {
    const record = tracker.add(user, room);
    const member = await context.client.connectMember(
      user,
      [room],
      onDelivery
        ? (deliveredRoom, seq, text) => {
            record(deliveredRoom, seq);
            onDelivery(deliveredRoom, seq, text);
          }
        : record,
      () => tracker.closed(),
    );
    members.set(user, member);
  });
  const rooms = [...new Set(pairs.map(({ room }) => room))];
  const subscribed = await waitUntil(async () => (await context.server.count({ rooms })) >= pairs.length, 60_000, 50);
  if (!subscribed) throw new Error(`only ${await context.server.count({ rooms })} of ${pairs.length} subscriptions became live`);
  return members;
}

// ---------------------------------------------------------------------------------------------
// A. Small rooms: one-to-one rooms, every member subscribed, senders in closed loops.

export async function smallRooms(context: ScenarioContext): Promise<SmallRoomsResult> {
  const { spec, client, progress } = context;
  const users = range(spec.pairRooms * 2).map((i) => `small-${i}`);
  progress(`signing in ${users.length} users, creating ${spec.pairRooms} one-to-one rooms`);
  await client.signIn(users);
  const rooms: Array<{ id: string; members: [string, string] }> = [];
  for (const k of range(spec.pairRooms)) {
    const members: [string, string] = [users[2 * k]!, users[2 * k + 1]!];
    rooms.push({ id: await client.createPair(...members), members });
  }
  progress(`opening ${users.length} subscriber connections`);
  const tracker = new DeliveryTracker();
  const members = await connectMembers(
    context,
    rooms.flatMap((room) => room.members.map((user) => ({ user, room: room.id }))),
    tracker,
  );

  // Sender s takes rooms s, s + senders, ...; each send alternates between the room's two members.
  const senderRooms = range(spec.senders).map((s) => rooms.filter((_, r) => r % spec.senders === s)).filter((mine) => mine.length > 0);
  let running = true;
  let measuring = false;
  let acknowledged = 0;
  let sendErrors = 0;
  let totalAcknowledged = 0;
  let firstError: unknown;
  const latencies: number[] = [];
  const loops = senderRooms.map(async (mine) => {
    for (let i = 0; running; i++) {
      const room = mine[i % mine.length]!;
      const user = room.members[Math.floor(i / mine.length) % 2]!;
      const started = performance.now();
      try {
        const seq = await members.get(user)!.send(room.id, content(started));
        const ended = performance.now();
        tracker.acknowledge(room.id, seq);
        totalAcknowledged += 1;
        if (measuring) {
          acknowledged += 1;
          latencies.push(ended - started);
        }
      } catch (error) {
        firstError ??= error;
        if (measuring) sendErrors += 1;
        await sleep(10);
      }
    }
  });

  progress(`${senderRooms.length} senders: ${spec.warmupSeconds} s warm-up, then ${spec.seconds} s measured`);
  await sleep(spec.warmupSeconds * 1000);
  await context.server.profileStart();
  const start = await edge(context, () => (measuring = true));
  await sleep(start.at + spec.seconds * 1000 - performance.now());
  const end = await edge(context, () => (measuring = false));
  await context.server.profileStop();
  running = false;
  await Promise.all(loops);
  if (firstError) progress(`a send failed: ${firstError instanceof Error ? firstError.message : String(firstError)}`);

  progress("waiting for the last deliveries");
  const drained = await waitUntil(() => tracker.complete(), 15_000, 50);
  tracker.finished = true;
  const correctness = tracker.check(drained, await context.server.stored(rooms.map((room) => room.id)));
  for (const member of members.values()) member.close();
  const window = windowBetween(start, end);
  return {
    scenario: "small",
    acknowledged,
    sendsPerSecond: acknowledged / (window.wallMs / 1000),
    serverCpuPerSendMs: window.serverCpuMs / acknowledged,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    sendErrors,
    totalAcknowledged,
    deliveries: tracker.deliveries,
    window,
    correctness,
  };
}

// ---------------------------------------------------------------------------------------------
// B. Fan-out: one group, all members subscribed, one sender at a fixed rate (open loop).

export async function fanout(context: ScenarioContext): Promise<FanoutResult> {
  const { spec, client, progress } = context;
  const users = range(spec.fanoutMembers).map((i) => `fan-${i}`);
  progress(`signing in ${users.length} users, creating the group`);
  await client.signIn(users);
  const room = await client.createGroup(users);
  progress(`opening ${users.length} subscriber connections`);
  const tracker = new DeliveryTracker();
  // Latency of the window's messages only: seq above `base`.
  let base = Number.POSITIVE_INFINITY;
  const latencies: number[] = [];
  let windowDeliveries = 0;
  let lastDeliveryAt = 0;
  const members = await connectMembers(
    context,
    users.map((user) => ({ user, room })),
    tracker,
    (_room, seq, text) => {
      if (seq <= base) return;
      const now = performance.now();
      latencies.push(now - Number.parseFloat(text));
      windowDeliveries += 1;
      lastDeliveryAt = now;
    },
  );
  const sender = members.get(users[0]!)!;

  let acknowledged = 0;
  let sendErrors = 0;
  let firstError: unknown;
  /** Sends `count` messages at `rate` per second on a fixed schedule, not waiting for acks. */
  const sendAtRate = async (count: number, counted: boolean) => {
    const acks: Array<Promise<void>> = [];
    const startedAt = performance.now();
    for (let n = 0; n < count; n++) {
      const due = startedAt + (n * 1000) / spec.fanoutRate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      // The content carries the scheduled time: time a message waited in the load generator counts.
      acks.push(
        sender.send(room, content(due)).then(
          (seq) => {
            tracker.acknowledge(room, seq);
            if (counted) acknowledged += 1;
          },
          (error: unknown) => {
            firstError ??= error;
            if (counted) sendErrors += 1;
          },
        ),
      );
    }
    await Promise.all(acks);
  };

  // Enough to compile the delivery path (2,000 deliveries with 100 members), little enough not
  // to keep a slow server busy draining for long before the window.
  const warmupCount = Math.max(1, Math.min(20, Math.round(spec.fanoutRate * spec.warmupSeconds)));
  progress(`warm-up: ${warmupCount} messages, then ${spec.fanoutSeconds} s at ${spec.fanoutRate}/s to ${users.length} subscribers`);
  await sendAtRate(warmupCount, false);
  await waitUntil(() => tracker.complete(), 60_000, 50);
  base = tracker.highest(room);

  await context.server.profileStart();
  const start = await edge(context);
  const sent = Math.round(spec.fanoutRate * spec.fanoutSeconds);
  await sendAtRate(sent, true);
  // Let the queue drain (bounded), then close the window: the server is idle once the last
  // delivery is out, so the few ms of polling here add no CPU worth counting.
  const drained = await waitUntil(() => tracker.complete(base), 90_000, 10);
  const end = await edge(context);
  await context.server.profileStop();
  if (firstError) progress(`a send failed: ${firstError instanceof Error ? firstError.message : String(firstError)}`);
  tracker.finished = true;
  const correctness = tracker.check(drained, await context.server.stored([room]), base);
  for (const member of members.values()) member.close();
  const window = windowBetween(start, end);
  const deliverySeconds = ((lastDeliveryAt || end.at) - start.at) / 1000;
  return {
    scenario: "fanout",
    sent,
    acknowledged,
    sendErrors,
    deliveries: windowDeliveries,
    deliveriesPerSecond: windowDeliveries / deliverySeconds,
    serverCpuPerDeliveryUs: (window.serverCpuMs * 1000) / windowDeliveries,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    window,
    correctness,
  };
}

// ---------------------------------------------------------------------------------------------
// C. Idle connections: heap per connection, each with one per-user subscription.

export async function idleConnections(context: ScenarioContext): Promise<IdleResult> {
  const { spec, client, server, progress } = context;
  const open = async (users: string[], failures: { count: number; first?: unknown }) => {
    const connections: Array<{ close(): void }> = [];
    await inBatches(users, 100, async (user) => {
      try {
        connections.push(await client.connectIdle(user, () => {}));
      } catch (error) {
        failures.count += 1;
        failures.first ??= error;
      }
    });
    return connections;
  };

  // Warm-up: open and close a few hundred, so code paths are compiled and lazily built state
  // (caches, pools) exists before the "before" heap is taken.
  const warmUsers = range(Math.min(200, spec.idleConnections)).map((i) => `idle-warm-${i}`);
  progress(`warm-up: ${warmUsers.length} connections opened and closed`);
  const warmFailures = { count: 0 };
  for (const connection of await open(warmUsers, warmFailures)) connection.close();
  await waitUntil(async () => (await server.count({ users: warmUsers })) === 0, 30_000, 100);

  const before = await server.heap();
  const users = range(spec.idleConnections).map((i) => `idle-${i}`);
  progress(`opening ${users.length} idle connections`);
  const failures: { count: number; first?: unknown } = { count: 0 };
  const start = await edge(context);
  const connections = await open(users, failures);
  await waitUntil(async () => (await server.count({ users })) >= connections.length, 120_000, 200);
  const end = await edge(context);
  const established = await server.count({ users });
  if (failures.first) progress(`a connection failed: ${failures.first instanceof Error ? failures.first.message : String(failures.first)}`);
  const after = await server.heap();
  for (const connection of connections) connection.close();
  const window = windowBetween(start, end);
  const growth = after.heapUsed - before.heapUsed;
  return {
    scenario: "idle",
    connections: users.length,
    established,
    failed: failures.count,
    openSeconds: window.wallMs / 1000,
    serverCpuPerConnectionMs: window.serverCpuMs / Math.max(1, established),
    heapBeforeBytes: before.heapUsed,
    heapAfterBytes: after.heapUsed,
    heapGrowthBytes: growth,
    heapPerConnectionBytes: growth / Math.max(1, established),
    rssGrowthBytes: after.rss - before.rss,
    externalPerConnectionBytes: (after.external - before.external) / Math.max(1, established),
  };
}
