// Serves the server's metrics (../metrics.ts) at `/metrics`, and counts operations, errors and
// deliveries from envelop's hooks, which see every operation, HTTP and graphql-ws alike, before
// Yoga masks errors, so error codes are the real ones. Open subscriptions are counted by the
// subscribe function (streamCounter).
import { performance } from "node:perf_hooks";
import type { ExecutionArgs, ExecutionResult, GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { describeOperation as describe, type ChatMetrics } from "../metrics.js";

export interface MetricsPluginOptions {
  /** Path of the scrape endpoint (GET). @default "/metrics" */
  endpoint?: string;
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
  // Hooks shared by all subscriptions: envelop keeps what onSubscribe returns for as long as the
  // subscription streams, so per-subscription closures would cost every idle subscriber memory.
  const subscribeStarts = new WeakMap<object, number>();
  const streamHooks = {
    onNext({ args, result }: { args: ExecutionArgs; result: ExecutionResult }) {
      metrics.deliveries.inc({ subscription: describe(args.document, args.operationName).field });
      for (const error of result.errors ?? []) metrics.errors.inc({ code: codeOf(error) });
    },
  };
  const subscribeHooks = {
    onSubscribeResult({ args, result }: { args: ExecutionArgs; result: ExecutionResult | AsyncIterable<ExecutionResult> }) {
      const started = subscribeStarts.get(args);
      subscribeStarts.delete(args);
      if (started !== undefined) {
        metrics.duration.observe({ operation_type: "subscription" }, (performance.now() - started) / 1000);
      }
      if (!isAsyncIterable(result)) {
        // Refused before streaming (e.g. FORBIDDEN), or a single error result.
        countResult("subscription", result);
        return;
      }
      metrics.requests.inc({ operation_type: "subscription", outcome: "success" });
      return streamHooks;
    },
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
      subscribeStarts.set(args, performance.now());
      return subscribeHooks;
    },
  };
}
