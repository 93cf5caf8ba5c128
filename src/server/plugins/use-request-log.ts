// Request ids and request logs. Every HTTP request gets an id (the caller's `x-request-id` when it
// is sane, else a new one), echoed in the `x-request-id` response header; the whole handling runs
// with a child logger bound to it, so each log line of the request carries `reqId`.
import { performance } from "node:perf_hooks";
import type { Plugin } from "graphql-yoga";
import { currentRequestLog, requestIdFrom, runWithRequestLog, type Logger } from "../../logger.js";

export interface RequestLogOptions {
  /** Paths polled by probes and scrapers: logged at debug, not info.
   * @default ["/health", "/ready", "/metrics"] */
  quietPaths?: readonly string[];
}

export const REQUEST_ID_HEADER = "x-request-id";

export function useRequestLog(root: Logger, options: RequestLogOptions = {}): Plugin {
  const quiet = new Set(options.quietPaths ?? ["/health", "/ready", "/metrics"]);
  const started = new WeakMap<Logger, { id: string; at: number }>();
  return {
    instrumentation: {
      // Wraps the whole handling, onRequest to onResponse: everything inside sees the request's logger.
      request({ request }, wrapped) {
        const id = requestIdFrom(request.headers.get(REQUEST_ID_HEADER));
        const log = root.child({ reqId: id });
        started.set(log, { id, at: performance.now() });
        return runWithRequestLog(log, wrapped);
      },
    },
    onResponse({ request, response }) {
      const log = currentRequestLog();
      const start = log && started.get(log);
      if (!log || !start) return;
      response.headers.set(REQUEST_ID_HEADER, start.id);
      const { pathname } = new URL(request.url, "http://localhost");
      const fields = {
        method: request.method,
        path: pathname,
        status: response.status,
        ms: Math.round((performance.now() - start.at) * 10) / 10,
      };
      // For SSE this is when the stream opened, not when it ended.
      if (quiet.has(pathname)) log.debug(fields, "request handled");
      else log.info(fields, "request handled");
    },
  };
}
