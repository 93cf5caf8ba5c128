// The Yoga instance: one GraphQL endpoint for HTTP queries and mutations, SSE subscriptions, and
// (through server/graphql-ws.ts) graphql-ws operations, which all share its plugins and masking.
import type { ServerResponse } from "node:http";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Config } from "../config.js";
import { contextFields, isContext, releaseContext, type Context } from "../context.js";
import { yogaLogger, type Logger } from "../logger.js";
import { schema } from "../schema/index.js";
import { abuseLimitOptions, useAbuseLimits } from "./plugins/use-abuse-limits.js";
import { useCostLimit } from "./plugins/use-cost-limit.js";
import { useBodyLimit } from "./plugins/use-body-limit.js";
import { useCredentialExpiry } from "./plugins/use-credential-expiry.js";
import { useDemo, type DemoOptions } from "./plugins/use-demo.js";
import { graphiqlOptions, renderOfflineGraphiQL, useGraphiQLAssets } from "./plugins/use-graphiql-offline.js";
import { deliveryCounter, streamCounter, type ChatMetrics } from "./metrics.js";
import { useMetrics } from "./plugins/use-metrics.js";
import { useLeanSubscriptions } from "./plugins/use-lean-subscriptions.js";
import { useReadiness, type ReadinessOptions } from "./plugins/use-readiness.js";
import { useRequestLog } from "./plugins/use-request-log.js";
import { useSharedExecution } from "./plugins/use-shared-execution.js";
import type { SharedResults } from "../execution/shared-results.js";
import { SHARED_FIELDS } from "../schema/shared-fields.js";

/** graphql-ws operations start from a ready context (server/graphql-ws-hooks.ts); HTTP from none. */
export type ServerContext = Partial<Context>;

export type ChatYoga = YogaServerInstance<ServerContext, Context>;

export interface YogaOptions {
  /** The server's configuration (limits, NODE_ENV). */
  config: Readonly<Config>;
  /** The context of an HTTP request (queries, mutations, SSE), with Node's response when served by Node. */
  createContext(request: Request, response: ServerResponse | undefined): Promise<Context>;
  /** A context without a viewer, for executing a subscription event once for many subscribers. */
  createEventContext(): Context;
  /** Results executed once for many subscribers; graphql-ws serialises each once. */
  sharedResults: SharedResults;
  /** The /demo page; its token endpoint works only with the generated development secret. */
  demo?: DemoOptions;
  /** The server's logger: request logs and Yoga's own lines. */
  log: Logger;
  /** What `/ready` checks. */
  readiness: ReadinessOptions;
  /** The instruments served at `/metrics`. */
  metrics: ChatMetrics;
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
    // Yoga's lines (masked errors among them) as JSON, with the request id of the request at hand.
    logging: yogaLogger(options.log),
    // GET /graphql from a browser shows GraphiQL, its assets served from here (no CDN).
    graphiql: graphiqlOptions,
    renderGraphiQL: renderOfflineGraphiQL,
    // Replaced by useBodyLimit below, which counts only bodies without a Content-Length.
    maxRequestBodySize: false,
    plugins: [
      // First: token, depth, alias and directive limits refuse a document before anything runs.
      useAbuseLimits(abuseLimitOptions(options.config)),
      // Chat operations are small: refuse larger bodies with 413, by Content-Length or while streaming.
      useBodyLimit(options.config.MAX_REQUEST_BYTES),
      // Static routes next, answered without GraphQL: GraphiQL's bundled assets and the /demo page.
      useGraphiQLAssets(),
      useDemo(options.demo),
      // Request id (x-request-id) and a request-bound child logger around every HTTP request.
      useRequestLog(options.log),
      // GET /ready: 200 when the database (and Redis, if configured) answer, else 503.
      useReadiness(options.readiness),
      // GET /metrics, and the operation, error and subscription counts behind it.
      useMetrics(options.metrics),
      // Once a subscription started, its context forgets what subscribing cached (memory per stream).
      useLeanSubscriptions(),
      // Operations past the cost limit (with their variables) are refused before anything runs;
      // after the metrics, which count the refusal, and before anything replaces execute/subscribe.
      useCostLimit(options.config.GRAPHQL_MAX_COST),
      // An SSE subscription ends when its request's token expires.
      useCredentialExpiry(),
      // Last, so that no plugin replaces its subscribe function: events of subscribers with the same
      // viewer-free operation are executed once (masking and metrics still see every result).
      useSharedExecution({
        sharedFields: SHARED_FIELDS,
        results: options.sharedResults,
        createEventContext: options.createEventContext,
        onExecute: (mode) => options.metrics.executions.inc({ mode }),
        streams: streamCounter(options.metrics),
        delivered: deliveryCounter(options.metrics),
        // A subscription's loaders would otherwise keep every message it was ever sent.
        afterEvent: releaseContext,
      }),
    ],
    // A graphql-ws operation's context is ready made (and lazy); an HTTP request's is built here,
    // as own properties, since Yoga copies them into its own object.
    context: async (initial) =>
      isContext(initial)
        ? initial
        : contextFields(await options.createContext(initial.request, (initial as { res?: ServerResponse }).res)),
  });
}
