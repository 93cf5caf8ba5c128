// Turns run results into one Markdown table per scenario: the project's figure, each baseline's,
// and project/baseline ratios. PostgreSQL + Redis figures of the project are extra rows, compared
// with the same baseline runs.
import type { CpuWindow, DbName, FanoutResult, IdleResult, RunResult, ScenarioName, SendTransport, SmallRoomsResult, SystemName } from "./spec.js";
import { SEND_LABELS, SYSTEM_LABELS } from "./spec.js";

/** A run whose load generator was busier than this (% of its core) may have limited the server. */
export const LOAD_SATURATION_PERCENT = 85;

const BASELINES: SystemName[] = ["socketio", "graphql", "ws"];
/** The ratio columns' short names. */
const RATIO_LABELS: Partial<Record<SystemName, string>> = { socketio: "project/Socket.IO", graphql: "project/bare graphql-ws", ws: "project/bare ws" };

export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 100) return String(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString("en-US");
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  if (magnitude < 0.001) return "0.000";
  return value.toPrecision(2);
}

function ratio(project: number | undefined, baseline: number | undefined): string {
  if (project === undefined || baseline === undefined || !Number.isFinite(project) || !Number.isFinite(baseline) || baseline === 0) return "";
  return `${formatNumber(project / baseline)}×`;
}

interface Row<R> {
  label: string;
  /** The figure, or undefined when it does not apply. */
  value(result: R, run: RunResult): number | undefined;
  /** Shown instead of the number (counts such as lost/dup/reordered), over all repetitions. */
  text?(results: R[]): string;
  /** Ratios make sense (not for counts). */
  ratio?: boolean;
  /** Mark the cell when the load generator was saturated in that run. */
  loadSensitive?: boolean;
}

const busy = (window: CpuWindow, ms: number) => (100 * ms) / window.wallMs;
const waiting = (window: CpuWindow, ms: number | undefined) => (ms === undefined ? undefined : busy(window, ms));

const sum = <R>(results: R[], of: (result: R) => number) => results.reduce((total, result) => total + of(result), 0);

/** Lost / duplicated / reordered, summed over the repetitions (any fault counts). */
function faults(results: Array<SmallRoomsResult | FanoutResult>): string {
  const c = (of: (correctness: SmallRoomsResult["correctness"]) => number) => sum(results, (result) => of(result.correctness));
  let text = `${c((x) => x.lost)} / ${c((x) => x.duplicated)} / ${c((x) => x.reordered)}`;
  const unacknowledged = c((x) => x.unacknowledged);
  const disconnects = c((x) => x.disconnects);
  if (unacknowledged) text += ` (+${unacknowledged} unacked)`;
  if (disconnects) text += ` (${disconnects} disconnects)`;
  if (results.some((result) => !result.correctness.drained)) text += " (not drained)";
  return text;
}

/** Every acknowledged send must be in the database: "acknowledged / stored". */
function durability(results: Array<SmallRoomsResult | FanoutResult>): string {
  const acknowledged = sum(results, (result) => result.correctness.acknowledged);
  if (results.some((result) => result.correctness.stored === null)) return `${acknowledged} / not stored`;
  const stored = sum(results, (result) => result.correctness.stored ?? 0);
  return `${acknowledged} / ${stored}${stored < acknowledged ? " (MISSING)" : ""}`;
}

const SMALL_ROWS: Array<Row<SmallRoomsResult>> = [
  { label: "sends/s, acknowledged (higher is better)", value: (r) => r.sendsPerSecond, ratio: true, loadSensitive: true },
  { label: "server CPU per send, ms", value: (r) => r.serverCpuPerSendMs, ratio: true },
  { label: "send latency p50, ms", value: (r) => r.latencyP50Ms, ratio: true },
  { label: "send latency p99, ms", value: (r) => r.latencyP99Ms, ratio: true },
  { label: "lost / duplicated / reordered", value: () => undefined, text: faults },
  { label: "send errors", value: () => undefined, text: (r) => String(sum(r, (x) => x.sendErrors)) },
  { label: "acknowledged / stored in the database, whole run", value: () => undefined, text: durability },
  { label: "server CPU busy, % of its core", value: (r) => busy(r.window, r.window.serverCpuMs) },
  { label: "load generator CPU busy, % of its core", value: (r) => busy(r.window, r.window.loadCpuMs) },
  { label: "server waiting for its core, % of window", value: (r) => waiting(r.window, r.window.serverWaitMs) },
  { label: "load generator waiting for its core, % of window", value: (r) => waiting(r.window, r.window.loadWaitMs) },
  {
    label: "PostgreSQL backends CPU per send, ms",
    value: (r) => (r.window.postgresCpuMs === undefined ? undefined : r.window.postgresCpuMs / r.acknowledged),
  },
  { label: "Redis CPU per send, ms (whole Redis server)", value: (r) => (r.window.redisCpuMs === undefined ? undefined : r.window.redisCpuMs / r.acknowledged) },
];

