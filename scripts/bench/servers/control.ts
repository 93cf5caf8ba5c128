// The control side every server under test runs (project and baselines alike): it reports the
// process's own CPU time (getrusage: all threads, µs resolution), its heap after a forced GC,
// how many subscribers are live, optionally a CPU profile of the measured window, and stops.
// The process exits when the load generator that started it goes away, so none is left behind.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { serveRequests } from "../ipc.js";

export interface CountArgs {
  /** Rooms whose live subscribers to count. */
  rooms?: string[];
  /** Users whose live per-user subscriptions (connections) to count. */
  users?: string[];
}

export interface ControlOptions {
  url: string;
  /** Facts about the server to print with the results (database, pragmas). */
  info: Record<string, string>;
  count(args: CountArgs): number;
  /** Messages stored in these rooms (null: the server stores nothing). */
  stored(rooms: string[]): Promise<number | null> | number | null;
  stop(): Promise<void>;
}

export interface CpuSample {
  userUs: number;
  systemUs: number;
}

export interface HeapSample {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("the server process was started without --expose-gc");
  // Several rounds with turns of the event loop between them, so finalizers and weak
  // references released by one round are collected by the next.
  for (let round = 0; round < 4; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function startControl(options: ControlOptions): void {
  // Set by the load generator with --cpu-prof: a profile of the measured window only.
  const windowProfile = process.env.BENCH_WINDOW_PROFILE;
  let session: Session | null = null;
  serveRequests({
    cpu: (): CpuSample => {
      const { user, system } = process.cpuUsage();
      return { userUs: user, systemUs: system };
    },
    heap: async (): Promise<HeapSample> => {
      await collectGarbage();
      const { heapUsed, heapTotal, external, arrayBuffers, rss } = process.memoryUsage();
      return { heapUsed, heapTotal, external, arrayBuffers, rss };
    },
    count: (args: CountArgs) => options.count(args),
    stored: (rooms: string[]) => options.stored(rooms),
    "profile-start": async () => {
      if (!windowProfile || session) return false;
      session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
      return true;
    },
    "profile-stop": async () => {
      if (!windowProfile || !session) return null;
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      session = null;
      writeFileSync(windowProfile, JSON.stringify(profile));
      return windowProfile;
    },
    stop: async () => {
      await options.stop();
      // Let the answer leave before exiting (--cpu-prof writes its profile at exit).
      setTimeout(() => process.exit(0), 50);
      return true;
    },
  });
  process.on("disconnect", () => process.exit(1));
  process.send?.({ kind: "ready", url: options.url, info: options.info });
}
