// `npm run chaos`: faults under load, on loopback, with everything it needs started just for the
// run. Steady sends (HTTP, clientMsgId, retried until acknowledged) and one graphql-ws subscriber
// per user (roomEvents or messageAdded, resumed with afterSeq after every disconnect) run while it
//
//   PostgreSQL + Redis, two server instances sharing both (deliveries cross instances):
//     1. restarts instance A with SIGTERM          2. restarts instance B with SIGKILL
//     3. restarts Redis                            4. restarts PostgreSQL
//     5. drops all client connections at once (1,000 by default): all resume with afterSeq
//   SQLite, one instance:
//     6. restarts it with SIGTERM                  7. restarts it with SIGKILL
//
// Redis and PostgreSQL are throwaway instances of its own (redis-server, initdb/pg_ctl) on free
// ports in a temporary folder, removed at the end, also on Ctrl-C: it never stops or restarts
// anything it did not start. While a dependency is down every instance's /ready must answer 503,
// and 200 again after it is back, with no restart. Then every subscriber must hold every
// acknowledged message of its room exactly once, in order.
//
// Exit code: 0 when nothing acknowledged was lost and /ready behaved; 1 otherwise; 2 bad options.
// Not part of `npm test` (it runs for minutes).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { buildBench } from "./bench/build.js";
import { parseOptions } from "./cli-options.js";
import { Tokens } from "./chaos/clients.js";
import { ServerInstance, waitForStatus } from "./chaos/server.js";
import { ThrowawayPostgres, ThrowawayRedis, freePort } from "./chaos/services.js";
import { World, type Tally } from "./chaos/world.js";

const HELP = `npm run chaos -- [options]

  --clients N         subscribers on PostgreSQL + Redis, one per user           default: 1000
  --room-size N       members per group room (each room has one sender)         default: 20
  --rate N            messages per second, all senders together                 default: 40
  --steady N          seconds of steady load between faults                     default: 8
  --outage N          seconds a dependency stays down                           default: 5
  --sqlite-clients N  subscribers in the SQLite part (0 skips it)               default: 100
  --skip-postgres     run the SQLite part only
  --per-client        print every client's row (else only clients with a problem)
  --json PATH         write every figure, per client, as JSON
  --help              this text

A default run takes about 3 minutes; --steady 3 --outage 3 --clients 200 about 1.`;

