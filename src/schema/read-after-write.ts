// A mutation's result is read after its write. Whatever the operation cached before the write
// (permission answers, loaded rows, scope results) may describe the state before it: after
// leaveRoom or removeMember the viewer's role and capabilities have changed. So every root
// mutation field drops those caches once its resolver returns, before its selection resolves.
import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import { forgetReads, type Context } from "../context.js";

export function readResultsAfterWrites(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = async (source, args, context: Context, info) => {
      try {
        return await resolve(source, args, context, info);
      } finally {
        forgetReads(context);
      }
    };
  }
  return schema;
}
