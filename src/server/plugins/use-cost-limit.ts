// The cost limit: an operation whose cost (src/execution/operation-cost.ts) is past the maximum
// is refused with BAD_USER_INPUT (`extensions.limit` "cost", `max`, `cost`) before any resolver
// or subscription starts. It runs when execution starts, not at validation like the other
// document limits, because only then are the variables known (a page size may be one). Queries,
// mutations and subscriptions alike, over HTTP, SSE and graphql-ws (which runs operations through
// yoga.getEnveloped, so these hooks apply there too).
import type { ExecutionArgs } from "graphql";
import type { Plugin } from "graphql-yoga";
import { ChatError } from "../../errors.js";
import { operationCost } from "../../execution/operation-cost.js";

/** The refusal of an operation past `max`, or null when it is within. */
export function costRefusal(args: ExecutionArgs, max: number): ChatError | null {
  const cost = operationCost(args);
  if (cost === null || cost <= max) return null;
  return new ChatError("BAD_USER_INPUT", `Operation cost ${cost} exceeds the limit of ${max}.`, { limit: "cost", max, cost });
}

/**
 * Placed after the plugins that count results (metrics, suggestion cutting), so they see the
 * refusal, and before any that replaces execute or subscribe.
 */
export function useCostLimit(max: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = costRefusal(args, max);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = costRefusal(args, max);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
}
