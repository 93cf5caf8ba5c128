import { builder } from "./builder.js";
import { UserRef } from "./refs.js";

UserRef.implement({
  description: "A person, as the identity provider names them.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The identity provider's id (the token's `sub`)." }),
    username: t.exposeString("username", { description: "The token's `name` claim, else the id." }),
    displayName: t.exposeString("displayName", { nullable: true, description: "A name to show, when known." }),
    isStaff: t.exposeBoolean("isStaff", { description: "Staff flag from the token's `staff` claim." }),
    online: t.boolean({
      description:
        "Connected now (graphql-ws, or a subscription over SSE) on any instance, or within PRESENCE_GRACE_MS of their last " +
        "connection closing. False for a viewer the PermissionHandler's canSeePresence refuses (default: the user " +
        "themself and anyone who shares a room with them).",
      authScopes: (user) => ({ canSeePresence: user.id }),
      unauthorizedResolver: () => false,
      resolve: (user, _args, context) => context.presenceLoaders.online.load(user.id),
    }),
    lastSeenAt: t.field({
      type: "DateTime",
      nullable: true,
      description:
        "When the user was last connected: now while online, else when their last connection closed; null if never " +
        "seen, and for a viewer canSeePresence refuses.",
      authScopes: (user) => ({ canSeePresence: user.id }),
      unauthorizedResolver: () => null,
      resolve: (user, _args, context) => context.presenceLoaders.lastSeenAt(user.id),
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: UserRef,
    nullable: true,
    description: "The authenticated user; null for an anonymous request.",
    resolve: (_root, _args, context) => context.viewer,
  }),
);
