// CPU spent outside the server process on its behalf, for the PostgreSQL + Redis runs: the
// PostgreSQL backends serving the server's connections (found by their application_name, so other
// users of the same PostgreSQL are not counted) and the Redis server (all of it: Redis cannot
// tell clients apart, so a busy neighbour would show here too).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import pg from "pg";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process from /proc/<pid>/stat, in ms; undefined when it is gone. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/** Time a thread spent runnable but waiting for a CPU, from /proc/<pid>/schedstat (ns), in ms. */
export function runQueueWaitMs(pid: number | "self"): number | undefined {
  try {
    const [, waitNs] = readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(" ");
    return Number(waitNs) / 1e6;
  } catch {
    return undefined;
  }
}

export interface ExternalSample {
  postgres?: Map<number, number>;
  redisMs?: number;
}

export class ExternalCpu {
  private pgClient: pg.Client | null = null;
  private redis: Redis | null = null;

  constructor(
    private readonly options: { postgresUrl?: string; applicationName?: string; redisUrl?: string },
  ) {}

  async open(): Promise<void> {
    if (this.options.postgresUrl && this.options.applicationName) {
      const url = new URL(this.options.postgresUrl);
      url.search = "";
      this.pgClient = new pg.Client({ connectionString: url.toString() });
      await this.pgClient.connect();
    }
    if (this.options.redisUrl) {
      this.redis = new Redis(this.options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await this.redis.connect();
    }
  }

  async sample(): Promise<ExternalSample> {
    const sample: ExternalSample = {};
    if (this.pgClient) {
      const { rows } = await this.pgClient.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
        [this.options.applicationName],
      );
      sample.postgres = new Map();
      for (const { pid } of rows) {
        const ms = procCpuMs(pid);
        if (ms !== undefined) sample.postgres.set(pid, ms);
      }
    }
    if (this.redis) {
      const info = await this.redis.info("cpu");
      const field = (name: string) => Number(info.match(new RegExp(`^${name}:([\\d.]+)`, "m"))?.[1] ?? 0);
      sample.redisMs = (field("used_cpu_sys") + field("used_cpu_user")) * 1000;
    }
    return sample;
  }

  /** CPU between two samples; a backend that appeared in between counts from zero. */
  static between(before: ExternalSample, after: ExternalSample): { postgresCpuMs?: number; redisCpuMs?: number } {
    const result: { postgresCpuMs?: number; redisCpuMs?: number } = {};
    if (after.postgres) {
      let total = 0;
      for (const [pid, ms] of after.postgres) total += ms - (before.postgres?.get(pid) ?? 0);
      result.postgresCpuMs = total;
    }
    if (after.redisMs !== undefined && before.redisMs !== undefined) result.redisCpuMs = after.redisMs - before.redisMs;
    return result;
  }

  async close(): Promise<void> {
    await this.pgClient?.end().catch(() => {});
    this.redis?.disconnect();
  }
}
