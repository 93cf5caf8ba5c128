// Structured JSON logs (pino). Each HTTP request (and graphql-ws operation) runs in a request scope
// holding a child logger bound to its request id, so every line written while handling it,
// including Yoga's own lines such as masked errors, names the request.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import type { YogaLogger } from "graphql-yoga";
import { pino } from "pino";

export type Logger = pino.Logger;
export type LogDestination = pino.DestinationStream;

export interface LoggerOptions {
  /** Least severe level written (fatal, error, warn, info, debug, trace, silent). @default "info" */
  level?: string;
  /** Where the JSON lines go. @default stdout */
  destination?: LogDestination;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level ?? "info",
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** What a pino destination offers for ending it (sonic-boom, pino's default, has both). */
interface EndableOutput {
  end?(): void;
  destroy?(): void;
  once?(event: "close", listener: () => void): unknown;
}

/** Ends the logger's output before the process exits, waiting at most `withinMs` for the lines it
 * still holds to be written. pino would write them synchronously at exit, and on a pipe that
 * nobody reads anymore (whoever started the process is gone) that write blocks for ever: those
 * lines are dropped instead. */
export async function endLogOutput(log: Logger, withinMs: number): Promise<void> {
  const output = (log as unknown as Record<symbol, EndableOutput | undefined>)[pino.symbols.streamSym];
  if (typeof output?.end !== "function" || typeof output.destroy !== "function") return;
  const closed = new Promise<void>((resolve) => output.once?.("close", resolve));
  output.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)))]);
  clearTimeout(timer);
  // Destroyed, the output is skipped by pino's flush at exit.
  output.destroy();
}

/** Printable ASCII without spaces, quotes or separators that could forge a log field or header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._~:@+/=-]{1,128}$/;

/** The caller's `x-request-id` when it is a sane token of at most 128 characters, else a new UUID. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** A fresh request id (graphql-ws operations, which carry no header). */
export function newRequestId(): string {
  return randomUUID();
}

/** What a request scope holds: its logger, which may be made on first use (a getter). */
export interface RequestScope {
  readonly log: Logger;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` with `log` as the logger of the current request. */
export function runWithRequestLog<T>(log: Logger, fn: () => T): T {
  return scopes.run({ log }, fn);
}

/** Runs `fn` in `scope`, whose `log` is read only when something is logged. */
export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** The logger of the request being handled, if any. */
export function currentRequestLog(): Logger | undefined {
  return scopes.getStore()?.log;
}

type YogaLevel = keyof YogaLogger;

/** Yoga's logger interface over pino, writing through the current request's logger when there is one. */
export function yogaLogger(root: Logger): YogaLogger {
  const write =
    (level: YogaLevel) =>
    (...args: unknown[]): void => {
      const log = currentRequestLog() ?? root;
      if (!log.isLevelEnabled(level)) return;
      const [first, ...rest] = args;
      if (first instanceof Error) {
        // Yoga logs the original of every error it masks: keep its stack and the field path.
        const original = first instanceof GraphQLError && first.originalError ? first.originalError : first;
        const path = first instanceof GraphQLError ? first.path?.join(".") : undefined;
        const message = rest.length > 0 ? rest.map(String).join(" ") : `unexpected error: ${first.message}`;
        log[level]({ err: original, path }, message);
        return;
      }
      log[level](args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
