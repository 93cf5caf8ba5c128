// `/ready`: 200 while this instance can serve (its database answers and, with REDIS_URL, Redis
// does), else 503 naming the dependency that failed. Details of a failure go to the log, not to
// the caller. (Not Yoga's useReadinessCheck: it runs a URLPattern match on every request, a
// measurable share of a request's CPU; the parsed path compared as a string is enough.)
import type { Plugin } from "graphql-yoga";
import { currentRequestLog, type Logger } from "../../logger.js";

/** A dependency check: resolves when the dependency is usable, throws (or rejects) when not. */
export type DependencyCheck = () => Promise<unknown>;

export interface ReadinessOptions {
  /** The checks by dependency name, e.g. `{ database, redis }`. */
  checks: Record<string, DependencyCheck>;
  /** Where failures are logged outside a request. */
  log: Logger;
  /** How long one check may take before it counts as failed, in milliseconds. @default 2000 */
  timeoutMs?: number;
  /** Answers 503 `{"status":"stopping"}` once true (set during shutdown). */
  isStopping?: () => boolean;
  /** @default "/ready" */
  endpoint?: string;
}

function withTimeout(check: DependencyCheck, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve().then(check), timeout]).finally(() => clearTimeout(timer));
}

export function useReadiness(options: ReadinessOptions): Plugin {
  const { checks, timeoutMs = 2_000, endpoint = "/ready" } = options;
  // Probes poll every few seconds: log when the answer changes, not on every probe.
  let lastFailed = "";
  const check = async (fetchAPI: { Response: typeof Response }): Promise<Response> => {
    const json = (status: number, body: unknown) =>
      new fetchAPI.Response(JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      });
    if (options.isStopping?.()) return json(503, { status: "stopping" });
    const names = Object.keys(checks);
    const results = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!, timeoutMs)));
    const failed: Record<string, string> = {};
    const log = currentRequestLog() ?? options.log;
    results.forEach((result, i) => {
      if (result.status === "fulfilled") return;
      const name = names[i]!;
      failed[name] = "unavailable";
      if (lastFailed.includes(`"${name}"`)) return;
      log.warn({ err: result.reason, dependency: name }, `not ready: ${name} failed`);
    });
    const summary = JSON.stringify(failed);
    if (lastFailed && summary === "{}") log.info("ready again");
    lastFailed = summary === "{}" ? "" : summary;
    if (lastFailed) return json(503, { status: "unavailable", failed });
    return json(200, { status: "ready" });
  };
  return {
    onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      return check(fetchAPI).then(endResponse);
    },
  };
}
