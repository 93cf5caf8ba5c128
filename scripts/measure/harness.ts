// Shared by the measurement scripts: forks the server process, asks it questions over IPC, and
// speaks graphql-transport-ws over raw `ws` sockets (lighter than a full client per connection,
// so that 10,000 of them fit in the measuring process).
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { signToken } from "../../src/auth/authenticate.js";
import type { Request } from "./server-process.js";

export const SECRET = "measure-secret";

export interface ServerProcess {
  url: string;
  ask<T = unknown>(request: Request): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the server in a child process; `nodeArgs` adds flags such as --cpu-prof, `env` settings. */
export async function startServerProcess(nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  const script = fileURLToPath(new URL("./server-process.ts", import.meta.url));
  const child: ChildProcess = fork(script, [], {
    execArgv: ["--expose-gc", "--import", "tsx", ...nodeArgs],
    env: { ...process.env, ...env, MEASURE_SECRET: SECRET },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let next = 1;
  let ready!: (url: string) => void;
  const started = new Promise<string>((resolve) => (ready = resolve));
  child.on("message", (message: { id: number; value?: unknown; error?: string }) => {
    if (message.id === 0) return ready(message.value as string);
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.value);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ask = <T>(request: Request) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, request });
    });
  return {
    url: await started,
    ask,
    async stop() {
      await ask({ type: "stop" });
      await exited;
    },
  };
}

const tokens = new Map<string, Promise<string>>();
/** A token for `userId`, signed once. */
export function token(userId: string): Promise<string> {
  let signed = tokens.get(userId);
  if (!signed) tokens.set(userId, (signed = signToken(SECRET, { sub: userId })));
  return signed;
}

export interface RawConnection {
  socket: WebSocket;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
}

/** An acknowledged graphql-transport-ws connection; `onNext` sees every `next` payload. */
export function connect(url: string, authorization: string, onNext: (payload: any) => void = () => {}): Promise<RawConnection> {
  const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${authorization}` } })));
    socket.on("message", (data) => {
      const message = JSON.parse(String(data));
      if (message.type === "connection_ack") {
        resolve({
          socket,
          subscribe: (id, query, variables) => socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } })),
        });
      } else if (message.type === "next") onNext(message.payload);
      else if (message.type === "error") console.error("subscription error", JSON.stringify(message.payload));
    });
    socket.once("close", (code) => reject(new Error(`closed with ${code}`)));
  });
}

/** Polls `done` every 50 ms until it holds or `timeoutMs` passed. */
export async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}
