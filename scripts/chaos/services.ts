// Throwaway Redis and PostgreSQL for `npm run chaos`: started on free loopback ports in the run's
// temporary folder, stopped and restarted by the script, removed at the end. The chaos script
// never touches a Redis or PostgreSQL it did not start (other people's, on 6379 and 5432).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import pg from "pg";

/** A TCP port nothing listens on now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, attempt: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s: ${(error as Error).message}`);
      await sleep(100);
    }
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A redis-server of our own: no persistence, loopback only. */
export class ThrowawayRedis {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir: string): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(await freePort(), dir);
    await redis.up();
    return redis;
  }

  async up(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir];
    this.child = spawn("redis-server", args, { stdio: "ignore" });
    const child = this.child;
    await waitFor(
      `redis-server on port ${this.port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on("error", () => {}); // connect() rejects with it
        try {
          await client.connect();
          await client.ping();
        } finally {
          client.disconnect();
        }
      },
      10_000,
    );
  }

  /** Stops it as an operator would (SIGTERM; nothing to save). */
  async down(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child) return;
    child.kill("SIGTERM");
    await exited(child);
  }

  /** For clean-up: kills it without waiting. */
  kill(): void {
    this.child?.kill("SIGKILL");
    this.child = null;
  }
}

/** The newest PostgreSQL server binaries installed the Debian way, or null. */
function postgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : null;
}

/** initdb refuses to run as root: as root, the cluster belongs to the `postgres` user (runuser). */
function runAs(): { user: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  if (!Number.isInteger(uid) || uid === 0) throw new Error("running as root needs a `postgres` user to own the throwaway cluster");
  return { user: "postgres", uid, gid: id("-g") };
}

/** A PostgreSQL cluster of our own (initdb, pg_ctl): trust auth, socket in the run's folder. */
export class ThrowawayPostgres {
  private constructor(
    readonly port: number,
    private readonly bin: string,
    private readonly dataDir: string,
    private readonly socketDir: string,
    private readonly logFile: string,
    private readonly owner: ReturnType<typeof runAs>,
  ) {}

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(dir: string): Promise<ThrowawayPostgres> {
    const bin = postgresBin();
    if (!bin) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (initdb, pg_ctl)");
    const owner = runAs();
    const base = join(dir, "postgres");
    const socketDir = join(base, "socket");
    mkdirSync(socketDir, { recursive: true });
    if (owner) for (const path of [dir, base, socketDir]) chownSync(path, owner.uid, owner.gid);
    const postgres = new ThrowawayPostgres(await freePort(), bin, join(base, "data"), socketDir, join(base, "server.log"), owner);
    postgres.run("initdb", ["-D", postgres.dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    await postgres.up();
    return postgres;
  }

  private run(tool: string, args: string[]): void {
    const command = join(this.bin, tool);
    const [file, argv] = this.owner ? ["runuser", ["-u", this.owner.user, "--", command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`);
  }

  async up(): Promise<void> {
    // fsync off: the data is thrown away, and the machine does not crash during the run.
    const options = `-p ${this.port} -k ${this.socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
    this.run("pg_ctl", ["-D", this.dataDir, "-o", options, "-l", this.logFile, "-w", "-t", "30", "start"]);
    await waitFor(
      `PostgreSQL on port ${this.port}`,
      async () => {
        const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
        try {
          await client.connect();
          await client.query("SELECT 1");
        } finally {
          await client.end().catch(() => {});
        }
      },
      60_000,
    );
  }

  /** Stops it as an operator would: `pg_ctl stop -m fast` (open sessions are ended). */
  async down(): Promise<void> {
    this.run("pg_ctl", ["-D", this.dataDir, "-m", "fast", "-w", "-t", "30", "stop"]);
  }

  /** For clean-up: stops it at once, whatever its state. */
  kill(): void {
    try {
      this.run("pg_ctl", ["-D", this.dataDir, "-m", "immediate", "-w", "-t", "10", "stop"]);
    } catch {
      // Not running.
    }
  }
}
