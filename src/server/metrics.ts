// The Prometheus instruments of one server, in a registry of its own (not prom-client's global
// one), so several servers in one process keep separate counts. plugins/use-metrics.ts fills most
// of them from envelop's hooks and serves them at /metrics.
import { getOperationAST, type DocumentNode, type ExecutionArgs } from "graphql";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface ChatMetricsOptions {
  /** Also collect prom-client's process metrics (CPU, memory, event loop, GC). @default true */
  defaultMetrics?: boolean;
  /** Rooms with local subscribers, read at scrape time (RealtimeHub.watchedRooms). */
  watchedRooms?: () => number;
  /** Events waiting for the event handler, read at scrape time (EventDispatcher.queueLength). */
  eventQueueLength?: () => number;
}

export interface ChatMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"operation_type" | "outcome">;
  readonly errors: Counter<"code">;
  readonly duration: Histogram<"operation_type">;
  readonly openSubscriptions: Gauge<"subscription">;
  readonly deliveries: Counter<"subscription">;
  readonly executions: Counter<"mode">;
  /** Event handler calls by method and outcome (ok, error, timeout). */
  readonly eventHandlerCalls: Counter<"method" | "outcome">;
  /** Events the event handler never got: the queue was full, or the server stopped first. */
  readonly eventHandlerDropped: Counter<"method">;
}

export function createChatMetrics(options: ChatMetricsOptions = {}): ChatMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const { watchedRooms, eventQueueLength } = options;
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
  if (eventQueueLength) {
    new Gauge({
      name: "chat_event_handler_queue_length",
      help: "Events waiting for the event handler on this instance (EVENT_HANDLER_QUEUE_LIMIT at most).",
      registers,
      collect() {
        this.set(eventQueueLength());
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
    eventHandlerCalls: new Counter({
      name: "chat_event_handler_calls_total",
      help: "Event handler calls by method and outcome: ok, error (it threw), timeout (abandoned after EVENT_HANDLER_TIMEOUT_MS).",
      labelNames: ["method", "outcome"] as const,
      registers,
    }),
    eventHandlerDropped: new Counter({
      name: "chat_event_handler_dropped_total",
      help: "Events the event handler never got, by method: the queue was full, or the server stopped first.",
      labelNames: ["method"] as const,
      registers,
    }),
  };
}

interface OperationDescription {
  type: string;
  field: string;
}

const descriptions = new WeakMap<DocumentNode, Map<string, OperationDescription>>();

/** The operation's type and its first root field (for subscriptions: which stream); memoised per
 * document, since deliveries ask for every result. */
export function describeOperation(document: DocumentNode, operationName: string | null | undefined): OperationDescription {
  let byName = descriptions.get(document);
  if (!byName) descriptions.set(document, (byName = new Map()));
  let description = byName.get(operationName ?? "");
  if (!description) {
    const operation = getOperationAST(document, operationName);
    const first = operation?.selectionSet.selections[0];
    description = { type: operation?.operation ?? "unknown", field: first?.kind === "Field" ? first.name.value : "unknown" };
    byName.set(operationName ?? "", description);
  }
  return description;
}

/** Counts open subscription streams by root field. The subscribe function calls it as each stream
 * starts and ends (plugins/use-shared-execution.ts): an envelop plugin would need an end hook per
 * stream, which costs every idle subscription one more iterator layer. */
/** Counts results written to subscribers past envelop's hooks (execution/direct-results.ts), as
 * use-metrics.ts counts the others. */
export function deliveryCounter(metrics: ChatMetrics) {
  return (args: ExecutionArgs, count: number) =>
    metrics.deliveries.inc({ subscription: describeOperation(args.document, args.operationName).field }, count);
}

export function streamCounter(metrics: ChatMetrics) {
  const label = (args: ExecutionArgs) => ({ subscription: describeOperation(args.document, args.operationName).field });
  return {
    opened: (args: ExecutionArgs) => metrics.openSubscriptions.inc(label(args)),
    closed: (args: ExecutionArgs) => metrics.openSubscriptions.dec(label(args)),
  };
}
