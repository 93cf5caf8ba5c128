// `npm run bench`: this project side by side with three baselines, in the same run, on this machine.
//
//   A. small   50 one-to-one rooms, both members subscribed, 32 senders in closed loops (each sends
//              as soon as its previous send is acknowledged), 10 s measured after 2 s of warm-up:
//              acknowledged (durable) sends/s, server CPU per send, send latency p50/p99.
//   B. fanout  one group of 100 members, all subscribed, one sender at 100 messages/s for 5 s:
//              server CPU per delivery, delivery latency p50/p99 (send to receipt), deliveries/s.
//   C. idle    10,000 idle connections with one per-user subscription each (project: graphql-ws
//              viewerEvents): server heap growth per connection after a forced GC.
//   D. the project's rows again on PostgreSQL + Redis (--db postgres), against the same baselines.
//
// In A and B every subscriber must receive every acknowledged message of its room exactly once
// in seq order: lost, duplicated and reordered deliveries are counted for every system.
//
// Systems: the project (the real createChatServer: sendMessage over HTTP, and again over the
// member's graphql-ws connection as a Socket.IO client sends over its socket; graphql-ws subscriptions),
// "Socket.IO + better-sqlite3" (scripts/bench/servers/socketio.ts: insert in WAL mode with
// synchronous = NORMAL, then emit to the room, then ack), "bare graphql-ws + better-sqlite3"
// (scripts/bench/servers/graphql-floor.ts: the same chat and the same insert as GraphQL operations,
// graphql-js over graphql-ws's own server, none of the project's features: what GraphQL itself
// costs) and "bare ws" (scripts/bench/servers/bare-ws.ts: one pre-serialised frame per message to
// every socket of the room, no database).
//
// How it measures: each run starts a fresh server process pinned to core 0 and a fresh load
// generator pinned to core 1 (taskset; without it both run unpinned and the output says so).
// Server CPU is the server process's utime + stime (/proc/<pid>/stat) over the measured window
// only (start-up, setup and warm-up excluded); the load generator's own CPU is shown next to it, and
// a figure it may have limited is marked. Servers run compiled JavaScript with plain node.
// A benchmark, not a test: it asserts nothing, and `npm test` does not run it.
//
//   npm run bench -- [--scenario small,fanout,idle] [--db sqlite,postgres] [--sends http,ws] [--systems project,socketio,graphql,ws]
//                    [--seconds 10] [--warmup 2] [--fanout-rate 100] [--fanout-seconds 5]
//                    [--idle-connections 10000] [--repeat 1] [--json results.json] [--cpu-prof DIR] [--no-pin]
//                    [--postgres-url URL] [--redis-url URL]
//   npm run bench:profile -- FILE.cpuprofile     (self time by function, file and package)
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { buildBench } from "./bench/build.js";
import { parseOptions } from "./cli-options.js";
import { formatNumber, scenarioTable } from "./bench/report.js";
import {
  DATABASES,
  SCENARIOS,
  SEND_LABELS,
  SEND_TRANSPORTS,
  SYSTEM_LABELS,
  SYSTEMS,
  type DbName,
  type RunResult,
  type RunSpec,
  type ScenarioName,
  type WorkerMessage,
} from "./bench/spec.js";

