// A per-key rate limit kept in this process's memory: at most `max` actions per `windowMs` for
// each key (user and room, say). Keys are forgotten when their window passes, and the table is
// bounded so a flood of distinct keys cannot grow it without end.
export class RateLimiter {
  private readonly hits = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts an action; returns 0 if allowed, else the milliseconds until it would be. */
  take(key: string, now = Date.now()): number {
    const entry = this.hits.get(key);
    if (!entry || now - entry.windowStart >= this.windowMs) {
      if (!entry && this.hits.size >= this.maxKeys) this.prune(now);
      this.hits.set(key, { windowStart: now, count: 1 });
      return 0;
    }
    if (entry.count >= this.max) return entry.windowStart + this.windowMs - now;
    entry.count += 1;
    return 0;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.hits) {
      if (now - entry.windowStart >= this.windowMs) this.hits.delete(key);
    }
    // Still full: drop the oldest keys (Map keeps insertion order).
    for (const key of this.hits.keys()) {
      if (this.hits.size < this.maxKeys) break;
      this.hits.delete(key);
    }
  }
}
