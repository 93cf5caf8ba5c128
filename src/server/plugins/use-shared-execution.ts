// Execute once, send many: every subscription goes through our subscribe function, which executes
// an event once for all subscribers whose operation (document, operation name, variables) is the
// same and selects only fields on the allow-list (schema/shared-fields.ts). Plugins after the
// subscribe call (masking, metrics) still see each subscriber's every result.
import type { GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";
import { EventSubscribe, type EventSubscribeOptions, type ExecutionMode } from "../../execution/event-subscribe.js";
import { ShareabilityAnalyser, type SharedFieldList } from "../../execution/shareable.js";
import type { SharedResults } from "../../execution/shared-results.js";

export interface SharedExecutionOptions {
  /** Concrete type → fields that resolve the same for every viewer allowed to receive an event. */
  sharedFields: SharedFieldList;
  /** Where shared results are recorded, so that a transport serialises each once. */
  results: SharedResults;
  /** A context without a viewer, made for each shared execution of an event. */
  createEventContext(): unknown;
  /** Called for every execution of an event (metrics). */
  onExecute?(mode: ExecutionMode): void;
  /** Told when each subscription stream starts and ends (metrics). */
  streams?: EventSubscribeOptions["streams"];
  /** Lets a subscriber's context forget what an event executed for it alone loaded. */
  afterEvent?: EventSubscribeOptions["afterEvent"];
  /** Counts frames written past envelop's result hooks (metrics). */
  delivered?: EventSubscribeOptions["delivered"];
}

export function useSharedExecution(options: SharedExecutionOptions): Plugin {
  const bySchema = new WeakMap<GraphQLSchema, EventSubscribe>();
  const subscribeFor = (schema: GraphQLSchema) => {
    let subscribe = bySchema.get(schema);
    if (!subscribe) {
      const analyser = new ShareabilityAnalyser(schema, options.sharedFields);
      bySchema.set(schema, (subscribe = new EventSubscribe({ ...options, analyser })));
    }
    return subscribe.subscribe;
  };
  return {
    onSubscribe({ args, setSubscribeFn }) {
      setSubscribeFn(subscribeFor(args.schema) as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}
