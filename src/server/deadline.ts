// A timer for a moment that may be weeks away. setTimeout takes at most 2^31-1 ms (about 24.8
// days); a longer delay overflows and fires at once. Tokens live 30 days, so a connection's
// deadline is reached in steps of at most that long, each one checking the clock again.
// A deadline is one small object and one timer calling a shared function: no closure per
// deadline, so the thousands of idle connections that each hold one stay cheap.

/** Longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Deadline {
  /** Cancels the deadline (idempotent). */
  clear(): void;
}

class TimerDeadline<T> implements Deadline {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Epoch ms; an invalid date counts as passed. */
    private readonly at: number,
    private readonly reached: (arg: T) => void,
    private readonly arg: T,
  ) {
    this.schedule();
  }

  private schedule(): void {
    const wait = Math.max(0, Math.min(this.at - Date.now(), MAX_TIMER_MS));
    this.timer = setTimeout(step, wait, this as TimerDeadline<unknown>);
    this.timer.unref();
  }

  /** The timer fired: the moment has come, or it was beyond one timer's reach. */
  step(): void {
    this.timer = null;
    if (Date.now() >= this.at) this.reached(this.arg);
    else this.schedule();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function step(deadline: TimerDeadline<unknown>): void {
  deadline.step();
}

/** Calls `reached(arg)` once at `at` (in the next turn if it has passed), unless cleared before.
 * Pass a shared function and the object it acts on, not a closure. The timer does not keep the
 * process alive. */
export function deadlineAt<T>(at: Date, reached: (arg: T) => void, arg: T): Deadline {
  return new TimerDeadline(at.getTime() || 0, reached, arg);
}

/** deadlineAt for a single use, where a closure costs nothing that matters. */
export function startDeadline(at: Date, reached: () => void): Deadline {
  return deadlineAt(at, reached, undefined);
}
