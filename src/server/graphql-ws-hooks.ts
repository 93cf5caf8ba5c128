// What our graphql-ws server does at each step of the protocol: authenticate at connect, run
// every operation through Yoga's envelop (the same plugins, masking and context as HTTP) in its
// request-log scope, limit subscriptions per connection, and watch every result on its way out.
import { getOperationAST, type ExecutionArgs, type GraphQLError } from "graphql";
import type { ServerOptions } from "graphql-ws";
import type { AuthenticateInput } from "../auth/authenticate.js";
import type { Context, Transport } from "../context.js";
import { ChatError, SignInUnavailableError } from "../errors.js";
import type { OperationArgs } from "../execution/direct-results.js";
import type { SharedResults } from "../execution/shared-results.js";
import type { User } from "../generated/sqlite/client.js";
import { runInRequestScope, type Logger } from "../logger.js";
import type { Presence } from "../presence/presence.js";
import { CloseCode } from "./close-codes.js";
import type { SharedFrames } from "./shared-frames.js";
import type { WsConnection } from "./ws-adapter.js";
import type { ChatYoga } from "./yoga.js";

export interface GraphqlWsHookOptions {
  yoga: ChatYoga;
  /** The viewer for connection parameters (and when its token expires); throws or returns null to refuse. */
  authenticate(input: AuthenticateInput): Promise<{ viewer: User; expiresAt?: Date } | null>;
  /** A new context for one operation of `viewer` on a connection. */
  createContext(viewer: User | null, transport: Transport): Context;
  /** Concurrent subscriptions one connection may hold; one more is refused with RATE_LIMITED. */
  maxSubscriptions: number;
  /** A socket with more unsent bytes than this is closed as a slow consumer. */
  maxBufferedBytes: number;
  sharedResults: SharedResults;
  frames: SharedFrames;
  /** An authenticated connection counts as one of its user's connections until it closes. */
  presence: Presence;
  /** Where a sign-in that failed on the server's side is logged. */
  log: Logger;
}

/** Closes the connection of a client that fell behind with 4509. Its operations end now and
 * nothing more is queued; the close frame follows what is already on its way, so a client that
 * reads again learns why (ws waits 30 s for the close handshake before it cuts the socket). */
export function disconnectSlowConsumer(connection: WsConnection): void {
  connection.disconnect(CloseCode.SlowConsumer, "Slow consumer: resume with afterSeq");
}

/** graphql-ws's ctx.extra: one per connection, also the transport of its operations' contexts. */
export class ConnectionState implements Transport {
  viewer: User | null = null;
  /** Ids of the subscriptions this connection started (may include ended ones until pruned);
   * one id as a plain string, the common case. */
  subscriptionIds: string | readonly string[] | null = null;
  /** The user this connection counts for in presence; null until it is authenticated, and once
   * it has been unregistered. */
  presenceUser: string | null = null;
  /** Set when the socket closed (sign-in may still have been under way). */
  closed = false;

  constructor(
    readonly connection: WsConnection,
    /** A socket with more unsent bytes than this is closed as a slow consumer. */
    readonly maxBufferedBytes: number,
  ) {}

  disconnectSlowConsumer(): void {
    disconnectSlowConsumer(this.connection);
  }

  sendNext(operationId: string, payloadJson: string): boolean {
    // What the onNext hook below checks before each of graphql-ws's frames.
    if (this.connection.bufferedAmount > this.maxBufferedBytes) {
      this.disconnectSlowConsumer();
      return false;
    }
    // graphql-ws's own frame, field for field: {"id":…,"type":"next","payload":…}.
    return this.connection.sendFrame(`{"id":${JSON.stringify(operationId)},"type":"next","payload":${payloadJson}}`);
  }
}

type Params = Record<string, unknown> | undefined;

/** The arguments we hand graphql-ws for an operation, carrying Yoga's execute and subscribe. */
type EnvelopedArgs = ExecutionArgs & OperationArgs & {
  contextValue: Context;
  rootValue: { execute(args: ExecutionArgs): unknown; subscribe(args: ExecutionArgs): unknown };
};

/** Runs an operation in its request-log scope, so Yoga's lines (masked errors) carry its id. The
 * context is the scope: its logger is only made if something is logged. */
const inLogScope = (args: ExecutionArgs, run: (args: EnvelopedArgs) => unknown) => {
  const enveloped = args as EnvelopedArgs;
  return runInRequestScope(enveloped.contextValue, () => run(enveloped)) as never;
};

