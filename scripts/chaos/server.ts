// One instance of the chat server for `npm run chaos`: the compiled src/main.ts (what `npm start`
// runs) with plain node, on a port that stays the same across restarts so clients reconnect to it.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, createWriteStream, openSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CONFIG_KEYS, RATE_LIMIT_DEFAULTS } from "../../src/config.js";
import { tail } from "../bench/load/server-process.js";

export interface InstanceOptions {
  name: string;
  buildDir: string;
  dataDir: string;
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  jwtSecret: string;
}

export class ServerInstance {
  private child: ChildProcess | null = null;
  readonly logFile: string;
  restarts = 0;
  /** Exits nobody asked for (a crash), as "code" or "signal". */
  readonly crashes: string[] = [];
  private stopping = false;

  constructor(readonly options: InstanceOptions) {
    this.logFile = join(options.dataDir, `${options.name}.log`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}/graphql`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    const { buildDir, dataDir, port, databaseUrl, redisUrl, jwtSecret } = this.options;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of [...CONFIG_KEYS, "CHAT_CONFIG"]) delete env[key];
    Object.assign(env, {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: "info",
      // The run measures delivery under faults, not the per-user write budgets (its setup
      // creates many rooms as one user).
      ...Object.fromEntries(Object.keys(RATE_LIMIT_DEFAULTS).map((key) => [key, "1000000"])),
      // No notification rows: less database work per send on a shared machine.
      ENABLE_NOTIFICATIONS: "false",
    });
    if (redisUrl) env.REDIS_URL = redisUrl;
    const log = openSync(this.logFile, "a");
    const child = spawn(process.execPath, [join(buildDir, "src", "main.js")], { cwd: dataDir, env, stdio: ["ignore", "pipe", log] });
    closeSync(log);
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.options.name} did not start within 60 s:\n${tail(this.logFile)}`)), 60_000);
      let seen = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes("listening on")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.options.name} exited (${code ?? signal}) before it listened:\n${seen}\n${tail(this.logFile)}`));
      });
    });
    // Its log lines (JSON on stdout) go to the log file too.
    child.stdout!.pipe(createWriteStream(this.logFile, { flags: "a" }));
    child.once("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      if (!this.stopping) this.crashes.push(String(code ?? signal));
    });
  }

  /** Stops the process with `signal` and waits for it to exit; returns how long that took (ms). */
  async stop(signal: "SIGTERM" | "SIGKILL"): Promise<number> {
    const child = this.child;
    if (!child) return 0;
    const started = Date.now();
    this.stopping = true;
    const exited = new Promise<void>((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
    );
    child.kill(signal);
    // Shutdown has a 10 s budget; past 20 s something is wrong, and the run must go on.
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(killer);
    this.child = null;
    this.stopping = false;
    return Date.now() - started;
  }

  async restart(signal: "SIGTERM" | "SIGKILL"): Promise<number> {
    const took = await this.stop(signal);
    await this.start();
    this.restarts += 1;
    return took;
  }

  /** The status /ready answers now, or 0 when nothing answers. */
  async ready(): Promise<number> {
    try {
      const response = await fetch(this.url.replace(/\/graphql$/, "/ready"), { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  kill(): void {
    this.stopping = true;
    this.child?.kill("SIGKILL");
    this.child = null;
  }
}

/** Polls `probe` until it answers `status`; the ms it took, or null past `timeoutMs`. */
export async function waitForStatus(probe: () => Promise<number>, status: number, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await probe()) === status) return Date.now() - started;
    await sleep(200);
  }
  return null;
}
