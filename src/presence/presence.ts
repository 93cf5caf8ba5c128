// Presence: who is online. A user is online while at least one of their authenticated
// connections (a graphql-ws connection, or a subscription streamed over SSE) is open on any
// instance, and for PRESENCE_GRACE_MS after the last one closed, so that a reconnect is no change.
//
// This module counts this instance's connections per user and decides the changes; where the
// instances agree on who is online (in memory, or in Redis: redis-store.ts) is the store's job.
// A change is decided by exactly one instance (the store answers "first in" and "last out"
// atomically) and handed to `announce` once, which publishes it once for every room.

/** A user came online or went offline (as decided by one instance, once). */
export interface PresenceChange {
  userId: string;
  online: boolean;
  /** Online: now. Offline: when the user's last connection closed (for an instance that died,
   * its last heartbeat). */
  at: Date;
}

export interface Presence {
  /** Registers an open connection of `userId` on this instance; false when presence has
   * stopped and nothing was registered. */
  connect(userId: string): boolean;
  /** Unregisters one connection that connect() registered (once per registration: the caller
   * keeps track, so that an idle connection holds no closure for it). */
  disconnect(userId: string): void;
  /** Which of these users are online now, on any instance. Never fails: with the shared store
   * unreachable it answers from this instance's connections. */
  onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** Announces every user of this instance who has no connection elsewhere offline now, and
   * stops. Connections registered afterwards are ignored. */
  close(): Promise<void>;
}

/** Where the instances agree on who is online. */
export interface PresenceStore {
  /** Records that this instance has `userId`; true when no instance had them (they came online). */
  arrive(userId: string): Promise<boolean>;
  /** Forgets that this instance has `userId`; true when no instance has them now (they went offline). */
  depart(userId: string): Promise<boolean>;
  /** Which of these users some instance has. */
  onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>>;
  close(): Promise<void>;
}

export interface PresenceOptions {
  /** How long a user whose last connection closed stays online (PRESENCE_GRACE_MS). */
  graceMs: number;
  /** Told each change this instance decides; publishes it (and persists lastSeenAt). */
  announce(change: PresenceChange): Promise<void> | void;
  /** Where a failure of the store or of an announcement is reported. */
  log(message: string, error: unknown): void;
}

/** The counting and debouncing half of presence, over any store. */
export class PresenceTracker implements Presence {
  /** Open connections per user on this instance. */
  private readonly connections = new Map<string, number>();
  /** Users whose last local connection closed, until their grace ends: when it closed, and the timer. */
  private readonly leaving = new Map<string, { at: Date; timer: NodeJS.Timeout }>();
  /** Store calls of one user, in order: a departure must not overtake the arrival before it. */
  private readonly pending = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: PresenceStore,
    private readonly options: PresenceOptions,
  ) {}

  connect(userId: string): boolean {
    if (this.closed) return false;
    const open = this.connections.get(userId) ?? 0;
    this.connections.set(userId, open + 1);
    if (open === 0) {
      const leaving = this.leaving.get(userId);
      // Back within the grace: for everyone else the user never left.
      if (leaving) {
        clearTimeout(leaving.timer);
        this.leaving.delete(userId);
      } else {
        this.inOrder(userId, async () => {
          if (await this.store.arrive(userId)) await this.options.announce({ userId, online: true, at: new Date() });
        });
      }
    }
    return true;
  }

  disconnect(userId: string): void {
    const open = (this.connections.get(userId) ?? 1) - 1;
    if (open > 0) return void this.connections.set(userId, open);
    this.connections.delete(userId);
    if (this.closed) return;
    const at = new Date();
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      this.depart(userId, at);
    }, this.options.graceMs);
    // A stopping process does not wait for it: close() announces the departures itself.
    timer.unref();
    this.leaving.set(userId, { at, timer });
  }

  private depart(userId: string, at: Date): Promise<void> {
    return this.inOrder(userId, async () => {
      if (await this.store.depart(userId)) await this.options.announce({ userId, online: false, at });
    });
  }

  private inOrder(userId: string, step: () => Promise<void>): Promise<void> {
    const previous = this.pending.get(userId) ?? Promise.resolve();
    const next = previous
      .then(step)
      .catch((error: unknown) => this.options.log(`presence of ${userId}: failed`, error));
    this.pending.set(userId, next);
    void next.then(() => this.pending.get(userId) === next && this.pending.delete(userId));
    return next;
  }

  /** Users this instance counts as online: with an open connection, or within their grace. */
  localUsers(): string[] {
    return [...this.connections.keys(), ...this.leaving.keys()];
  }

  /** Is the user online as this instance alone sees it? */
  isLocallyOnline(userId: string): boolean {
    return this.connections.has(userId) || this.leaving.has(userId);
  }

  async onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (userIds.length === 0) return new Set();
    try {
      return await this.store.onlineAmong(userIds);
    } catch (error) {
      this.options.log("presence: the store did not answer; answering from this instance's connections", error);
      return new Set(userIds.filter((userId) => this.isLocallyOnline(userId)));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Stopping gracefully: nobody here comes back within the grace, so it ends now.
    const departures: Promise<void>[] = [];
    for (const [userId, { at, timer }] of this.leaving) {
      clearTimeout(timer);
      departures.push(this.depart(userId, at));
    }
    this.leaving.clear();
    const now = new Date();
    for (const userId of this.connections.keys()) departures.push(this.depart(userId, now));
    this.connections.clear();
    await Promise.all(departures);
    await Promise.all(this.pending.values());
    await this.store.close();
  }
}

/** One instance: the store is a set in this process. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly online = new Set<string>();

  async arrive(userId: string): Promise<boolean> {
    if (this.online.has(userId)) return false;
    this.online.add(userId);
    return true;
  }

  async depart(userId: string): Promise<boolean> {
    return this.online.delete(userId);
  }

  async onlineAmong(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    return new Set(userIds.filter((userId) => this.online.has(userId)));
  }

  async close(): Promise<void> {}
}

export function createMemoryPresence(options: PresenceOptions): PresenceTracker {
  return new PresenceTracker(new MemoryPresenceStore(), options);
}