const HELP = `npm run bench -- [options]

Runs this project and three baselines (Socket.IO + better-sqlite3, bare graphql-ws +
better-sqlite3, bare ws) through the same scenarios in one run and prints one table per scenario
with project/baseline ratios.

  --scenario LIST        small,fanout,idle (A, B, C; letters work too)     default: all
  --db LIST              the project's database: sqlite,postgres            default: sqlite,postgres
                         (postgres runs with Redis fan-out; skipped with a note when either is
                         unreachable, unless asked for explicitly)
  --sends LIST           how the project's members send: http (a POST each), ws (a mutation on
                         their graphql-ws connection)                       default: http,ws
  --systems LIST         project,socketio,graphql,ws                        default: all
  --seconds N            A: measured seconds                                default: 10
  --warmup N             A: warm-up seconds before the window; B sends min(20, rate × N) messages
                         first, and waits for them to be delivered          default: 2
  --senders N            A: concurrent senders                              default: 32
  --rooms N              A: one-to-one rooms                                default: 50
  --fanout-members N     B: members of the group, all subscribed            default: 100
  --fanout-rate N        B: messages per second from the one sender         default: 100
  --fanout-seconds N     B: seconds of sending                              default: 5
  --idle-connections N   C: idle connections                                default: 10000
  --repeat N             run everything N times, interleaved; tables show the median and
                         the range (3 or more to judge a change on a busy machine)  default: 1
  --json PATH            also write all results as JSON to PATH
  --cpu-prof DIR         start the project server with node --cpu-prof --cpu-prof-dir DIR (whole
                         process) and also write the measured window alone to DIR
                         (<run>.window.cpuprofile); summarise one with
                         npm run bench:profile -- FILE. Profiling slows the server:
                         do not compare those numbers with unprofiled ones.
  --no-pin               do not pin the server (core 0) and load generator (core 1) with taskset
  --postgres-url URL     database for the postgres runs (a fresh schema per run, dropped after)
                         default: $BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/test
  --redis-url URL        default: $BENCH_REDIS_URL or redis://127.0.0.1:6379
  --help                 this text

Environment: BENCH_LOAD_CPU_PROF=DIR also profiles the load generator (to see what limits it).`;

const ALIASES: Record<string, ScenarioName> = { a: "small", b: "fanout", c: "idle" };

