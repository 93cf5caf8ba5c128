// The per-operation context. A new object is built for every HTTP request and for every
// graphql-ws operation, so per-request caches (scope results, loaders, the permission handler)
// never outlive the operation that filled them.
import type { Config } from "./config.js";
import type { Database, Db } from "./db/client.js";
import { createLoaders, type Loaders } from "./db/loaders.js";
import type { User } from "./generated/sqlite/client.js";
import type { Logger } from "./logger.js";
import type { MemberAccessCache } from "./permissions/member-access-cache.js";
import { PermissionGate } from "./permissions/permission-gate.js";
import type { PermissionHandlerClass } from "./permissions/permission-handler.js";
import type { RateLimits } from "./rate-limits.js";
import type { RealtimeHub } from "./realtime/hub.js";

/** What the transport lets the schema do to the connection an operation came in on. */
export interface Transport {
  /** Closes the connection of a subscriber that fell too far behind (WebSocket: close code 4008). */
  disconnectSlowConsumer(): void;
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
  transport: Transport;
  /** The operation's logger: a child of the server's, bound to the request id (`reqId`). */
  log: Logger;
  /** The server's per-user rate limits (sendMessage, react, setTyping). */
  limits: RateLimits;
}

export interface ContextServices {
  database: Database;
  /** The server's memo of member access, shared by every request's handler. */
  memberAccess: MemberAccessCache;
  config: Readonly<Config>;
  Handler: PermissionHandlerClass;
  realtime: RealtimeHub;
  limits: RateLimits;
  /** The server's logger, used when no request logger is given. */
  log: Logger;
}

export function createContext(
  services: ContextServices,
  viewer: User | null,
  transport: Transport = NO_TRANSPORT,
  log: Logger = services.log,
): Context {
  const { database, config, Handler, realtime, limits } = services;
  const { db, hotPath } = database;
  const handler = new Handler({ db, hotPath, memberAccess: services.memberAccess });
  return {
    viewer,
    db,
    database,
    config,
    gate: new PermissionGate(handler, viewer, db),
    loaders: createLoaders(db),
    realtime,
    transport,
    log,
    limits,
  };
}

/** The authenticated viewer of a field whose scopes already required one. */
export function viewerOf(context: Context): User {
  if (!context.viewer) throw new Error("viewerOf() used on a field without the authenticated scope");
  return context.viewer;
}
