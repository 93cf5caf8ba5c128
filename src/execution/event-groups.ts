// The direct subscribers of one event with the same sharing key wait together for its single
// execution: one promise per event and key instead of a chain per subscriber. Per key, groups hand
// out their results in the order the groups began (each waits for the previous group of its key).
// That is not always each subscriber's event order (a resumed subscriber joins a live event's
// group begun before its own replayed events'): each member holds the ticket of its event, and
// DirectResults writes its results in ticket order.
import type { ExecutionArgs, ExecutionResult } from "graphql";
import type { DirectResults } from "./direct-results.js";

type Execution = ExecutionResult | Promise<ExecutionResult>;

interface Group {
  members: DirectResults[];
  /** The ticket of each member's event (same index). */
  tickets: number[];
  /** Set once the group's result went out; a late member receives it at once. */
  outcome: { result: ExecutionResult } | { error: unknown } | null;
}

export interface EventGroupsOptions {
  /** The event's execution for this key (memoised by the caller across transports). */
  execute(args: ExecutionArgs, event: unknown, key: string): Execution;
  /** Frames written for one event and key (metrics). */
  delivered?(args: ExecutionArgs, count: number): void;
}

export class EventGroups {
  private readonly groups = new WeakMap<object, Map<string, Group>>();
  /** Per key, the hand-out of its latest group: the next group goes after it. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly options: EventGroupsOptions) {}

  join(subscriber: DirectResults, event: unknown, ticket: number): void {
    // Events are objects the hub shares; anything else is keyed by a throwaway object.
    const handle = typeof event === "object" && event !== null ? event : {};
    let byKey = this.groups.get(handle);
    if (!byKey) this.groups.set(handle, (byKey = new Map()));
    let group = byKey.get(subscriber.key);
    if (!group) {
      group = { members: [], tickets: [], outcome: null };
      byKey.set(subscriber.key, group);
      this.start(group, subscriber, event);
    }
    if (!group.outcome) {
      group.members.push(subscriber);
      group.tickets.push(ticket);
    } else if ("result" in group.outcome) this.count(subscriber.args, subscriber.result(ticket, group.outcome.result));
    else subscriber.failed(group.outcome.error);
  }

  private start(group: Group, first: DirectResults, event: unknown): void {
    const { key, args } = first;
    let execution: Promise<ExecutionResult>;
    try {
      execution = Promise.resolve(this.options.execute(args, event, key));
    } catch (error) {
      execution = Promise.reject(error);
    }
    const previous = this.tails.get(key);
    const handedOut = (previous ? previous.then(() => execution) : execution).then(
      (result) => this.handOut(group, args, { result }),
      (error: unknown) => this.handOut(group, args, { error }),
    );
    this.tails.set(key, handedOut);
    void handedOut.then(() => {
      if (this.tails.get(key) === handedOut) this.tails.delete(key);
    });
  }

  private handOut(group: Group, args: ExecutionArgs, outcome: NonNullable<Group["outcome"]>): void {
    group.outcome = outcome;
    const { members, tickets } = group;
    group.members = [];
    group.tickets = [];
    if ("error" in outcome) {
      for (const member of members) member.failed(outcome.error);
      return;
    }
    let written = 0;
    for (let i = 0; i < members.length; i++) written += members[i]!.result(tickets[i]!, outcome.result);
    this.count(args, written);
  }

  private count(args: ExecutionArgs, written: number): void {
    if (written > 0) this.options.delivered?.(args, written);
  }
}
