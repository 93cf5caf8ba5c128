// The per-operation context. A new object is built for every HTTP request and for every
// graphql-ws operation, so per-request caches (scope results, loaders, the permission handler)
// never outlive the operation that filled them.
import type { Config } from "./config.js";
import type { Db } from "./db/client.js";
import { createLoaders, type Loaders } from "./db/loaders.js";
import type { User } from "./generated/sqlite/client.js";
import { PermissionGate } from "./permissions/permission-gate.js";
import type { PermissionHandlerClass } from "./permissions/permission-handler.js";

export interface Context {
  /** The authenticated user, or null for an anonymous caller. */
  viewer: User | null;
  db: Db;
  config: Readonly<Config>;
  /** The request's PermissionHandler, behind a per-request memo. */
  gate: PermissionGate;
  loaders: Loaders;
}

export interface ContextServices {
  db: Db;
  config: Readonly<Config>;
  Handler: PermissionHandlerClass;
}

export function createContext(services: ContextServices, viewer: User | null): Context {
  const { db, config, Handler } = services;
  const handler = new Handler({ db });
  return { viewer, db, config, gate: new PermissionGate(handler, viewer, db), loaders: createLoaders(db) };
}

/** The authenticated viewer of a field whose scopes already required one. */
export function viewerOf(context: Context): User {
  if (!context.viewer) throw new Error("viewerOf() used on a field without the authenticated scope");
  return context.viewer;
}
