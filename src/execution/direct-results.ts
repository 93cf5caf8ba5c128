// Delivery past graphql-ws's per-event loop, for shareable subscriptions over graphql-ws. Without
// it, each event travelled up a chain of promises for every subscriber (the queue, the subscribe
// function, envelop's result hooks, graphql-ws's loop and onNext); with AsyncLocalStorage's
// promise hooks on Node 20 that chain cost more than the socket write itself. Here the hub's
// push is taken as it happens (EventQueue.consume), the subscribers of one event and sharing key
// wait together for the one execution (event-groups.ts), and each gets its `next` frame written
// straight to its socket, with the JSON serialised once.
//
// graphql-ws still owns the operation: it pulls this iterator, which yields nothing until the
// stream ends (then graphql-ws sends "complete"), and return() ends it when the client completes
// or the connection closes. A result with errors is not written here: it is handed to graphql-ws
// as a normal result, so Yoga masks it and metrics count its errors; what comes after waits until
// graphql-ws asked for the next one, keeping the order.
import type { ExecutionArgs, ExecutionResult } from "graphql";
import type { Transport } from "../context.js";
import type { EventQueue, QueueConsumer } from "../realtime/event-queue.js";

/** What a direct stream needs from the subscribe function (EventSubscribe). */
export interface DirectDelivery {
  /** Delivers `event` to `subscriber` through its result(…, ticket): together with the other
   * subscribers of the same event and key. */
  join(subscriber: DirectResults, event: unknown, ticket: number): void;
  /** The result's JSON, serialised once per shared result. */
  jsonOf(result: ExecutionResult): string;
  /** The stream started and (once) ended (metrics). */
  opened(args: ExecutionArgs): void;
  closed(args: ExecutionArgs): void;
}

/** The graphql-ws operation id, set on the operation's arguments (server/graphql-ws-hooks.ts). */
export interface OperationArgs {
  operationId?: string;
}

/** A transport that writes frames itself, and the operation they belong to. */
export function directTarget(args: ExecutionArgs): boolean {
  const transport = (args.contextValue as { transport?: Transport } | undefined)?.transport;
  return typeof (args as OperationArgs).operationId === "string" && typeof transport?.sendNext === "function";
}

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

/** What only a stream whose results had errors, or that is ending, needs: made when first needed. */
interface Uncommon {
  /** A result with errors for graphql-ws, before it asked for it. */
  handed: ExecutionResult | null;
  /** Results that came while a handed one waits for graphql-ws (paused). */
  backlog: ExecutionResult[];
  /** Results that came back before an earlier event's, by ticket, until that one comes. */
  early: Map<number, ExecutionResult>;
  paused: boolean;
  /** The queue ended: end once nothing is pending or paused (with this failure, if any). */
  endWhenDone: { error: unknown } | null;
  /** The failure to report to graphql-ws's next(). */
  failure: unknown;
}

// Thousands of these sit idle (one per subscription): few fields, no closures, no per-stream arrays.
export class DirectResults implements AsyncIterableIterator<ExecutionResult>, QueueConsumer<unknown> {
  /** Events joined whose result has not come back yet. */
  private pending = 0;
  /** The ticket of the next event joined, and of the next result to write: results are written
   * in the order their events were pushed. A shared execution can settle out of that order: a
   * resumed subscriber's replayed messages are its own events, executed after the live ones it
   * shares with subscribers of the same operation that were there before it. */
  private nextTicket = 0;
  private nextToWrite = 0;
  /** graphql-ws's pending next(), as its two settle functions (no object around them). */
  private resolveNext: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  private rejectNext: ((error: unknown) => void) | null = null;
  private ended = false;
  private uncommon: Uncommon | null = null;

  constructor(
    private readonly queue: EventQueue<unknown>,
    readonly args: ExecutionArgs,
    /** The operation's sharing key. */
    readonly key: string,
    private readonly delivery: DirectDelivery,
  ) {
    delivery.opened(args);
    queue.consume(this);
  }

  private get state(): Uncommon {
    return (this.uncommon ??= { handed: null, backlog: [], early: new Map(), paused: false, endWhenDone: null, failure: null });
  }

