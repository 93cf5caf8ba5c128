// A bounded async queue that a subscription resolver returns as its event stream. Events are
// pushed by the hub; the transport pulls them. A consumer that falls `limit` events behind is
// cut off through `onOverflow` instead of the server buffering without end.
//
// An idle subscription is mostly a queue that waits: the arrays are made when first needed (an
// array grown by push reserves room for 16 entries), so a queue nobody pushed to stays small.
import { ChatError } from "../errors.js";

/** Takes a queue's items as they are pushed (EventQueue.consume). */
export interface QueueConsumer<T> {
  item(item: T): void;
  /** The queue ended; `error` is its failure, if it failed. */
  end(error: unknown): void;
}

export class EventQueue<T> implements AsyncIterableIterator<T> {
  private buffer: T[] | null = null;
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((error: unknown) => void) | null = null;
  private finished = false;
  private failure: unknown = null;
  private cleanups: ReadonlyArray<() => void> | null = null;
  /** Set by consume(): items go there as they are pushed, nothing is buffered. */
  private consumer: QueueConsumer<T> | null = null;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {}

  push(item: T): void {
    if (this.finished) return;
    if (this.consumer) return this.consumer.item(item);
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: item, done: false });
      return;
    }
    const buffer = (this.buffer ??= []);
    if (buffer.length >= this.limit) {
      // A known condition, not a server fault: the client resumes with afterSeq.
      this.fail(new ChatError("RESYNC_REQUIRED", "The subscriber fell too far behind; resubscribe with afterSeq."));
      this.onOverflow();
      return;
    }
    buffer.push(item);
  }

  /** True once the stream was ended, failed or returned. */
  get done(): boolean {
    return this.finished;
  }

  /** Ends the stream after what is buffered. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.runCleanups();
    if (this.consumer) return this.consumer.end(this.failure);
    if (this.waiting && !this.buffer?.length) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.failure = error;
    this.buffer = null;
    this.end();
    if (this.consumer) return;
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = this.failWaiting = null;
      reject(error);
    }
  }

  /** From now on hands each item to the consumer as it is pushed instead of queueing it for
   * next(), and the end too (with the failure, if it failed). What was buffered goes first. The
   * consumer does its own flow control (a transport that checks its socket's buffer). */
  consume(consumer: QueueConsumer<T>): void {
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const item of buffered) consumer.item(item);
    if (this.finished) return consumer.end(this.failure);
    this.consumer = consumer;
  }

  /** Runs `cleanup` when the stream ends for any reason. */
  onEnd(cleanup: () => void): void {
    if (this.finished) cleanup();
    // Exactly sized: a stream has two or three cleanups.
    else this.cleanups = this.cleanups ? this.cleanups.concat(cleanup) : [cleanup];
  }

  private runCleanups(): void {
    const cleanups = this.cleanups ?? [];
    this.cleanups = null;
    for (const cleanup of cleanups) cleanup();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer?.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.failure) {
      const error = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer = null;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.fail(error);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
