// Request/response over a Node IPC channel: the load generator asks the server process under
// test for its CPU time, heap, subscriber counts, and to stop. Only at the edges of a measured
// window, so the channel costs the server nothing while it is measured.
import type { ChildProcess } from "node:child_process";

interface Request {
  kind: "request";
  id: number;
  op: string;
  args?: unknown;
}

interface Response {
  kind: "response";
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export type Handlers = Record<string, (args: any) => unknown>;

/** Answers requests arriving on this process's IPC channel. */
export function serveRequests(handlers: Handlers): void {
  process.on("message", (message: unknown) => {
    const request = message as Request;
    if (request?.kind !== "request") return;
    const answer = (response: Omit<Response, "kind" | "id">) => process.send?.({ kind: "response", id: request.id, ...response });
    const handler = handlers[request.op];
    if (!handler) {
      answer({ ok: false, error: `unknown op ${request.op}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request.args))
      .then(
        (result) => answer({ ok: true, result }),
        (error: unknown) => answer({ ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
}

/** Sends requests to a child process and resolves with its answers. */
export class RequestClient {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(private readonly child: ChildProcess) {
    child.on("message", (message: unknown) => {
      const response = message as Response;
      if (response?.kind !== "response") return;
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (response.ok) waiter.resolve(response.result);
      else waiter.reject(new Error(response.error));
    });
    child.on("exit", () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error("server process exited"));
      this.pending.clear();
    });
  }

  call<T>(op: string, args?: unknown, timeoutMs = 60_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`server did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ kind: "request", id, op, args } satisfies Request);
    });
  }
}
