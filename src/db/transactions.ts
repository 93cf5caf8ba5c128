// What every data function's transaction shares: its time limits, and the one retry after a
// concurrent writer inserted the same unique key first.
import { isUniqueViolation } from "../errors.js";

/** Interactive transactions wait this long for a connection or lock before failing. */
export const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

/** Runs an inserting transaction once more when a concurrent one inserted the same key first:
 * the second run sees the committed row and takes the no-op path. */
export async function retryOnUniqueViolation<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return run();
  }
}
