// Percentiles and the delivery check: every subscriber of a room must receive every acknowledged
// message of that room exactly once, in seq order.
import type { Correctness } from "./spec.js";

/** Nearest-rank percentile of unsorted samples; NaN when there are none. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

interface Subscriber {
  room: string;
  /** Every delivery, in arrival order. */
  seqs: number[];
  /** The distinct seqs delivered. */
  seen: Set<number>;
}

export class DeliveryTracker {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly acknowledged = new Map<string, Set<number>>();
  /** Deliveries since start, and since the last reset of the counter. */
  deliveries = 0;
  disconnects = 0;
  /** Set when the run is over: closes after that are the bench's own. */
  finished = false;

  /** Registers a subscription of `subscriber` (a connection) to `room`; returns what records
   * its deliveries (the room is checked against the one subscribed to). */
  add(subscriber: string, room: string): (deliveredRoom: string, seq: number) => void {
    const entry: Subscriber = { room, seqs: [], seen: new Set() };
    this.subscribers.set(`${subscriber}\u0000${room}`, entry);
    if (!this.acknowledged.has(room)) this.acknowledged.set(room, new Set());
    return (deliveredRoom, seq) => {
      if (deliveredRoom !== room) throw new Error(`${subscriber} got a message of ${deliveredRoom}, subscribed to ${room}`);
      entry.seqs.push(seq);
      entry.seen.add(seq);
      this.deliveries += 1;
    };
  }

  acknowledge(room: string, seq: number): void {
    this.acknowledged.get(room)?.add(seq);
  }

  closed(): void {
    if (!this.finished) this.disconnects += 1;
  }

  /** Has every subscriber received every acknowledged seq above `after`? */
  complete(after = 0): boolean {
    for (const { room, seen } of this.subscribers.values()) {
      for (const seq of this.acknowledged.get(room)!) if (seq > after && !seen.has(seq)) return false;
    }
    return true;
  }

  /** Counts the faults. `after`: only acknowledged seqs above it must have arrived (the window's). */
  check(drained: boolean, stored: number | null, after = 0): Correctness {
    let acknowledged = 0;
    for (const seqs of this.acknowledged.values()) acknowledged += seqs.size;
    const result: Correctness = {
      lost: 0,
      duplicated: 0,
      reordered: 0,
      unacknowledged: 0,
      disconnects: this.disconnects,
      drained,
      acknowledged,
      stored,
    };
    for (const { room, seqs } of this.subscribers.values()) {
      const acknowledged = this.acknowledged.get(room)!;
      const seen = new Set<number>();
      let highest = Number.NEGATIVE_INFINITY;
      for (const seq of seqs) {
        if (seen.has(seq)) {
          result.duplicated += 1;
          continue;
        }
        seen.add(seq);
        if (seq < highest) result.reordered += 1;
        highest = Math.max(highest, seq);
        if (!acknowledged.has(seq)) result.unacknowledged += 1;
      }
      for (const seq of acknowledged) if (seq > after && !seen.has(seq)) result.lost += 1;
    }
    return result;
  }

  /** The highest acknowledged seq of a room (0 if none). */
  highest(room: string): number {
    let max = 0;
    for (const seq of this.acknowledged.get(room) ?? []) max = Math.max(max, seq);
    return max;
  }
}
