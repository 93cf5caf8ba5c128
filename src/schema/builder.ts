// The schema builder: plugins, their order and options. Schema files define types on it; this
// file defines none.
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type { Context } from "../context.js";
import { ForbiddenError, UnauthenticatedError } from "../errors.js";

export interface AuthScopes {
  /** A verified user is making the request. */
  authenticated: boolean;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Subscriptions are checked once, before the first event (the realtime layer re-checks
    // membership per event without the database).
    authorizeOnSubscribe: true,
    authScopes: async (context) => ({
      authenticated: context.viewer !== null,
    }),
    unauthorizedError: (_parent, context, _info, result) =>
      context.viewer ? new ForbiddenError(result.message) : new UnauthenticatedError(),
  },
});

builder.queryType({ description: "Reads. Every field but `viewer` needs an authenticated user." });