const FANOUT_ROWS: Array<Row<FanoutResult>> = [
  { label: "server CPU per delivery, µs", value: (r) => r.serverCpuPerDeliveryUs, ratio: true },
  { label: "delivery latency p50, ms", value: (r) => r.latencyP50Ms, ratio: true },
  { label: "delivery latency p99, ms", value: (r) => r.latencyP99Ms, ratio: true },
  { label: "deliveries/s (higher is better)", value: (r) => r.deliveriesPerSecond, ratio: true, loadSensitive: true },
  { label: "lost / duplicated / reordered", value: () => undefined, text: faults },
  {
    label: "sent / acknowledged / send errors",
    value: () => undefined,
    text: (r) => `${sum(r, (x) => x.sent)} / ${sum(r, (x) => x.acknowledged)} / ${sum(r, (x) => x.sendErrors)}`,
  },
  { label: "acknowledged / stored in the database, warm-up included", value: () => undefined, text: durability },
  { label: "server CPU busy, % of its core", value: (r) => busy(r.window, r.window.serverCpuMs) },
  { label: "load generator CPU busy, % of its core", value: (r) => busy(r.window, r.window.loadCpuMs) },
  { label: "server waiting for its core, % of window", value: (r) => waiting(r.window, r.window.serverWaitMs) },
  { label: "load generator waiting for its core, % of window", value: (r) => waiting(r.window, r.window.loadWaitMs) },
  {
    label: "PostgreSQL backends CPU per delivery, µs",
    value: (r) => (r.window.postgresCpuMs === undefined ? undefined : (1000 * r.window.postgresCpuMs) / r.deliveries),
  },
  {
    label: "Redis CPU per delivery, µs (whole Redis server)",
    value: (r) => (r.window.redisCpuMs === undefined ? undefined : (1000 * r.window.redisCpuMs) / r.deliveries),
  },
];

const IDLE_ROWS: Array<Row<IdleResult>> = [
  { label: "heap per idle connection, KB", value: (r) => r.heapPerConnectionBytes / 1024, ratio: true },
  { label: "heap growth, MB", value: (r) => r.heapGrowthBytes / 1024 / 1024, ratio: true },
  { label: "external memory per connection, KB", value: (r) => r.externalPerConnectionBytes / 1024 },
  { label: "RSS growth, MB", value: (r) => r.rssGrowthBytes / 1024 / 1024, ratio: true },
  { label: "server CPU per connection opened, ms", value: (r) => r.serverCpuPerConnectionMs, ratio: true },
  { label: "seconds to open them all", value: (r) => r.openSeconds, ratio: true },
  {
    label: "established / failed (fewest, total)",
    value: () => undefined,
    text: (r) => `${Math.min(...r.map((x) => x.established))} / ${sum(r, (x) => x.failed)}`,
  },
];

const ROWS: Record<ScenarioName, Array<Row<any>>> = { small: SMALL_ROWS, fanout: FANOUT_ROWS, idle: IDLE_ROWS };

export const SCENARIO_TITLES: Record<ScenarioName, string> = {
  small: "A. Small rooms",
  fanout: "B. Fan-out",
  idle: "C. Idle connections",
};

const DB_LABELS: Record<DbName, string> = { sqlite: "SQLite", postgres: "PostgreSQL + Redis" };

