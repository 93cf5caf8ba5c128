// The Yoga instance: one GraphQL endpoint for HTTP queries and mutations, SSE subscriptions, and
// (through server/graphql-ws.ts) graphql-ws operations, which all share its plugins and masking.
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Context, Transport } from "../context.js";
import type { User } from "../generated/sqlite/client.js";
import { schema } from "../schema/index.js";

/** What Yoga's context factory receives beside its own fields. */
export interface ServerContext {
  /** Set for graphql-ws operations: the viewer authenticated at connect, and the socket's controls. */
  graphqlWs?: { viewer: User | null; transport: Transport };
}

export type ChatYoga = YogaServerInstance<ServerContext, Context>;

export interface YogaOptions {
  /** The context of an HTTP request (queries, mutations, SSE). */
  createContext(request: Request): Promise<Context>;
  /** The context of a graphql-ws operation. */
  createSocketContext(viewer: User | null, transport: Transport): Context;
}

export function createChatYoga(options: YogaOptions): ChatYoga {
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // `/health` answers 200 while the process is up; it touches nothing else.
    healthCheckEndpoint: "/health",
    // Errors without an extensions.code of ours are replaced by "Unexpected error." and logged.
    maskedErrors: true,
    landingPage: false,
    context: (initial) =>
      initial.graphqlWs
        ? options.createSocketContext(initial.graphqlWs.viewer, initial.graphqlWs.transport)
        : options.createContext(initial.request),
  });
}
