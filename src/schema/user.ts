import { builder } from "./builder.js";
import { UserRef } from "./refs.js";

UserRef.implement({
  description: "A person, as the identity provider names them.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The identity provider's id (the token's `sub`)." }),
    username: t.exposeString("username", { description: "The token's `name` claim, else the id." }),
    displayName: t.exposeString("displayName", { nullable: true, description: "A name to show, when known." }),
    isStaff: t.exposeBoolean("isStaff", { description: "Staff flag from the token's `staff` claim." }),
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
