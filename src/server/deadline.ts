// A timer for a moment that may be weeks away. setTimeout takes at most 2^31-1 ms (about 24.8
// days); a longer delay overflows and fires at once. Tokens live 30 days, so a connection's
// deadline is reached in steps of at most that long, each one checking the clock again.

/** Longest delay setTimeout takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Deadline {
  /** Cancels the deadline (idempotent). */
  clear(): void;
}

/** Calls `reached` once at `at` (in the next turn if it has passed), unless cleared before. The
 * timer does not keep the process alive. */
export function startDeadline(at: Date, reached: () => void): Deadline {
  let timer: NodeJS.Timeout | null = null;
  const schedule = () => {
    const left = at.getTime() - Date.now();
    // An invalid date (NaN) counts as passed.
    const wait = left > 0 ? Math.min(left, MAX_TIMER_MS) : 0;
    timer = setTimeout(left > MAX_TIMER_MS ? schedule : fire, wait);
    timer.unref();
  };
  const fire = () => {
    timer = null;
    reached();
  };
  schedule();
  return {
    clear() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