function fail(message: string): never {
  console.error(`bench: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const { values, flags, number } = parseOptions(
    argv,
    {
      flags: ["help", "no-pin"],
      valued: [
        "scenario", "db", "systems", "seconds", "warmup", "senders", "rooms", "fanout-members", "fanout-rate",
        "fanout-seconds", "idle-connections", "json", "cpu-prof", "postgres-url", "redis-url", "repeat", "sends",
      ],
    },
    fail,
  );
  const list = <T extends string>(name: string, allowed: readonly T[], fallback: readonly T[], alias: Record<string, T> = {}): T[] => {
    const given = values.get(name);
    if (given === undefined) return [...fallback];
    const items = given.split(",").map((item) => item.trim().toLowerCase()).map((item) => alias[item] ?? item);
    for (const item of items) if (!allowed.includes(item as T)) fail(`--${name}: unknown ${item}`);
    return [...new Set(items as T[])];
  };
  return {
    help: flags.has("help"),
    pin: !flags.has("no-pin"),
    scenarios: list("scenario", SCENARIOS, SCENARIOS, ALIASES),
    dbs: list("db", DATABASES, DATABASES, { postgresql: "postgres", pg: "postgres" }),
    dbsExplicit: values.has("db"),
    sends: list("sends", SEND_TRANSPORTS, SEND_TRANSPORTS, { graphql_ws: "ws", "graphql-ws": "ws" }),
    systems: list("systems", SYSTEMS, SYSTEMS, { "socket.io": "socketio", "bare-ws": "ws" }),
    seconds: number("seconds", 10, 1),
    warmupSeconds: number("warmup", 2, 0),
    senders: Math.round(number("senders", 32, 1)),
    pairRooms: Math.round(number("rooms", 50, 1)),
    fanoutMembers: Math.round(number("fanout-members", 100, 2)),
    fanoutRate: number("fanout-rate", 100, 1),
    fanoutSeconds: number("fanout-seconds", 5, 1),
    idleConnections: Math.round(number("idle-connections", 10_000, 1)),
    repeat: Math.round(number("repeat", 1, 1)),
    json: values.get("json"),
    cpuProf: values.get("cpu-prof"),
    postgresUrl: values.get("postgres-url") ?? process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test",
    redisUrl: values.get("redis-url") ?? process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
  };
}

/** Can taskset put processes on cores 0 and 1? Returns why not, or null. */
function pinningProblem(): string | null {
  if (availableParallelism() < 2) return `only ${availableParallelism()} core available`;
  const probe = spawnSync("taskset", ["-c", "1", process.execPath, "-e", ""], { stdio: "ignore" });
  if (probe.error) return "taskset not found";
  if (probe.status !== 0) return "taskset could not pin to core 1";
  return null;
}

async function postgresProblem(url: string, redisUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    return `PostgreSQL at ${url} is unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at ${redisUrl} is unreachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return null;
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch (error) {
    console.error(`bench: could not drop schema ${schema}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The code measured: commit, and whether the work tree had changes. */
function codeVersion(root: string): string {
  const git = (...args: string[]) => spawnSync("git", ["-C", root, ...args], { encoding: "utf8" });
  const commit = git("rev-parse", "--short", "HEAD").stdout?.trim();
  if (!commit) return "unknown (not a git work tree)";
  const branch = git("rev-parse", "--abbrev-ref", "HEAD").stdout?.trim();
  const dirty = git("status", "--porcelain", "--untracked-files=no").stdout?.trim();
  return `${commit}${branch ? ` (${branch})` : ""}${dirty ? " with uncommitted changes" : ""}`;
}

/** Versions of what the baselines are built on, as installed. */
function baselineVersions(root: string): string {
  const version = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version as string;
    } catch {
      return "?";
    }
  };
  return ["socket.io", "graphql-ws", "graphql", "ws", "better-sqlite3"].map((name) => `${name} ${version(name)}`).join(", ");
}

/** Microseconds some task on the machine spent waiting for a CPU (Linux PSI), if available. */
function cpuPressureUs(): number | undefined {
  try {
    const some = readFileSync("/proc/pressure/cpu", "utf8").split("\n").find((line) => line.startsWith("some"));
    return Number(some?.match(/total=(\d+)/)?.[1]);
  } catch {
    return undefined;
  }
}

/** Longest a run may take before it is stopped, in ms (a hung run must not hang the bench). */
function runBudgetMs(spec: RunSpec): number {
  if (spec.scenario === "small") return (120 + spec.warmupSeconds + spec.seconds) * 1000;
  if (spec.scenario === "fanout") return (240 + spec.fanoutSeconds) * 1000;
  return (120 + spec.idleConnections * 0.03) * 1000;
}

const DB_LABEL: Record<DbName, string> = { sqlite: "SQLite", postgres: "PostgreSQL + Redis" };
const runLabel = (spec: Pick<RunSpec, "scenario" | "system" | "db" | "sendOver">) =>
  `${spec.scenario} · ${SYSTEM_LABELS[spec.system]}${spec.db ? ` · ${DB_LABEL[spec.db]}` : ""}` +
  `${spec.sendOver ? ` · ${SEND_LABELS[spec.sendOver]}` : ""}`;

/** Processes of the run in progress, for Ctrl-C. */
const live = new Set<ChildProcess | number>();

function killLive(): void {
  for (const entry of live) {
    try {
      if (typeof entry === "number") process.kill(entry, "SIGKILL");
      else entry.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

async function runOne(spec: RunSpec, pin: boolean): Promise<RunResult> {
  const label = runLabel(spec);
  const workerEntry = join(spec.buildDir, "scripts", "bench", "load", "worker.js");
  // BENCH_LOAD_CPU_PROF=DIR profiles the load generator too (to see what limits it).
  const profile = process.env.BENCH_LOAD_CPU_PROF;
  const nodeArgs = profile ? ["--cpu-prof", "--cpu-prof-dir", profile, "--cpu-prof-name", `load-${spec.scenario}-${spec.system}-${spec.db ?? "baseline"}.cpuprofile`] : [];
  const [command, args] = pin
    ? ["taskset", ["-c", "1", process.execPath, ...nodeArgs, workerEntry]]
    : [process.execPath, [...nodeArgs, workerEntry]];
  const worker = spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  live.add(worker);
  let serverPid: number | undefined;
  const started = performance.now();
  const result = await new Promise<RunResult>((resolvePromise) => {
    const failed = (error: string): RunResult => ({
      scenario: spec.scenario, system: spec.system, db: spec.db, sendOver: spec.sendOver, ok: false, error, runSeconds: (performance.now() - started) / 1000,
    });
    const timer = setTimeout(() => {
      worker.kill("SIGKILL");
      if (serverPid) process.kill(serverPid, "SIGKILL");
      resolvePromise(failed(`stopped after ${runBudgetMs(spec) / 1000} s`));
    }, runBudgetMs(spec));
    worker.on("message", (message: WorkerMessage) => {
      if (message.kind === "progress") console.error(`  [${label}] ${message.text}`);
      else if (message.kind === "server-pid") {
        serverPid = message.pid;
        live.add(message.pid);
      } else if (message.kind === "result") {
        clearTimeout(timer);
        resolvePromise(message.result);
      }
    });
    worker.once("exit", (code) => {
      clearTimeout(timer);
      resolvePromise(failed(`the load generator exited with ${code}`));
    });
    worker.send(spec);
  });
  await new Promise<void>((done) => (worker.exitCode !== null || worker.signalCode !== null ? done() : worker.once("exit", () => done())));
  live.delete(worker);
  if (serverPid) live.delete(serverPid);
  return result;
}

function describe(run: RunResult): string {
  const r = run.result;
  if (!run.ok || !r) return `failed: ${run.error}`;
  if (r.scenario === "small") return `${formatNumber(r.sendsPerSecond)} sends/s, ${formatNumber(r.serverCpuPerSendMs)} ms CPU per send`;
  if (r.scenario === "fanout") return `${formatNumber(r.serverCpuPerDeliveryUs)} µs CPU per delivery, p50 ${formatNumber(r.latencyP50Ms)} ms`;
  return `${formatNumber(r.heapPerConnectionBytes / 1024)} KB heap per connection`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(HELP);
    return;
  }
  const root = fileURLToPath(new URL("..", import.meta.url));
  const notes: string[] = [];

  const pinProblem = options.pin ? pinningProblem() : "--no-pin";
  const pin = pinProblem === null;
  let dbs = options.systems.includes("project") ? options.dbs : [];
  if (dbs.includes("postgres")) {
    const problem = await postgresProblem(options.postgresUrl, options.redisUrl);
    if (problem && options.dbsExplicit) fail(problem);
    if (problem) {
      notes.push(`PostgreSQL + Redis rows skipped: ${problem}.`);
      dbs = dbs.filter((db) => db !== "postgres");
    }
  }
  const cpuProfDir = options.cpuProf ? resolve(options.cpuProf) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });

  console.error("bench: compiling the servers and the load generator");
  const buildDir = await buildBench(root);
  // Kept with --cpu-prof: the profiles point into it (source view in DevTools).
  const removeBuild = async () => {
    if (!cpuProfDir) rmSync(buildDir, { recursive: true, force: true });
  };

  const load = loadavg();
  const machine = {
    code: codeVersion(root),
    baselines: baselineVersions(root),
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    node: process.version,
    os: `${process.platform} ${release()}`,
    pinned: pin,
    pinning: pin ? "server on core 0, load generator on core 1 (taskset)" : `not pinned (${pinProblem})`,
    loadAverageBefore: load.map((value) => Number(value.toFixed(2))),
    loadAverageAfter: [] as number[],
    /** Share of the bench's wall time in which some task waited for a CPU (PSI "some"), %. */
    cpuPressurePercent: undefined as number | undefined,
  };
  const pressureBefore = cpuPressureUs();

  // Repetitions interleaved, so a busy spell on the machine does not fall on one system only.
  const plan: Array<Pick<RunSpec, "scenario" | "system" | "db" | "sendOver"> & { repetition: number }> = [];
  for (let repetition = 1; repetition <= options.repeat; repetition++) {
    for (const scenario of options.scenarios) {
      // Idle connections send nothing: one project run per database.
      const sends = scenario === "idle" ? options.sends.slice(0, 1) : options.sends;
      const project = (db: DbName) => {
        for (const sendOver of sends) plan.push({ scenario, system: "project", db, sendOver, repetition });
      };
      for (const system of options.systems) {
        if (system !== "project") plan.push({ scenario, system, db: null, sendOver: null, repetition });
        else if (dbs.includes("sqlite")) project("sqlite");
      }
      // The PostgreSQL rows of a scenario after its SQLite and baseline runs.
      if (options.systems.includes("project") && dbs.includes("postgres")) project("postgres");
    }
  }

  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  };
  // Ctrl-C reaches every process of the group, and tsx relays it once more: clean up once,
  // and let no second signal cut the clean-up short (a PostgreSQL schema would stay behind).
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) return;
    interrupted = true;
    console.error("bench: interrupted; stopping the run and cleaning up");
    killLive();
    void cleanUp()
      .then(removeBuild)
      .finally(() => process.exit(130));
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);

  const runs: RunResult[] = [];
  const benchStarted = performance.now();
  for (const [index, { repetition, ...step }] of plan.entries()) {
    const dataDir = mkdtempSync(join(tmpdir(), "rcg-bench-"));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const id = randomBytes(5).toString("hex");
    const spec: RunSpec = {
      ...step,
      buildDir,
      dataDir,
      jwtSecret: randomBytes(32).toString("hex"),
      pin,
      cpuProfDir,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      senders: options.senders,
      pairRooms: options.pairRooms,
      fanoutMembers: options.fanoutMembers,
      fanoutRate: options.fanoutRate,
      fanoutSeconds: options.fanoutSeconds,
      idleConnections: options.idleConnections,
    };
    if (step.db === "postgres") {
      const schema = `bench_${id}`;
      const url = new URL(options.postgresUrl);
      url.searchParams.set("schema", schema);
      // Names the server's connections, so their PostgreSQL backends' CPU can be found.
      spec.pgApplicationName = `rcg-bench-${id}`;
      url.searchParams.set("application_name", spec.pgApplicationName);
      spec.databaseUrl = url.toString();
      spec.redisUrl = options.redisUrl;
      cleanups.push(() => dropSchema(options.postgresUrl, schema));
    }
    console.error(`bench: run ${index + 1}/${plan.length}: ${runLabel(step)}${options.repeat > 1 ? ` (repetition ${repetition})` : ""}`);
    const run = await runOne(spec, pin);
    if (interrupted) return;
    if (options.repeat > 1) run.repetition = repetition;
    runs.push(run);
    console.error(`  [${runLabel(step)}] ${describe(run)} (${run.runSeconds.toFixed(0)} s)`);
    await cleanUp();
  }
  await removeBuild();
  machine.loadAverageAfter = loadavg().map((value) => Number(value.toFixed(2)));
  const pressureAfter = cpuPressureUs();
  if (pressureBefore !== undefined && pressureAfter !== undefined) {
    machine.cpuPressurePercent = Number(((100 * (pressureAfter - pressureBefore)) / ((performance.now() - benchStarted) * 1000)).toFixed(1));
  }

  const subtitles: Record<ScenarioName, string> = {
    small:
      `${options.pairRooms} one-to-one rooms, both members subscribed (own connection each), ` +
      `${options.senders} senders in closed loops, ${options.seconds} s measured after ${options.warmupSeconds} s warm-up`,
    fanout:
      `one group of ${options.fanoutMembers}, all subscribed, one sender at ${options.fanoutRate} messages/s ` +
      `for ${options.fanoutSeconds} s, queue drained before counting`,
    idle:
      `${options.idleConnections.toLocaleString("en-US")} idle connections, one per-user subscription each ` +
      "(project: graphql-ws viewerEvents), heap after a forced GC",
  };
  const out: string[] = [];
  out.push(
    `machine: ${machine.cores} cores (${machine.cpu}), ${machine.os}, Node ${machine.node}; ${machine.pinning}; ` +
      `load average before ${machine.loadAverageBefore.join(" ")}, after ${machine.loadAverageAfter.join(" ")}` +
      (machine.cpuPressurePercent === undefined
        ? ""
        : `; some task waited for a CPU during ${machine.cpuPressurePercent} % of the bench (PSI)`),
  );
  if ((machine.cpuPressurePercent ?? 0) > 20 || machine.loadAverageBefore[0]! > 1) {
    out.push(
      "note: other processes competed for the cores during this bench: throughput and latency figures are " +
        "lower than on a quiet machine (see the \"waiting for its core\" rows); CPU per operation is the steadier figure.",
    );
  }
  out.push(`code: ${machine.code}; baselines on ${machine.baselines}`);
  const infos = new Map<string, string>();
  for (const run of runs) {
    if (!run.serverInfo) continue;
    const key = `${SYSTEM_LABELS[run.system]}${run.db ? ` (${DB_LABEL[run.db]})` : ""}`;
    if (infos.has(key)) continue;
    infos.set(key, Object.entries(run.serverInfo).map(([name, value]) => `${name}=${value}`).join(", "));
  }
  for (const [key, info] of infos) out.push(`${key}: ${info}`);
  for (const scenario of options.scenarios) {
    const table = scenarioTable(scenario, runs, subtitles[scenario]);
    if (table) out.push("", table);
  }
  out.push(
    "",
    "Server CPU: utime + stime of the server process (all its threads, /proc/<pid>/stat) over the measured " +
      "window only. PostgreSQL and Redis are separate processes, shown in their own rows.",
    "bare ws stores nothing (its sends are not durable) and checks no token: it is the floor under any " +
      "Node WebSocket server, not a like-for-like chat server. The Socket.IO baseline trusts the handshake for " +
      "identity and membership; the project verifies a JWT, asks its PermissionHandler, and keeps " +
      "notifications (ENABLE_NOTIFICATIONS defaults to true; new-message ones need no row). The bare graphql-ws " +
      "baseline is the same chat as Socket.IO's (same trust, same insert) spoken as GraphQL: graphql-js over " +
      "graphql-ws's own server, documents parsed and validated once, one execution per subscriber and event.",
    ...notes,
  );
  for (const run of runs.filter((run) => run.serverLog)) {
    out.push(
      `server output during ${runLabel(run)} (${run.serverLog!.lines} lines; the first):`,
      ...run.serverLog!.head.map((line) => `  ${line}`),
    );
  }
  const profiles = runs.flatMap((run) => run.profiles ?? []);
  if (profiles.length) {
    out.push(
      "",
      "CPU profiles (project server; summarise one with npm run bench:profile -- FILE):",
      ...profiles.map((file) => `  ${file}`),
      `  (the compiled code they point into is kept in ${buildDir})`,
    );
  }
  console.log(out.join("\n"));
  console.error(`bench: done in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);

  if (options.json) {
    const document = {
      benchmark: "realtime-chat-graphql npm run bench",
      date: new Date().toISOString(),
      machine,
      options: { ...options, help: undefined, dbs, pin },
      runs,
    };
    writeFileSync(options.json, `${JSON.stringify(document, null, 2)}\n`);
    console.error(`bench: results written to ${options.json}`);
  }
}

main().catch((error: unknown) => {
  killLive();
  console.error(error);
  process.exit(1);
});
