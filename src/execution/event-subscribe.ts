// The subscribe function of every subscription: graphql-js's source event stream, each event
// executed against the operation. When the operation is shareable (shareable.ts), the execution
// of an event is memoised by (event object, document, operation name, variables): the hub hands
// the same event object to every local subscriber it lets the event through to, so the first
// subscriber to pull the event executes it and the others receive the same result object. Each
// subscriber still pulls only from its own stream, in order; the memo never pushes anything.
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from "graphql";
import { EventQueue } from "../realtime/event-queue.js";
import { DirectResults, directTarget, type DirectDelivery } from "./direct-results.js";
import { EventGroups } from "./event-groups.js";
import type { ShareabilityAnalyser } from "./shareable.js";
import type { SharedResults } from "./shared-results.js";

export type ExecutionMode = "shared" | "per_subscriber";

export interface EventSubscribeOptions {
  analyser: ShareabilityAnalyser;
  results: SharedResults;
  /** The context of a shared execution: nothing about any viewer, so a field that needs one fails
   * instead of showing one subscriber's view to the others. */
  createEventContext(): unknown;
  /** Called for every execution of an event. */
  onExecute?(mode: ExecutionMode): void;
  /** Told when each stream starts and (once) when it ends, however it ends (metrics). */
  streams?: { opened(args: ExecutionArgs): void; closed(args: ExecutionArgs): void };
  /** Called with a subscriber's context once an event executed for it alone has settled, so that
   * what the event loaded (rows primed into loaders, permission answers) does not pile up for as
   * long as the subscription runs. */
  afterEvent?(contextValue: unknown): void;
  /** Called with the frames written past the transport's per-event loop for one event and key
   * (direct-results.ts). */
  delivered?(args: ExecutionArgs, count: number): void;
}

type Execution = ExecutionResult | Promise<ExecutionResult>;

/** Runs the operation for each event of one subscriber's source stream. */
class EventResults implements AsyncIterableIterator<ExecutionResult> {
  private ended = false;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    /** The sharing key, or null to execute for this subscriber alone. */
    private readonly key: string | null,
    private readonly owner: EventSubscribe,
  ) {
    owner.streams?.opened(args);
  }

  // Not an async method: an idle subscription waits here, and a pending promise with one
  // reaction costs less memory than a suspended async function.
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then(
      (step) => (step.done ? this.end(step) : this.executeStep(step.value)),
      (error: unknown) => {
        this.end(null);
        throw error;
      },
    );
  }

  private end<T>(value: T): T {
    if (!this.ended) this.owner.streams?.closed(this.args);
    this.ended = true;
    return value;
  }

  private async executeStep(event: unknown): Promise<IteratorResult<ExecutionResult>> {
    try {
      return { value: await this.owner.execute(this.args, event, this.key), done: false };
    } catch (error) {
      await this.return();
      throw error;
    }
  }

  /** Ends the source stream: the hub stops delivering to this subscriber. */
  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.end(null);
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class EventSubscribe implements DirectDelivery {
  private readonly memo = new WeakMap<object, Map<string, Execution>>();
  private readonly documentIds = new WeakMap<DocumentNode, number>();
  private nextDocumentId = 1;
  /** Keys of operations without variables (viewerEvents): one string for all their subscribers. */
  private readonly plainKeys = new WeakMap<DocumentNode, Map<string, string>>();

  private readonly groups: EventGroups;

  constructor(private readonly options: EventSubscribeOptions) {
    this.groups = new EventGroups({
      execute: (args, event, key) => this.execute(args, event, key),
      delivered: options.delivered,
    });
  }

  join(subscriber: DirectResults, event: unknown, ticket: number): void {
    this.groups.join(subscriber, event, ticket);
  }

  get streams(): EventSubscribeOptions["streams"] {
    return this.options.streams;
  }

  /** graphql-js's subscribe, with shared executions where the operation allows them. */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    // Refused at subscribe time (scopes, a missing room): a single result with the errors.
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const key = this.keyOf(args);
    // A shareable operation over a transport that writes frames itself (graphql-ws): each event
    // goes from the hub's queue straight to the socket.
    if (key !== null && iterator instanceof EventQueue && directTarget(args)) {
      return new DirectResults(iterator, args, key, this);
    }
    return new EventResults(iterator, args, key, this);
  };

  /** The JSON of a result for a `next` frame: shared ones are serialised once. */
  jsonOf(result: ExecutionResult): string {
    return this.options.results.jsonOf(result) ?? JSON.stringify(result);
  }

  opened(args: ExecutionArgs): void {
    this.options.streams?.opened(args);
  }

  closed(args: ExecutionArgs): void {
    this.options.streams?.closed(args);
  }

  /** One event for one subscriber: from the memo when shared, else executed for it alone. */
  execute(args: ExecutionArgs, event: unknown, key: string | null): Execution {
    if (key === null || typeof event !== "object" || event === null) {
      this.options.onExecute?.("per_subscriber");
      const result = execute({ ...args, rootValue: event });
      const { afterEvent } = this.options;
      if (!afterEvent) return result;
      if (result instanceof Promise) return result.finally(() => afterEvent(args.contextValue));
      afterEvent(args.contextValue);
      return result;
    }
    let executions = this.memo.get(event);
    if (!executions) this.memo.set(event, (executions = new Map()));
    let execution = executions.get(key);
    if (!execution) {
      this.options.onExecute?.("shared");
      execution = this.executeShared(args, event);
      executions.set(key, execution);
    }
    return execution;
  }

  private async executeShared(args: ExecutionArgs, event: object): Promise<ExecutionResult> {
    const result = await execute({ ...args, rootValue: event, contextValue: this.options.createEventContext() });
    this.options.results.add(result);
    return result;
  }

  /** Subscribers with equal keys receive equal results for the same event object. Documents count
   * by identity: Yoga's parser cache hands every operation with the same text the same document. */
  private keyOf(args: ExecutionArgs): string | null {
    const { document, operationName, variableValues } = args;
    if (!this.options.analyser.isShareable(document, operationName)) return null;
    let id = this.documentIds.get(document);
    if (id === undefined) this.documentIds.set(document, (id = this.nextDocumentId++));
    const variables = JSON.stringify(variableValues ?? {});
    if (variables !== "{}") return `${id}\n${operationName ?? ""}\n${variables}`;
    let byOperation = this.plainKeys.get(document);
    if (!byOperation) this.plainKeys.set(document, (byOperation = new Map()));
    let key = byOperation.get(operationName ?? "");
    if (key === undefined) byOperation.set(operationName ?? "", (key = `${id}\n${operationName ?? ""}\n{}`));
    return key;
  }
}