function fail(message: string): never {
  console.error(`chaos: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const { values, flags, number } = parseOptions(
    argv,
    { flags: ["help", "per-client", "skip-postgres"], valued: ["clients", "room-size", "rate", "steady", "outage", "sqlite-clients", "json"] },
    fail,
  );
  return {
    help: flags.has("help"),
    perClient: flags.has("per-client"),
    skipPostgres: flags.has("skip-postgres"),
    clients: Math.round(number("clients", 1000, 2)),
    roomSize: Math.round(number("room-size", 20, 2)),
    rate: number("rate", 40, 1),
    steadyMs: number("steady", 8, 1) * 1000,
    outageMs: number("outage", 5, 1) * 1000,
    sqliteClients: Math.round(number("sqlite-clients", 100, 0)),
    json: values.get("json"),
  };
}

type Options = ReturnType<typeof parseArgs>;

interface PhaseResult {
  part: string;
  phase: string;
  /** What was observed, in a few words. */
  observed: string;
  problems: string[];
}

/** Set when the run stopped on an error (the temporary folder is kept for its logs). */
let failed = false;
const progress = (text: string) => console.error(`chaos: ${text}`);
const seconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);

/** Everything started for the run, stopped on exit whatever happens. */
const cleanups: Array<() => void | Promise<void>> = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`chaos: clean-up: ${(error as Error).message}`);
    }
  }
}

/** Stops a dependency, checks every instance's /ready turns 503, starts it again, checks 200. */
async function dependencyOutage(
  name: string,
  instances: ServerInstance[],
  down: () => Promise<void>,
  up: () => Promise<void>,
  outageMs: number,
): Promise<Omit<PhaseResult, "part" | "phase">> {
  const problems: string[] = [];
  await down();
  const stoppedAt = Date.now();
  // Generous bounds: on a busy machine an answer can take seconds; what counts is that it comes.
  const notReady = await Promise.all(instances.map((instance) => waitForStatus(() => instance.ready(), 503, 30_000)));
  notReady.forEach((ms, i) => ms === null && problems.push(`${instances[i]!.options.name}: /ready never answered 503 while ${name} was down`));
  await sleep(Math.max(0, outageMs - (Date.now() - stoppedAt)));
  await up();
  const ready = await Promise.all(instances.map((instance) => waitForStatus(() => instance.ready(), 200, 60_000)));
  ready.forEach((ms, i) => ms === null && problems.push(`${instances[i]!.options.name}: /ready did not answer 200 within 60 s of ${name} being back`));
  const names = instances.map((instance) => instance.options.name);
  return {
    observed:
      `down ${seconds(Date.now() - stoppedAt)}; /ready 503 after ${notReady.map((ms, i) => `${names[i]} ${seconds(ms)}`).join(", ")}; ` +
      `200 again ${ready.map((ms, i) => `${names[i]} ${seconds(ms)}`).join(", ")} after it was back`,
    problems,
  };
}

async function restartPhase(instance: ServerInstance, signal: "SIGTERM" | "SIGKILL", downMs: number): Promise<Omit<PhaseResult, "part" | "phase">> {
  const problems: string[] = [];
  const exitMs = await instance.stop(signal);
  if (signal === "SIGTERM" && exitMs > 12_000) problems.push(`${instance.options.name} took ${seconds(exitMs)} to stop on SIGTERM`);
  await sleep(downMs);
  await instance.start();
  const ready = await waitForStatus(() => instance.ready(), 200, 60_000);
  if (ready === null) problems.push(`${instance.options.name}: /ready did not answer 200 within 60 s of its restart`);
  return { observed: `exited in ${seconds(exitMs)}, down ${seconds(downMs)}, /ready 200 ${seconds(ready)} after start`, problems };
}

/** Every subscriber loses its connection at once and reconnects at once, resuming with afterSeq. */
async function dropAllPhase(world: World): Promise<Omit<PhaseResult, "part" | "phase">> {
  const before = world.subscribers.reduce((sum, s) => sum + s.connects, 0);
  const started = Date.now();
  world.dropAll();
  let back: number | null = null;
  while (Date.now() - started < 60_000) {
    const now = world.subscribers.reduce((sum, s) => sum + s.connects, 0);
    if (now - before >= world.subscribers.length) {
      back = Date.now() - started;
      break;
    }
    await sleep(100);
  }
  const problems = back === null ? [`not every client was connected again within 60 s`] : [];
  return { observed: `${world.subscribers.length} dropped; all connected again in ${seconds(back)}`, problems };
}

interface PartResult {
  part: string;
  phases: PhaseResult[];
  tally: Tally;
  drained: boolean;
  /** Server processes that exited without being stopped. */
  crashes: string[];
}

/** Populates, sends steadily through `faults`, then stops sending, drains and counts. */
async function runPart(
  part: string,
  instances: ServerInstance[],
  tokens: Tokens,
  clients: number,
  options: Options,
  faults: Array<[string, (world: World) => Promise<Omit<PhaseResult, "part" | "phase">>]>,
): Promise<PartResult> {
  progress(`${part}: creating ${clients} users and their rooms, subscribing them`);
  const world = await World.populate(instances, tokens, clients, options.roomSize, `${part.split(/[ ,]/)[0]!.toLowerCase()}-u`);
  cleanups.push(() => world.close());
  const rate = (options.rate * clients) / options.clients;
  world.startSending(Math.max(1, rate));
  const phases: PhaseResult[] = [];
  progress(`${part}: steady load (${rate.toFixed(0)} messages/s)`);
  await sleep(options.steadyMs);
  for (const [phase, fault] of faults) {
    progress(`${part}: ${phase}`);
    const result = await fault(world);
    phases.push({ part, phase, ...result });
    for (const problem of result.problems) progress(`  problem: ${problem}`);
    progress(`  ${result.observed}`);
    await sleep(options.steadyMs);
  }
  progress(`${part}: stopping sends, waiting for deliveries`);
  await world.stopSending(60_000);
  const drained = await world.drain(30_000);
  const tally = world.tally();
  world.close();
  const crashes = instances.flatMap((instance) => instance.crashes.map((how) => `${instance.options.name} exited unasked (${how})`));
  for (const crash of crashes) progress(`  problem: ${crash}`);
  return { part, phases, tally, drained, crashes };
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [header, header.map(() => "---"), ...rows.map((row) => row.map(String))];
  return lines.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

function report(parts: PartResult[], options: Options): string {
  const out: string[] = [];
  out.push(
    table(
      ["part", "phase", "observed", "problems"],
      parts.flatMap((part) => part.phases.map((p) => [p.part, p.phase, p.observed, p.problems.join("; ") || "none"])),
    ),
    "",
    table(
      ["part", "clients", "sent", "acknowledged", "delivered / expected", "lost", "duplicated", "out of order", "resets", "reconnects", "send retries"],
      parts.map(({ part, tally: t }) => [
        part,
        t.clients.length,
        t.sent,
        t.acknowledged,
        `${t.delivered} / ${t.expectedDeliveries}`,
        t.lost,
        t.duplicated,
        t.outOfOrder,
        t.resets,
        t.connects - t.clients.length,
        t.senders.reduce((sum, s) => sum + s.retries, 0),
      ]),
    ),
  );
  for (const { part, tally } of parts) {
    out.push("", `${part}, senders (one per room):`);
    out.push(
      table(
        ["sender", "sent", "acknowledged", "retries", "gave up", "errors before an ack"],
        tally.senders.map((s) => [s.user, s.sent, s.acknowledged, s.retries, s.gaveUp, JSON.stringify(s.errors)]),
      ),
    );
    const shown = options.perClient ? tally.clients : tally.clients.filter((c) => c.lost || c.duplicated || c.outOfOrder || c.resets);
    out.push("", `${part}, subscribers${options.perClient ? "" : " with a problem"}: ${shown.length} of ${tally.clients.length}`);
    if (shown.length) {
      out.push(
        table(
          ["client", "subscription", "delivered", "lost", "duplicated", "out of order", "resets", "connections", "errors"],
          shown.map((c) => [c.user, c.field, c.delivered, c.lost, c.duplicated, c.outOfOrder, c.resets, c.connects, JSON.stringify(c.errors)]),
        ),
      );
    }
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) return void console.log(HELP);
  const root = fileURLToPath(new URL("..", import.meta.url));
  // Ctrl-C reaches the whole process group (tsx relays it too): clean up once.
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) return;
    interrupted = true;
    console.error("chaos: interrupted; cleaning up");
    void cleanUp().finally(() => process.exit(130));
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);

  const started = Date.now();
  progress("compiling the server");
  const buildDir = await buildBench(root);
  cleanups.push(() => rmSync(buildDir, { recursive: true, force: true }));
  const dir = mkdtempSync(join(tmpdir(), "rcg-chaos-"));
  // Kept when the run fails: the servers', Redis's and PostgreSQL's logs are in it.
  let keepDir = false;
  cleanups.push(() => (keepDir || failed ? console.error(`chaos: logs kept in ${dir}`) : rmSync(dir, { recursive: true, force: true })));
  const secret = randomBytes(32).toString("hex");
  const tokens = new Tokens(secret);
  const instance = async (name: string, databaseUrl: string, redisUrl?: string) => {
    const server = new ServerInstance({ name, buildDir, dataDir: dir, port: await freePort(), databaseUrl, redisUrl, jwtSecret: secret });
    cleanups.push(() => server.kill());
    await server.start();
    return server;
  };
  const parts: PartResult[] = [];

  if (!options.skipPostgres) {
    progress("starting a throwaway Redis and PostgreSQL");
    const redis = await ThrowawayRedis.start(dir);
    cleanups.push(() => redis.kill());
    const postgres = await ThrowawayPostgres.start(dir);
    cleanups.push(() => postgres.kill());
    // One after the other: each applies the migrations at start.
    const a = await instance("A", postgres.url, redis.url);
    const b = await instance("B", postgres.url, redis.url);
    parts.push(
      await runPart("PostgreSQL + Redis, 2 instances", [a, b], tokens, options.clients, options, [
        ["restart instance A (SIGTERM)", () => restartPhase(a, "SIGTERM", 1_000)],
        ["restart instance B (SIGKILL)", () => restartPhase(b, "SIGKILL", 2_000)],
        ["restart Redis", () => dependencyOutage("Redis", [a, b], () => redis.down(), () => redis.up(), options.outageMs)],
        ["restart PostgreSQL", () => dependencyOutage("PostgreSQL", [a, b], () => postgres.down(), () => postgres.up(), options.outageMs)],
        [`drop all ${options.clients} client connections at once`, (world) => dropAllPhase(world)],
      ]),
    );
    if (interrupted) return;
    await a.stop("SIGTERM");
    await b.stop("SIGTERM");
  }
  if (options.sqliteClients > 0) {
    const s = await instance("S", `file:${join(dir, "chaos.db")}`);
    parts.push(
      await runPart("SQLite, 1 instance", [s], tokens, options.sqliteClients, options, [
        ["restart (SIGTERM)", () => restartPhase(s, "SIGTERM", 1_000)],
        ["restart (SIGKILL)", () => restartPhase(s, "SIGKILL", 1_000)],
      ]),
    );
    await s.stop("SIGTERM");
  }
  if (interrupted) return;

  const text = report(parts, options);
  console.log(text);
  const lost = parts.reduce((sum, part) => sum + part.tally.lost, 0);
  const problems = parts.flatMap((part) => part.phases.flatMap((phase) => phase.problems));
  for (const part of parts) {
    if (!part.drained) problems.push(`${part.part}: subscribers had not caught up 30 s after the last send`);
    problems.push(...part.crashes.map((crash) => `${part.part}: ${crash}`));
  }
  console.log(
    `\n${lost === 0 && problems.length === 0 ? "PASS" : "FAIL"}: ${lost} acknowledged deliveries lost; ` +
      `${problems.length ? problems.join("; ") : "/ready behaved"} (${seconds(Date.now() - started)})`,
  );
  keepDir = lost > 0 || problems.length > 0;
  if (options.json) writeFileSync(options.json, `${JSON.stringify({ date: new Date().toISOString(), options, parts }, null, 2)}\n`);
  await cleanUp();
  process.exitCode = lost === 0 && problems.length === 0 ? 0 : 1;
}

main().catch(async (error: unknown) => {
  console.error(error);
  failed = true;
  await cleanUp();
  process.exit(1);
});
