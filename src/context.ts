// The per-operation context. A new object is built for every HTTP request and for every
// graphql-ws operation, so per-request caches (scope results, loaders, the permission handler)
// never outlive the operation that filled them.
//
// The permission gate, the loaders and the request logger are built on first use: a graphql-ws
// subscription keeps its context as long as it streams, and most never need them again after
// subscribing (or at all, when its events are executed once for all subscribers). release()
// drops them once a subscription started, and after each event executed for it alone (else its
// loaders would keep every message it was sent); they are rebuilt when needed.
import { initContextCache } from "@pothos/core";
import type { Config } from "./config.js";
import type { Database, Db } from "./db/client.js";
import type { EventDispatcher } from "./events/event-dispatcher.js";
import { createLoaders, type Loaders } from "./db/loaders.js";
import type { User } from "./generated/sqlite/client.js";
import { newRequestId, type Logger } from "./logger.js";
import type { MemberAccessCache } from "./permissions/member-access-cache.js";
import { PermissionGate } from "./permissions/permission-gate.js";
import type { PermissionHandlerClass } from "./permissions/permission-handler.js";
import type { Presence } from "./presence/presence.js";
import { createPresenceLoaders, type PresenceLoaders } from "./presence/presence-loaders.js";
import type { RateLimits } from "./rate-limits.js";
import type { RealtimeHub } from "./realtime/hub.js";

/** What the transport lets the schema do to the connection an operation came in on. */
export interface Transport {
  /** Closes the connection of a subscriber that fell too far behind (WebSocket: close code 4509). */
  disconnectSlowConsumer(): void;
  /** graphql-ws only: writes a `next` frame of the operation `operationId` with a payload already
   * serialised, past graphql-ws's per-event loop (execution/direct-results.ts). False when the
   * socket is gone or was just cut off as a slow consumer. */
  sendNext?(operationId: string, payloadJson: string): boolean;
  /** HTTP only: when the request's credentials expire; a subscription streamed over SSE ends then
   * (a graphql-ws connection closes itself at that moment). */
  readonly credentialsExpireAt?: Date;
  /** HTTP only: a subscription streamed over this request (SSE) is one of the viewer's open
   * connections while it streams (presence). A graphql-ws connection counts as a whole instead. */
  readonly subscriptionsAreConnections?: boolean;
}

const NO_TRANSPORT: Transport = { disconnectSlowConsumer: () => {} };

export interface Context {
  /** The authenticated user, or null for an anonymous caller. */
  viewer: User | null;
  db: Db;
  /** The Prisma client with the hot path's prepared statements (sends). */
  database: Database;
  config: Readonly<Config>;
  /** The request's PermissionHandler, behind a per-request memo. */
  gate: PermissionGate;
  loaders: Loaders;
  /** Publishes events after a change commits; streams them to subscribers. */
  realtime: RealtimeHub;
  /** Hands committed changes to the server's ChatEventHandler (through src/realtime/publish.ts). */
  events: EventDispatcher;
  transport: Transport;
  /** The operation's logger: a child of the server's, bound to the request id (`reqId`). */
  log: Logger;
  /** The server's per-user write budgets; every mutation spends from one (src/rate-limits.ts). */
  limits: RateLimits;
  /** Who is online, on any instance (src/presence/). */
  presence: Presence;
  /** The operation's batched presence lookups (User.online, User.lastSeenAt). */
  presenceLoaders: PresenceLoaders;
}

export interface ContextServices {
  database: Database;
  /** The server's memo of member access, shared by every request's handler. */
  memberAccess: MemberAccessCache;
  config: Readonly<Config>;
  Handler: PermissionHandlerClass;
  realtime: RealtimeHub;
  events: EventDispatcher;
  limits: RateLimits;
  /** Who is online; connections register here. */
  presence: Presence;
  /** The server's logger, used when no request logger is given. */
  log: Logger;
}

class OperationContext implements Context {
  #gate: PermissionGate | undefined;
  #loaders: Loaders | undefined;
  #presenceLoaders: PresenceLoaders | undefined;
  #log: Logger | undefined;

  constructor(
    private readonly services: ContextServices,
    readonly viewer: User | null,
    readonly transport: Transport,
    log: Logger | undefined,
  ) {
    this.#log = log;
  }

  get db(): Db {
    return this.services.database.db;
  }

  get database(): Database {
    return this.services.database;
  }

  get config(): Readonly<Config> {
    return this.services.config;
  }

  get realtime(): RealtimeHub {
    return this.services.realtime;
  }

  get events(): EventDispatcher {
    return this.services.events;
  }

  get limits(): RateLimits {
    return this.services.limits;
  }

  get presence(): Presence {
    return this.services.presence;
  }

  get gate(): PermissionGate {
    if (!this.#gate) {
      const { Handler, database, memberAccess } = this.services;
      const { db, hotPath } = database;
      this.#gate = new PermissionGate(new Handler({ db, hotPath, memberAccess }), this.viewer, db);
    }
    return this.#gate;
  }

  get loaders(): Loaders {
    return (this.#loaders ??= createLoaders(this.services.database.db));
  }

  get presenceLoaders(): PresenceLoaders {
    return (this.#presenceLoaders ??= createPresenceLoaders(this.services.presence, this.services.database.db));
  }

  /** Without a request logger given: a child of the server's with a new request id. */
  get log(): Logger {
    return (this.#log ??= this.services.log.child({ reqId: newRequestId() }));
  }

  /** Forgets what the operation cached so far (permission answers, loaded rows). */
  release(): void {
    this.#gate = undefined;
    this.#loaders = undefined;
    this.#presenceLoaders = undefined;
  }
}

export function createContext(
  services: ContextServices,
  viewer: User | null,
  transport: Transport = NO_TRANSPORT,
  log?: Logger,
): Context {
  return new OperationContext(services, viewer, transport, log);
}

/** A context built by createContext (graphql-ws hands Yoga one ready-made). */
export function isContext(value: unknown): value is Context {
  return value instanceof OperationContext;
}

/** The context's fields as own properties: Yoga merges the HTTP context into its own object
 * property by property (Object.assign), which does not see getters. */
export function contextFields(context: Context): Context {
  const { viewer, db, database, config, gate, loaders, realtime, events, transport, log, limits, presence, presenceLoaders } = context;
  return { viewer, db, database, config, gate, loaders, realtime, events, transport, log, limits, presence, presenceLoaders };
}

/** Drops what a started subscription's context cached while it subscribed (see release()). */
export function releaseContext(context: unknown): void {
  if (context instanceof OperationContext) context.release();
}

/**
 * Forgets what the operation read so far: permission answers, loaded rows, and Pothos's per-context
 * caches (scope results among them). Called after a mutation's write, so that the fields of its
 * result are read, and authorised, on the state the write left.
 */
export function forgetReads(context: Context): void {
  context.gate.forget();
  context.loaders.clearAll();
  // Pothos keys its per-request caches by this property when present: a new one starts them afresh.
  Object.assign(context, initContextCache());
}

/** The authenticated viewer of a field whose scopes already required one. */
export function viewerOf(context: Context): User {
  if (!context.viewer) throw new Error("viewerOf() used on a field without the authenticated scope");
  return context.viewer;
}
