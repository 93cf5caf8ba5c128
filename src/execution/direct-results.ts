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
  /** Delivers `event` to `subscriber` through its result(): together with the other subscribers of
   * the same event and key, in event order per key. */
  join(subscriber: DirectResults, event: unknown): void;
  /** The result's JSON, serialised once per shared result. */
  jsonOf(result: ExecutionResult): string;
  /** The stream started and (once) ended (metrics). */
  opened(args: ExecutionArgs): void;
  closed(args: ExecutionArgs): void;
}

type Waiter = { resolve(result: IteratorResult<ExecutionResult>): void; reject(error: unknown): void };

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

export class DirectResults implements AsyncIterableIterator<ExecutionResult>, QueueConsumer<unknown> {
  /** Events joined whose result has not come back yet. */
  private pending = 0;
  /** The queue ended while results were pending: end after them (with this failure, if any). */
  private endWhenDone: { error: unknown } | null = null;
  /** graphql-ws's pending next(). */
  private waiter: Waiter | null = null;
  /** A result with errors for graphql-ws, before it asked for it. */
  private handed: ExecutionResult | null = null;
  /** Results that came while a handed one waits for graphql-ws (paused). */
  private backlog: ExecutionResult[] | null = null;
  private paused = false;
  private ended = false;
  private failure: unknown = null;

  constructor(
    private readonly queue: EventQueue<unknown>,
    readonly args: ExecutionArgs,
    /** The operation's sharing key. */
    readonly key: string,
    private readonly transport: Required<Pick<Transport, "sendNext">>,
    private readonly delivery: DirectDelivery,
  ) {
    delivery.opened(args);
    queue.consume(this);
  }

  /** The hub pushed an event (QueueConsumer). */
  item(event: unknown): void {
    if (this.ended) return;
    this.pending += 1;
    this.delivery.join(this, event);
  }

  /** The queue ended (QueueConsumer): after the results still pending or waiting. */
  end(error: unknown): void {
    this.endWhenDone = { error };
    this.finishWhenDone();
  }

  private finishWhenDone(): void {
    if (this.endWhenDone && this.pending === 0 && !this.paused) this.finish(this.endWhenDone.error);
  }

  /** An event's result for this subscriber, in event order; false when nothing was written. */
  result(result: ExecutionResult): boolean {
    this.pending -= 1;
    const written = this.accept(result);
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
    if (this.paused) {
      (this.backlog ??= []).push(result);
      return false;
    }
    if (result.errors?.length) {
      this.handOver(result);
      return false;
    }
    return this.transport.sendNext(this.delivery.jsonOf(result));
  }

  /** Gives graphql-ws a result through next(); what follows waits until it asks again. */
  private handOver(result: ExecutionResult): void {
    this.paused = true;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) waiter.resolve({ value: result, done: false });
    else this.handed = result;
  }

  /** graphql-ws sent the handed result: go on with what waited meanwhile. */
  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    const backlog = this.backlog ?? [];
    this.backlog = null;
    for (let i = 0; i < backlog.length; i++) {
      this.accept(backlog[i]!);
      if (this.paused) {
        // Paused again: the rest waits for the next round.
        this.backlog = backlog.slice(i + 1).concat(this.backlog ?? []);
        return;
      }
    }
    this.finishWhenDone();
  }

  private finish(error: unknown): void {
    if (this.ended) return;
    this.stop();
    this.failure = error ?? null;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) this.settle(waiter);
  }

  private settle(waiter: Waiter): void {
    const failure = this.failure;
    this.failure = null;
    if (failure) waiter.reject(failure);
    else waiter.resolve(DONE);
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.backlog = null;
    this.delivery.closed(this.args);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const handed = this.handed;
    if (handed) {
      this.handed = null;
      return Promise.resolve({ value: handed, done: false });
    }
    this.unpause();
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.ended) this.settle(waiter);
      else this.waiter = waiter;
    });
  }

  /** The client completed, or the connection closed: the hub stops delivering. */
  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.stop();
    await this.queue.return();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve(DONE);
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
