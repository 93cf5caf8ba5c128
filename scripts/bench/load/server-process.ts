// Starts the server under test in its own process, pinned to core 0 (taskset), from the compiled
// bench folder with plain node, and talks to it over IPC (control.ts on the other side).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_KEYS, RATE_LIMIT_DEFAULTS } from "../../../src/config.js";
import { RequestClient } from "../ipc.js";
import type { CountArgs, CpuSample, HeapSample } from "../servers/control.js";
import type { RunSpec } from "../spec.js";

const ENTRIES = { project: "project.js", socketio: "socketio.js", graphql: "graphql-floor.js", ws: "bare-ws.js" } as const;

export class ServerProcess {
  readonly profiles: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    private readonly requests: RequestClient,
    readonly url: string,
    readonly info: Record<string, string>,
    readonly logFile: string,
    private readonly windowProfile: boolean,
  ) {}

  static async start(spec: RunSpec, name: string): Promise<ServerProcess> {
    const entry = join(spec.buildDir, "scripts", "bench", "servers", ENTRIES[spec.system]);
    // --expose-gc only makes global.gc() callable (scenario C forces a GC before reading the heap).
    const nodeArgs = ["--expose-gc"];
    // Configuration as for `npm start`: from the environment, nothing inherited from this shell's
    // chat settings, and a working directory without a chat.config.json.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of [...CONFIG_KEYS, "CHAT_CONFIG"]) delete env[key];
    Object.assign(env, {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: spec.dataDir,
      DATABASE_URL: spec.databaseUrl ?? `file:${join(spec.dataDir, "chat.db")}`,
      JWT_SECRET: spec.jwtSecret,
      LOG_LEVEL: "warn",
      // The bench measures the send path, not the per-user limits (their checks still run).
      ...Object.fromEntries(Object.keys(RATE_LIMIT_DEFAULTS).map((key) => [key, "1000000"])),
      // This run's counters alone, should other runs share the Redis.
      RATE_LIMIT_KEY_PREFIX: `bench:ratelimit:${process.pid}:${Date.now()}:`,
      BENCH_DATA_DIR: spec.dataDir,
    });
    if (spec.redisUrl) env.REDIS_URL = spec.redisUrl;
    const windowProfile = Boolean(spec.cpuProfDir && spec.system === "project");
    if (windowProfile) {
      nodeArgs.push("--cpu-prof", "--cpu-prof-dir", spec.cpuProfDir!, "--cpu-prof-name", `${name}.process.cpuprofile`);
      env.BENCH_WINDOW_PROFILE = join(spec.cpuProfDir!, `${name}.window.cpuprofile`);
    }
    const logFile = join(spec.dataDir, "server.log");
    const log = openSync(logFile, "a");
    const [command, args] = spec.pin
      ? ["taskset", ["-c", "0", process.execPath, ...nodeArgs, entry]]
      : [process.execPath, [...nodeArgs, entry]];
    const child = spawn(command, args, { cwd: spec.dataDir, env, stdio: ["ignore", log, log, "ipc"] });
    closeSync(log);
    const requests = new RequestClient(child);
    const ready = await new Promise<{ url: string; info: Record<string, string> }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the server did not start within 60 s")), 60_000);
      child.on("message", (message: any) => {
        if (message?.kind === "ready") {
          clearTimeout(timer);
          resolve(message);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before it was ready:\n${tail(logFile)}`));
      });
    });
    const server = new ServerProcess(child, requests, ready.url, ready.info, logFile, windowProfile);
    if (windowProfile) server.profiles.push(join(spec.cpuProfDir!, `${name}.process.cpuprofile`));
    return server;
  }

  cpu(): Promise<CpuSample> {
    return this.requests.call("cpu");
  }

  heap(): Promise<HeapSample> {
    return this.requests.call("heap");
  }

  count(args: CountArgs): Promise<number> {
    return this.requests.call("count", args);
  }

  stored(rooms: string[]): Promise<number | null> {
    return this.requests.call("stored", rooms);
  }

  async profileStart(): Promise<void> {
    if (this.windowProfile) await this.requests.call("profile-start");
  }

  async profileStop(): Promise<void> {
    if (!this.windowProfile) return;
    const path = await this.requests.call<string | null>("profile-stop");
    if (path) this.profiles.unshift(path);
  }

  /** Stops the server gracefully; kills it if it has not exited after 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.requests.call("stop", undefined, 15_000).catch(() => this.child.kill("SIGKILL"));
    await exited;
    clearTimeout(killer);
  }
}

/** How many lines the server wrote, and the first few (a warning during a run must be seen). */
export function readServerLog(file: string): { lines: number; head: string[] } {
  let text = "";
  try {
    text = readFileSync(file, "utf8").trimEnd();
  } catch {
    // No log.
  }
  const lines = text ? text.split("\n") : [];
  return { lines: lines.length, head: lines.slice(0, 3).map((line) => line.slice(0, 300)) };
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
