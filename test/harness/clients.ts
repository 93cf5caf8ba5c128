// Real clients: graphql-ws over a WebSocket to the listening server, and graphql-sse over HTTP.
// Each subscription collects what arrives so a test can wait for the n-th event.
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { createClient as createSseClient, type Client as SseClient } from "graphql-sse";
import WebSocket from "ws";
import type { TestServer } from "./server.js";

export interface Collected<T = any> {
  results: Array<{ data?: T; errors?: Array<{ message: string; extensions?: Record<string, any> }> }>;
  /** Set when the server completed the subscription. */
  completed: boolean;
  error: unknown;
  /** Resolves once `count` results arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Collected<T>["results"]>;
  /** Resolves once the server completed the subscription. */
  waitForComplete(timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

type Subscribe = (payload: { query: string; variables?: Record<string, unknown>; operationName?: string }, sink: {
  next: (value: any) => void;
  error: (error: unknown) => void;
  complete: () => void;
}) => () => void;

/** A presence change, as roomEvents and viewerEvents deliver it (recognised by `kind` or `__typename`). */
const isPresenceChange = (value: any) =>
  Object.values((value?.data ?? {}) as Record<string, any>).some(
    (event) => event?.kind === "PRESENCE_CHANGED" || event?.__typename === "PresenceChangedEvent",
  );

function collect(subscribe: Subscribe, query: string, variables?: Record<string, unknown>, operationName?: string): Collected {
  // Other members' clients connect around any test (each client here is a connection): a
  // subscription that selects nothing of PresenceChangedEvent is not about presence, and its
  // results leave those events out, so a test counts the events it is about. (The harness's long
  // PRESENCE_GRACE_MS keeps departures out of tests that do not set their own.)
  const keepPresence = query.includes("PresenceChangedEvent");
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  const collected: Collected = {
    results: [],
    completed: false,
    error: undefined,
    waitFor(count, timeoutMs = 10_000) {
      return until(() => collected.results.length >= count, timeoutMs, `${count} results (got ${collected.results.length})`).then(
        () => collected.results,
      );
    },
    waitForComplete(timeoutMs = 10_000) {
      return until(() => collected.completed, timeoutMs, "completion");
    },
    unsubscribe: () => {},
  };
  const until = (done: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(collected.results)}`)), timeoutMs);
      check();
    });
  collected.unsubscribe = subscribe({ query, variables, ...(operationName && { operationName }) }, {
    next: (value) => {
      if (!keepPresence && isPresenceChange(value)) return;
      collected.results.push(value);
      notify();
    },
    error: (error) => {
      collected.error = error;
      collected.completed = true;
      notify();
    },
    complete: () => {
      collected.completed = true;
      notify();
    },
  });
  return collected;
}

export interface WsConnection {
  client: WsClient;
  subscribe(query: string, variables?: Record<string, unknown>, operationName?: string): Collected;
  /** The close event of the socket, once it closed. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** A graphql-ws client for `userId` (null: no token). */
export async function connectWs(server: TestServer, userId: string | null, token?: string): Promise<WsConnection> {
  let closed!: (event: { code: number; reason: string }) => void;
  const closedPromise = new Promise<{ code: number; reason: string }>((resolve) => (closed = resolve));
  const authorization = token ?? (userId ? await server.token(userId) : undefined);
  const client = createWsClient({
    url: server.url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { Authorization: `Bearer ${authorization}` } : {},
    retryAttempts: 0,
    lazy: false,
    // The close is what tests assert on (through `closed`), not something to print.
    onNonLazyError: () => {},
    on: { closed: (event) => closed({ code: (event as CloseEvent).code, reason: (event as CloseEvent).reason }) },
  });
  return {
    client,
    subscribe: (query, variables, operationName) =>
      collect((payload, sink) => client.subscribe(payload, sink), query, variables, operationName),
    closed: closedPromise,
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** A graphql-sse client for `userId` (distinct connections mode, one request per subscription). */
export async function connectSse(
  server: TestServer,
  userId: string,
  token?: string,
): Promise<{ client: SseClient; subscribe: WsConnection["subscribe"] }> {
  token ??= await server.token(userId);
  const client = createSseClient({ url: server.url, headers: { Authorization: `Bearer ${token}` }, retryAttempts: 0 });
  return {
    client,
    subscribe: (query, variables, operationName) =>
      collect((payload, sink) => client.subscribe(payload, sink), query, variables, operationName),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `done` holds (it may ask the server: a query, a count); throws naming `what` after `timeoutMs`. */
export async function poll(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until the server has `count` local subscribers in the room. */
export function waitForListeners(server: TestServer, roomId: string, count: number, timeoutMs = 10_000): Promise<void> {
  return poll(() => server.server.realtime.listenerCount(roomId) >= count, `${count} subscribers of ${roomId}`, timeoutMs);
}

/** Waits until `userId` has a viewerEvents subscription on the server. */
export function waitForViewer(server: TestServer, userId: string, timeoutMs = 10_000): Promise<void> {
  return poll(() => server.server.realtime.userListenerCount(userId) > 0, `viewerEvents of ${userId}`, timeoutMs);
}
