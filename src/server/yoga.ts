// The Yoga instance: one GraphQL endpoint for HTTP queries and mutations and SSE subscriptions.
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Context } from "../context.js";
import { schema } from "../schema/index.js";

export interface ServerContext {
  req?: unknown;
}

export interface YogaOptions {
  /** Builds the per-operation context from the incoming request. */
  createContext(request: Request): Promise<Context>;
}

export function createChatYoga(options: YogaOptions): YogaServerInstance<ServerContext, Context> {
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // `/health` answers 200 while the process is up; it touches nothing else.
    healthCheckEndpoint: "/health",
    // Errors without an extensions.code of ours are replaced by "Unexpected error." and logged.
    maskedErrors: true,
    landingPage: false,
    context: ({ request }) => options.createContext(request),
  });
}
