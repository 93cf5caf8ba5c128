// Group commit: sends that arrive while the previous batch is being stored (or within the same
// turn of the event loop) share one transaction. SQLite has one writer and PostgreSQL pays a
// commit per transaction, so N sends in one commit cost far less than N commits. Each send still
// gets its own seq and its own outcome, answered only after the shared commit.
import type { PendingSend, SendOutcome } from "./hot-path.js";

/** Most sends in one transaction; more wait for the next. */
const MAX_BATCH = 256;

interface Waiting {
  send: PendingSend;
  resolve(outcome: SendOutcome): void;
  reject(error: unknown): void;
}

export type StoreBatch = (sends: readonly PendingSend[]) => Promise<SendOutcome[]>;

export function groupCommit(storeBatch: StoreBatch): (send: PendingSend) => Promise<SendOutcome> {
  let queue: Waiting[] = [];
  let running = false;

  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        const outcomes = await storeBatch(batch.map((waiting) => waiting.send));
        batch.forEach((waiting, i) => waiting.resolve(outcomes[i]!));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    running = false;
  };

  return (send) =>
    new Promise<SendOutcome>((resolve, reject) => {
      queue.push({ send, resolve, reject });
      if (running) return;
      running = true;
      // After this turn's other requests have reached here too.
      setImmediate(() => void drain());
    });
}
