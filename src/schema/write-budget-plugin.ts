// A Pothos plugin that makes every mutation spend from its user's write budget (src/rate-limits.ts)
// before anything else runs, the permission check included: a refused call changes nothing, and
// calls the PermissionHandler refuses count too, so a client cannot flood it with them either.
// A mutation without a budget fails the schema build.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import type { Context } from "../context.js";
import { MUTATION_BUDGETS } from "../rate-limits.js";

export class WriteBudgetPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    if (fieldConfig.kind !== "Mutation") return resolver;
    const mutation = fieldConfig.name;
    if (!MUTATION_BUDGETS[mutation]) throw new Error(`Mutation.${mutation} has no write budget in src/rate-limits.ts`);
    return async (parent, args, context, info) => {
      const { viewer, limits } = context as Context;
      // Anonymous callers are refused by the authenticated scope next; they have no budget.
      if (viewer) await limits.spend(mutation, viewer.id, args as Record<string, unknown>);
      return resolver(parent, args, context, info);
    };
  }
}

/** The plugin's name, for the builder's `plugins` list. */
export const writeBudgetPlugin = "writeBudget";

SchemaBuilder.registerPlugin(writeBudgetPlugin, WriteBudgetPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      writeBudget: WriteBudgetPlugin<Types>;
    }
  }
}