function loadSaturated(run: RunResult): boolean {
  const result = run.result;
  if (!result || result.scenario === "idle") return false;
  return busy(result.window, result.window.loadCpuMs) >= LOAD_SATURATION_PERCENT;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The row's figure over the repetitions of one system: their median (undefined if none). */
function figure<R>(row: Row<R>, runs: RunResult[]): number | undefined {
  const values = runs
    .filter((run) => run.ok && run.result)
    .map((run) => row.value(run.result as R, run))
    .filter((value): value is number => value !== undefined && Number.isFinite(value));
  return values.length ? median(values) : undefined;
}

function cell<R>(row: Row<R>, runs: RunResult[]): string {
  if (runs.length === 0) return "—";
  const good = runs.filter((run) => run.ok && run.result);
  if (good.length === 0) return "failed";
  const failed = good.length < runs.length ? ` (${runs.length - good.length} failed)` : "";
  if (row.text) return row.text(good.map((run) => run.result as R)) + failed;
  const values = good.map((run) => row.value(run.result as R, run)).filter((value): value is number => value !== undefined);
  if (values.length === 0) return "—";
  // With repetitions: the median, and the range it comes from.
  const range = values.length > 1 ? ` (${formatNumber(Math.min(...values))}–${formatNumber(Math.max(...values))})` : "";
  const mark = row.loadSensitive && good.some(loadSaturated) ? " ‡" : "";
  return formatNumber(median(values)) + range + mark + failed;
}

/** The Markdown table of one scenario, with a title and notes; empty if it has no runs. */
export function scenarioTable(scenario: ScenarioName, runs: RunResult[], subtitle: string): string {
  const of = (system: SystemName, db: DbName | null, sendOver: SendTransport | null = null) =>
    runs.filter((run) => run.scenario === scenario && run.system === system && run.db === db && (run.sendOver ?? null) === sendOver);
  // The project's variants: each database, each send transport.
  const variants = (["sqlite", "postgres"] as DbName[]).flatMap((db) =>
    (["http", "ws"] as SendTransport[]).map((sendOver) => ({ db, sendOver })).filter(({ db, sendOver }) => of("project", db, sendOver).length > 0),
  );
  const baselines = BASELINES.map((system) => of(system, null));
  if (variants.length === 0 && baselines.every((group) => group.length === 0)) return "";
  const header = ["scenario", SYSTEM_LABELS.project, ...BASELINES.map((system) => SYSTEM_LABELS[system]), ...BASELINES.map((system) => RATIO_LABELS[system]!)];
  const lines: string[][] = [];
  const rows = ROWS[scenario];
  const shown: Array<{ db: DbName; sendOver: SendTransport } | null> = variants.length ? variants : [null];
  const dbs = new Set(variants.map((variant) => variant.db));
  const transports = new Set(variants.map((variant) => variant.sendOver));
  for (const variant of shown) {
    const project = variant ? of("project", variant.db, variant.sendOver) : [];
    for (const row of rows) {
      const values = [project, ...baselines].map((group) => figure(row, group));
      // Rows about PostgreSQL and Redis only where they apply.
      if (values.every((value) => value === undefined) && !row.text) continue;
      const tags = [
        ...(variant && dbs.size > 1 ? [DB_LABELS[variant.db]] : []),
        ...(variant && transports.size > 1 ? [SEND_LABELS[variant.sendOver]] : []),
      ];
      const label = tags.length ? `${row.label} [${tags.join(", ")}]` : row.label;
      lines.push([
        label,
        cell(row, project),
        ...baselines.map((group) => cell(row, group)),
        ...baselines.map((_, i) => (row.ratio ? ratio(values[0], values[i + 1]) : "")),
      ]);
    }
  }
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const render = (line: string[]) => `| ${line.map((text, column) => text.padEnd(widths[column]!)).join(" | ")} |`;
  const out = [`### ${SCENARIO_TITLES[scenario]}: ${subtitle}`, "", render(header), render(widths.map((width) => "-".repeat(width))), ...lines.map(render)];
  const notes: string[] = [];
  const scenarioRuns = runs.filter((run) => run.scenario === scenario);
  if (scenarioRuns.some(loadSaturated)) {
    notes.push(`‡ the load generator was over ${LOAD_SATURATION_PERCENT} % busy in that run: the server may be capable of more.`);
  }
  if (new Set(scenarioRuns.map((run) => `${run.system} ${run.db} ${run.sendOver}`)).size < scenarioRuns.length) {
    notes.push("With repetitions: each figure is the median, with the lowest and highest run in parentheses; ratios are of medians; counts are summed.");
  }
  for (const run of scenarioRuns.filter((run) => !run.ok)) {
    const variant = [run.db && DB_LABELS[run.db], run.sendOver && SEND_LABELS[run.sendOver]].filter(Boolean).join(", ");
    notes.push(`${SYSTEM_LABELS[run.system]}${variant ? ` (${variant})` : ""} failed: ${run.error?.split("\n")[0]}`);
  }
  if (notes.length) out.push("", ...notes);
  return out.join("\n");
}
