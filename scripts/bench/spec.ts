// What one bench run is (a scenario against one system) and what it reports. Shared by the
// orchestrator (scripts/bench.ts), the load generator (load/worker.ts) and the report.

export const SCENARIOS = ["small", "fanout", "idle"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** project: this server; socketio: Socket.IO + better-sqlite3; graphql: the same chat as a bare
 * graphql-ws + graphql-js server with better-sqlite3 (GraphQL's own floor); ws: bare ws broadcast
 * (no database). */
export const SYSTEMS = ["project", "socketio", "graphql", "ws"] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const DATABASES = ["sqlite", "postgres"] as const;
export type DbName = (typeof DATABASES)[number];

/** How the project's members send: one HTTP POST per message, or a mutation over the graphql-ws
 * connection they already hold for their subscriptions (as a Socket.IO client sends over its
 * socket). Scenario C sends nothing and runs once. */
export const SEND_TRANSPORTS = ["http", "ws"] as const;
export type SendTransport = (typeof SEND_TRANSPORTS)[number];
export const SEND_LABELS: Record<SendTransport, string> = { http: "sends over HTTP", ws: "sends over graphql-ws" };

export const SYSTEM_LABELS: Record<SystemName, string> = {
  project: "this project",
  socketio: "Socket.IO + better-sqlite3",
  graphql: "bare graphql-ws + better-sqlite3",
  ws: "bare ws",
};

export interface RunSpec {
  scenario: ScenarioName;
  system: SystemName;
  /** The project's database; baselines have their own (Socket.IO: SQLite) or none (ws). */
  db: DbName | null;
  /** The project's send transport (baselines: null). */
  sendOver: SendTransport | null;
  /** Compiled bench folder (build.ts): server entries run from there with plain node. */
  buildDir: string;
  /** Temporary folder of this run: DATA_DIR, the baseline's database file, the server log. */
  dataDir: string;
  /** PostgreSQL runs: the DATABASE_URL (with ?schema= and application_name). */
  databaseUrl?: string;
  /** PostgreSQL runs: application_name of the server's connections, to find their backends. */
  pgApplicationName?: string;
  redisUrl?: string;
  jwtSecret: string;
  /** Pin the server to core 0 and the load generator to core 1 with taskset. */
  pin: boolean;
  /** Project server only: write CPU profiles (whole process, and the measured window) here. */
  cpuProfDir?: string;
  /** Scenario A: measured seconds, after warmupSeconds. */
  seconds: number;
  warmupSeconds: number;
  /** Scenario A: concurrent senders and one-to-one rooms. */
  senders: number;
  pairRooms: number;
  /** Scenario B: members of the group, messages per second, seconds. */
  fanoutMembers: number;
  fanoutRate: number;
  fanoutSeconds: number;
  /** Scenario C: idle connections to open. */
  idleConnections: number;
}

/** Lost, duplicated and reordered deliveries, summed over all subscribers of a run. */
export interface Correctness {
  /** Acknowledged messages a subscriber of the room never received. */
  lost: number;
  /** Deliveries of a seq the subscriber had already received. */
  duplicated: number;
  /** Deliveries with a lower seq than one the subscriber had already received. */
  reordered: number;
  /** Deliveries of a seq the sender never got an acknowledgement for (e.g. its send failed). */
  unacknowledged: number;
  /** Subscriber connections the server closed or lost during the run. */
  disconnects: number;
  /** Did every subscriber get every acknowledged message before the drain deadline? */
  drained: boolean;
  /** Sends acknowledged in the run's rooms (warm-up included). */
  acknowledged: number;
  /** Messages the server's database holds for those rooms afterwards (null: it stores none). */
  stored: number | null;
}

export interface CpuWindow {
  /** Wall time of the measured window, ms. */
  wallMs: number;
  /** utime + stime of the server process during the window, ms. */
  serverCpuMs: number;
  /** CPU of the load generator process during the window, ms. */
  loadCpuMs: number;
  /** Time the server's main thread was runnable but waiting for its core (other processes had
   * it), from /proc/<pid>/schedstat, ms. High values mean a busy machine held the server back. */
  serverWaitMs?: number;
  /** The same for the load generator's main thread, ms. */
  loadWaitMs?: number;
  /** PostgreSQL runs: CPU of the server's PostgreSQL backends during the window, ms. */
  postgresCpuMs?: number;
  /** Runs with Redis: CPU of the whole Redis server during the window, ms (other users included). */
  redisCpuMs?: number;
}

export interface SmallRoomsResult {
  scenario: "small";
  /** Sends acknowledged during the window (the ack comes after the row is committed). */
  acknowledged: number;
  sendsPerSecond: number;
  serverCpuPerSendMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  sendErrors: number;
  /** All sends acknowledged over warm-up and window (what correctness is checked against). */
  totalAcknowledged: number;
  deliveries: number;
  window: CpuWindow;
  correctness: Correctness;
}

export interface FanoutResult {
  scenario: "fanout";
  sent: number;
  acknowledged: number;
  sendErrors: number;
  /** Deliveries of the window's messages, all subscribers. */
  deliveries: number;
  deliveriesPerSecond: number;
  serverCpuPerDeliveryUs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  window: CpuWindow;
  correctness: Correctness;
}

export interface IdleResult {
  scenario: "idle";
  connections: number;
  /** Connections open and subscribed when the heap was measured. */
  established: number;
  failed: number;
  /** Seconds to open and subscribe them all. */
  openSeconds: number;
  /** Server CPU to open and subscribe them, per connection, ms. */
  serverCpuPerConnectionMs: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  heapGrowthBytes: number;
  heapPerConnectionBytes: number;
  rssGrowthBytes: number;
  /** Socket and ArrayBuffer memory outside the JS heap (external), growth per connection. */
  externalPerConnectionBytes: number;
}

export type ScenarioResult = SmallRoomsResult | FanoutResult | IdleResult;

export interface RunResult {
  scenario: ScenarioName;
  system: SystemName;
  db: DbName | null;
  sendOver: SendTransport | null;
  ok: boolean;
  error?: string;
  /** What the server process said about itself when it started (e.g. SQLite pragmas). */
  serverInfo?: Record<string, string>;
  result?: ScenarioResult;
  /** 1, 2, ... with --repeat. */
  repetition?: number;
  /** Wall time of the whole run including start-up and setup, s. */
  runSeconds: number;
  /** Where the CPU profiles of this run were written (project with --cpu-prof). */
  profiles?: string[];
  /** What the server wrote to stdout/stderr (LOG_LEVEL=warn: warnings and errors), if anything. */
  serverLog?: { lines: number; head: string[] };
}

/** Messages between the orchestrator and a load worker. */
export type WorkerMessage =
  | { kind: "server-pid"; pid: number }
  | { kind: "progress"; text: string }
  | { kind: "result"; result: RunResult };