/** True (and the slot taken) when the connection may start one more subscription `id`. */
function takeSubscriptionSlot(state: ConnectionState, id: string, open: Record<string, unknown>, max: number): boolean {
  // graphql-ws drops an id from ctx.subscriptions however its operation ended (complete, error,
  // close), so pruning against it never leaks a slot.
  const known = state.subscriptionIds;
  const active = (typeof known === "string" ? [known] : (known ?? [])).filter((other) => other !== id && other in open);
  if (active.length >= max) return false;
  // concat: an exactly sized array (push would reserve room for 16 more ids on every connection).
  state.subscriptionIds = active.length === 0 ? id : active.concat(id);
  return true;
}

export function graphqlWsHooks(options: GraphqlWsHookOptions): ServerOptions<Params, ConnectionState> {
  const { yoga, frames } = options;
  // Envelop's execute and subscribe are the same functions for every operation: then one object
  // carries them for all (each subscription keeps its arguments as long as it streams).
  let enveloped: EnvelopedArgs["rootValue"] | null = null;
  return {
    onConnect: async (ctx) => {
      const state = ctx.extra;
      try {
        const signedIn = await options.authenticate({ connectionParams: ctx.connectionParams ?? {} });
        if (signedIn) {
          state.viewer = signedIn.viewer;
          // The token is checked; nothing needs it again for the connection's lifetime.
          (ctx as { connectionParams?: unknown }).connectionParams = undefined;
          // A connection lives no longer than its token: at expiry it closes with 4401, and the
          // client reconnects with a fresh token (and resumes with afterSeq).
          if (signedIn.expiresAt) state.connection.disconnectAt(signedIn.expiresAt, CloseCode.Unauthorized, "Token expired");
          // Closed while signing in: onClose ran already, so there is nothing to register.
          if (!state.closed && options.presence.connect(signedIn.viewer.id)) state.presenceUser = signedIn.viewer.id;
          return true;
        }
      } catch (error) {
        if (error instanceof SignInUnavailableError) {
          options.log.warn({ err: error.cause }, "WebSocket sign-in unavailable; closed with 1013");
          state.connection.close(CloseCode.TryAgainLater, "Try again later");
          return false;
        }
        // Otherwise refused below, like a missing token.
      }
      state.connection.close(CloseCode.Unauthorized, "Unauthorized");
      return false;
    },
    onSubscribe: async (ctx, id, payload) => {
      const state = ctx.extra;
      // Yoga starts from our context (instead of merging one into its own object), which keeps
      // the context's lazy members lazy.
      const context = options.createContext(state.viewer, state);
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(context);
      let document;
      try {
        document = parse(payload.query);
      } catch (error) {
        return [error as GraphQLError];
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      // graphql-ws keeps the subscribe message as long as the operation runs. Yoga's parser cache
      // hands every operation with this text the same document, made from the first such text:
      // point the message at that string, so idle subscriptions do not each hold a copy.
      // (Strings compare by content; the assignment keeps the cached one.)
      const source = document.loc?.source.body;
      if (source === payload.query) (payload as { query: string }).query = source;
      const isSubscription = getOperationAST(document, payload.operationName)?.operation === "subscription";
      if (isSubscription && !takeSubscriptionSlot(state, id, ctx.subscriptions, options.maxSubscriptions)) {
        const max = options.maxSubscriptions;
        return [new ChatError("RATE_LIMITED", `At most ${max} subscriptions per connection.`, { limit: "subscriptions", max })];
      }
      const args: EnvelopedArgs = {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: (await contextFactory()) as Context,
        // For frames written past graphql-ws (direct delivery): an argument field, not an object per operation.
        operationId: id,
        rootValue:
          enveloped?.execute === execute && enveloped.subscribe === subscribe ? enveloped : (enveloped = { execute, subscribe }),
      };
      return args;
    },
    onClose: (ctx) => {
      const state = ctx.extra;
      state.closed = true;
      if (state.presenceUser !== null) options.presence.disconnect(state.presenceUser);
      state.presenceUser = null;
    },
    execute: (args) => inLogScope(args, (enveloped) => enveloped.rootValue.execute(args)),
    subscribe: (args) => inLogScope(args, (enveloped) => enveloped.rootValue.subscribe(args)),
    onNext: (ctx, _id, _payload, _args, result) => {
      const { connection } = ctx.extra;
      if (connection.bufferedAmount > ctx.extra.maxBufferedBytes) {
        disconnectSlowConsumer(connection);
        return;
      }
      // A result executed once for many subscribers is serialised once, too.
      const json = options.sharedResults.jsonOf(result);
      return json === undefined ? undefined : frames.payload(json);
    },
  };
}
