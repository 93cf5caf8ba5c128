// The per-operation context. A new object is built for every HTTP request and for every
// graphql-ws operation, so per-request caches (scope results, the permission handler) never
// outlive the operation that filled them.
import type { Config } from "./config.js";
import type { Db } from "./db/client.js";
import type { User } from "./generated/sqlite/client.js";

export interface Context {
  /** The authenticated user, or null for an anonymous caller. */
  viewer: User | null;
  db: Db;
  config: Readonly<Config>;
}
