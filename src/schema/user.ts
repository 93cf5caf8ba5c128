import type { User } from "../generated/sqlite/client.js";
import { builder } from "./builder.js";

export const UserRef = builder.objectRef<User>("User").implement({
  description: "A person, as the identity provider names them.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The identity provider's id (the token's `sub`)." }),
    username: t.exposeString("username"),
    displayName: t.exposeString("displayName", { nullable: true }),
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