  /** The hub pushed an event (QueueConsumer). */
  item(event: unknown): void {
    if (this.ended) return;
    this.pending += 1;
    this.delivery.join(this, event, this.nextTicket++);
  }

  /** The queue ended (QueueConsumer): after the results still pending or waiting. */
  end(error: unknown): void {
    this.state.endWhenDone = { error };
    this.finishWhenDone();
  }

  private finishWhenDone(): void {
    const state = this.uncommon;
    if (state?.endWhenDone && this.pending === 0 && !state.paused) this.finish(state.endWhenDone.error);
  }

  /** The result of the event joined with `ticket`; returns how many frames went out now (0 while
   * an earlier event's result is still awaited, more when this one was the awaited one). */
  result(ticket: number, result: ExecutionResult): number {
    this.pending -= 1;
    if (ticket !== this.nextToWrite) {
      this.state.early.set(ticket, result);
      return 0;
    }
    let written = 0;
    let next: ExecutionResult | undefined = result;
    while (next) {
      this.nextToWrite += 1;
      if (this.accept(next)) written += 1;
      next = this.uncommon?.early.get(this.nextToWrite);
      if (next) this.uncommon!.early.delete(this.nextToWrite);
    }
    this.finishWhenDone();
    return written;
  }

  /** The execution of an event failed: the stream fails, as graphql-ws's loop would. */
  failed(error: unknown): void {
    this.pending -= 1;
    this.finish(error ?? new Error("event execution failed"));
  }

  private accept(result: ExecutionResult): boolean {
    if (this.ended) return false;
    if (this.uncommon?.paused) {
      this.uncommon.backlog.push(result);
      return false;
    }
    if (result.errors?.length) {
      this.handOver(result);
      return false;
    }
    const transport = (this.args.contextValue as { transport: Required<Transport> }).transport;
    return transport.sendNext((this.args as OperationArgs).operationId!, this.delivery.jsonOf(result));
  }

  /** Gives graphql-ws a result through next(); what follows waits until it asks again. */
  private handOver(result: ExecutionResult): void {
    const state = this.state;
    state.paused = true;
    const resolve = this.resolveNext;
    this.resolveNext = this.rejectNext = null;
    if (resolve) resolve({ value: result, done: false });
    else state.handed = result;
  }

  /** graphql-ws sent the handed result: go on with what waited meanwhile. */
  private unpause(): void {
    const state = this.uncommon;
    if (!state?.paused) return;
    state.paused = false;
    const backlog = state.backlog;
    state.backlog = [];
    for (let i = 0; i < backlog.length; i++) {
      this.accept(backlog[i]!);
      if (state.paused) {
        // Paused again: the rest waits for the next round.
        state.backlog = backlog.slice(i + 1).concat(state.backlog);
        return;
      }
    }
    this.finishWhenDone();
  }

  private finish(error: unknown): void {
    if (this.ended) return;
    this.stop();
    if (error) this.state.failure = error;
    const resolve = this.resolveNext;
    const reject = this.rejectNext;
    this.resolveNext = this.rejectNext = null;
    if (resolve && reject) this.settle(resolve, reject);
  }

  private settle(resolve: (result: IteratorResult<ExecutionResult>) => void, reject: (error: unknown) => void): void {
    const failure = this.uncommon?.failure;
    if (this.uncommon) this.uncommon.failure = null;
    if (failure) reject(failure);
    else resolve(DONE);
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.uncommon) {
      this.uncommon.backlog = [];
      this.uncommon.early.clear();
    }
    this.delivery.closed(this.args);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const handed = this.uncommon?.handed;
    if (handed) {
      this.uncommon!.handed = null;
      return Promise.resolve({ value: handed, done: false });
    }
    this.unpause();
    return new Promise((resolve, reject) => {
      if (this.ended) this.settle(resolve, reject);
      else {
        this.resolveNext = resolve;
        this.rejectNext = reject;
      }
    });
  }

  /** The client completed, or the connection closed: the hub stops delivering. */
  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.stop();
    await this.queue.return();
    const resolve = this.resolveNext;
    this.resolveNext = this.rejectNext = null;
    resolve?.(DONE);
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
