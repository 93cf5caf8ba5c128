// Prometheus metrics at `/metrics`, in a registry per server (not prom-client's global one), so
// several servers in one process keep separate counts. The envelop hooks below see every
// operation, HTTP and graphql-ws alike, before Yoga masks errors, so error codes are the real ones.
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface ChatMetricsOptions {
  /** Also collect prom-client's process metrics (CPU, memory, event loop, GC). @default true */
  defaultMetrics?: boolean;
  /** Rooms with local subscribers, read at scrape time (RealtimeHub.watchedRooms). */
  watchedRooms?: () => number;
}

export interface ChatMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"operation_type" | "outcome">;
  readonly errors: Counter<"code">;
  readonly duration: Histogram<"operation_type">;
  readonly openSubscriptions: Gauge<"subscription">;
  readonly deliveries: Counter<"subscription">;
  readonly executions: Counter<"mode">;
}

export function createChatMetrics(options: ChatMetricsOptions = {}): ChatMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const { watchedRooms } = options;
  if (watchedRooms) {
    new Gauge({
      name: "chat_realtime_watched_rooms",
      help: "Rooms with at least one subscriber on this instance.",
      registers,
      collect() {
        this.set(watchedRooms());
      },
    });
  }
  return {
    registry,
    requests: new Counter({
      name: "chat_graphql_requests_total",
      help: "GraphQL operations by type (query, mutation, subscription, unknown) and outcome (success, error).",
      labelNames: ["operation_type", "outcome"] as const,
      registers,
    }),
    errors: new Counter({
      name: "chat_graphql_errors_total",
      help: "GraphQL errors returned to clients, by extensions.code (INTERNAL_SERVER_ERROR: masked).",
      labelNames: ["code"] as const,
      registers,
    }),
    duration: new Histogram({
      name: "chat_graphql_request_duration_seconds",
      help: "Time to execute a query or mutation, or to start a subscription.",
      labelNames: ["operation_type"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    openSubscriptions: new Gauge({
      name: "chat_subscriptions_open",
      help: "Subscriptions currently streaming (graphql-ws and SSE), by root field.",
      labelNames: ["subscription"] as const,
      registers,
    }),
    deliveries: new Counter({
      name: "chat_subscription_events_delivered_total",
      help: "Results pushed to subscribers (one per event per subscription), by root field.",
      labelNames: ["subscription"] as const,
      registers,
    }),
    executions: new Counter({
      name: "chat_subscription_executions_total",
      help:
        "Executions of subscription events: shared (one per event for all subscribers with the same " +
        "operation and variables) or per_subscriber (the operation selects fields about the viewer).",
      labelNames: ["mode"] as const,
      registers,
    }),
  };
}

export interface MetricsPluginOptions {
  /** Path of the scrape endpoint (GET). @default "/metrics" */
  endpoint?: string;
}

/** The operation's type and its first root field (for subscriptions: which stream). */
function describe(document: DocumentNode, operationName: string | null | undefined) {
  const operation = getOperationAST(document, operationName);
  const first = operation?.selectionSet.selections[0];
  return {
    type: operation?.operation ?? "unknown",
    field: first?.kind === "Field" ? first.name.value : "unknown",
  };
}

/** An error's code as clients will see it: ours, Yoga's or graphql-js's; anything else is masked. */
function codeOf(error: GraphQLError): string {
  const code = error.extensions?.code;
  if (typeof code === "string") return code;
  const original = error.originalError;
  return original && !("extensions" in original) ? "INTERNAL_SERVER_ERROR" : "GRAPHQL_ERROR";
}

export function useMetrics(metrics: ChatMetrics, options: MetricsPluginOptions = {}): Plugin {
  const endpoint = options.endpoint ?? "/metrics";
  const countResult = (type: string, result: ExecutionResult) => {
    const errors = result.errors ?? [];
    for (const error of errors) metrics.errors.inc({ code: codeOf(error) });
    metrics.requests.inc({ operation_type: type, outcome: errors.length > 0 ? "error" : "success" });
  };
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint || request.method !== "GET") return;
      const body = await metrics.registry.metrics();
      endResponse(new fetchAPI.Response(body, { headers: { "content-type": metrics.registry.contentType } }));
    },
    onParse() {
      return ({ result }) => {
        // A document that does not parse never reaches execution.
        if (!(result instanceof Error)) return;
        const code = (result as Partial<GraphQLError>).extensions?.code;
        metrics.errors.inc({ code: typeof code === "string" ? code : "GRAPHQL_PARSE_FAILED" });
        metrics.requests.inc({ operation_type: "unknown", outcome: "error" });
      };
    },
    onValidate({ params }) {
      return ({ valid, result }) => {
        if (valid) return;
        const { type } = describe(params.documentAST, undefined);
        for (const error of result) {
          metrics.errors.inc({ code: error.extensions?.code ?? "GRAPHQL_VALIDATION_FAILED" });
        }
        metrics.requests.inc({ operation_type: type, outcome: "error" });
      };
    },
    onExecute({ args }) {
      const { type } = describe(args.document, args.operationName);
      const stopTimer = metrics.duration.startTimer({ operation_type: type });
      return {
        onExecuteDone({ result }) {
          stopTimer();
          if (isAsyncIterable(result)) metrics.requests.inc({ operation_type: type, outcome: "success" });
          else countResult(type, result);
        },
      };
    },
    onSubscribe({ args }) {
      const { field } = describe(args.document, args.operationName);
      const stopTimer = metrics.duration.startTimer({ operation_type: "subscription" });
      let open = false;
      const close = () => {
        if (!open) return;
        open = false;
        metrics.openSubscriptions.dec({ subscription: field });
      };
      return {
        onSubscribeResult({ result }) {
          stopTimer();
          if (!isAsyncIterable(result)) {
            // Refused before streaming (e.g. FORBIDDEN), or a single error result.
            countResult("subscription", result);
            return;
          }
          metrics.requests.inc({ operation_type: "subscription", outcome: "success" });
          open = true;
          metrics.openSubscriptions.inc({ subscription: field });
          return {
            onNext({ result: next }) {
              metrics.deliveries.inc({ subscription: field });
              for (const error of next.errors ?? []) metrics.errors.inc({ code: codeOf(error) });
            },
            onEnd: close,
          };
        },
        // The stream failed (e.g. a subscriber that fell too far behind): it is no longer open.
        onSubscribeError: close,
      };
    },
  };
}
