// A first-come, first-served lock for the one SQLite connection. Prisma's interactive
// transactions and the hot path's batches both hold it, so a hot-path statement never runs
// inside a Prisma transaction that is open on the same connection (and would be rolled back
// with it).

export class WriteLock {
  private held = false;
  private readonly waiting: Array<() => void> = [];

  /** Resolves with the release function once the lock is ours. */
  acquire(): Promise<() => void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  /** Runs `work` while holding the lock. */
  async run<T>(work: () => T | Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.held = false;
    };
  }
}
