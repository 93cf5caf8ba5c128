// graphql-ws on the same port and path as HTTP. The token travels in the connection parameters
// and is checked once at connect; every operation then runs through Yoga's envelop (the same
// plugins, masking and context as HTTP). Sockets that fall behind are closed (SlowConsumer).
// The protocol is graphql-ws's (makeServer); ws-adapter.ts connects it to `ws` sockets.
import type { Server } from "node:http";
import { getOperationAST, type ExecutionArgs } from "graphql";
import { makeServer } from "graphql-ws";
import { WebSocketServer } from "ws";
import type { AuthenticateInput } from "../auth/authenticate.js";
import type { Context, Transport } from "../context.js";
import { ChatError } from "../errors.js";
import type { SharedResults } from "../execution/shared-results.js";
import type { User } from "../generated/sqlite/client.js";
import { runWithRequestLog, type Logger } from "../logger.js";
import { CloseCode } from "./close-codes.js";
import { SharedFrames } from "./shared-frames.js";
import { serveGraphqlWs, type WsConnection } from "./ws-adapter.js";
import type { ChatYoga } from "./yoga.js";

export interface GraphqlWsOptions {
  httpServer: Server;
  yoga: ChatYoga;
  /** The viewer for connection parameters (and when its token expires); throws or returns null to refuse. */
  authenticate(input: AuthenticateInput): Promise<{ viewer: User; expiresAt?: Date } | null>;
  /** Largest message a client may send, in bytes; ws closes the socket with 1009 past it. */
  maxPayload: number;
  /** Concurrent subscriptions one connection may hold; one more is refused with RATE_LIMITED. */
  maxSubscriptions: number;
  /** A socket with more unsent bytes than this is closed as a slow consumer. */
  maxBufferedBytes: number;
  /** Results executed once for many subscribers: their frames reuse one serialised payload. */
  sharedResults: SharedResults;
  /** Where errors of ws and graphql-ws are logged. */
  log: Logger;
}

/** Milliseconds between keep-alive pings (graphql-ws's default for ws). */
const KEEP_ALIVE_MS = 12_000;

interface ConnectionExtra {
  connection: WsConnection;
  viewer?: User;
  /** Ids of the subscriptions this connection started (may include ended ones until pruned). */
  subscriptionIds?: Set<string>;
}

/** The per-operation arguments we hand to graphql-ws, carrying Yoga's execute and subscribe. */
type EnvelopedArgs = ExecutionArgs & { rootValue: { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown } };

/** Runs an operation with its context's logger as the current request logger. */
const inLogScope = (args: ExecutionArgs, run: (args: EnvelopedArgs) => unknown) =>
  runWithRequestLog((args.contextValue as Context).log, () => run(args as EnvelopedArgs)) as never;

/** How long a shutting-down server waits for clients to answer its close frame. */
const CLOSE_HANDSHAKE_MS = 3_000;

export function startGraphqlWs(options: GraphqlWsOptions): { close(): Promise<void> } {
  const { yoga } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: yoga.graphqlEndpoint, maxPayload: options.maxPayload });
  const frames = new SharedFrames();

  const server = makeServer<Record<string, unknown> | undefined, ConnectionExtra>({
    onConnect: async (ctx) => {
      const { connection } = ctx.extra;
      try {
        const signedIn = await options.authenticate({ connectionParams: ctx.connectionParams ?? {} });
        if (signedIn) {
          ctx.extra.viewer = signedIn.viewer;
          // A connection lives no longer than its token: at expiry it closes with 4401, and the
          // client reconnects with a fresh token (and resumes with afterSeq).
          if (signedIn.expiresAt) connection.disconnectAt(signedIn.expiresAt, CloseCode.Unauthorized, "Token expired");
          return true;
        }
      } catch {
        // Refused below, like a missing token.
      }
      connection.close(CloseCode.Unauthorized, "Unauthorized");
      return false;
    },
    onSubscribe: async (ctx, id, payload) => {
      const { connection } = ctx.extra;
      const transport: Transport = {
        disconnectSlowConsumer: () => connection.disconnect(CloseCode.SlowConsumer, "Slow consumer: resume with afterSeq"),
      };
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        graphqlWs: { viewer: ctx.extra.viewer ?? null, transport },
        params: payload,
      });
      let document;
      try {
        document = parse(payload.query);
      } catch (error) {
        return [error as never];
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      if (getOperationAST(document, payload.operationName)?.operation === "subscription") {
        // graphql-ws drops an id from ctx.subscriptions however its operation ended (complete,
        // error, close), so pruning against it never leaks a slot.
        const active = (ctx.extra.subscriptionIds ??= new Set());
        for (const other of active) if (other === id || !(other in ctx.subscriptions)) active.delete(other);
        if (active.size >= options.maxSubscriptions) {
          const max = options.maxSubscriptions;
          const message = `At most ${max} subscriptions per connection.`;
          return [new ChatError("RATE_LIMITED", message, { limit: "subscriptions", max })];
        }
        active.add(id);
      }
      const args: EnvelopedArgs = {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      return args;
    },
    // In the operation's log scope, so Yoga's lines (masked errors) carry its request id.
    execute: (args) => inLogScope(args, (enveloped) => enveloped.rootValue.execute(args)),
    subscribe: (args) => inLogScope(args, (enveloped) => enveloped.rootValue.subscribe(args)),
    onNext: (ctx, _id, _payload, _args, result) => {
      const { connection } = ctx.extra;
      if (connection.bufferedAmount > options.maxBufferedBytes) {
        connection.disconnect(CloseCode.SlowConsumer, "Slow consumer: resume with afterSeq");
        return;
      }
      // A result executed once for many subscribers is serialised once, too.
      const json = options.sharedResults.jsonOf(result);
      return json === undefined ? undefined : frames.payload(json);
    },
  });
  const adapter = serveGraphqlWs(wss, server, {
    log: options.log,
    frames,
    keepAliveMs: KEEP_ALIVE_MS,
    extra: (connection) => ({ connection }),
  });

  return {
    async close() {
      const open = [...wss.clients];
      for (const client of open) client.close(CloseCode.GoingAway, "Server shutting down");
      // Wait for the close handshakes, so subscriptions have ended; cut off a client that does not answer.
      const cutOff = setTimeout(() => open.forEach((client) => client.terminate()), CLOSE_HANDSHAKE_MS);
      await Promise.all(
        open.map(
          (client) => client.readyState !== client.CLOSED && new Promise((done) => client.once("close", done)),
        ),
      );
      clearTimeout(cutOff);
      adapter.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The context Yoga builds for a graphql-ws operation (see server/yoga.ts). */
export interface GraphqlWsInitialContext {
  viewer: User | null;
  transport: Transport;
}

export type { Context };
