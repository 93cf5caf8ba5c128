// Time-ordered UUIDs (version 7, RFC 9562) for new messages: the first 48 bits are the Unix time in
// milliseconds, so new ids land at the end of the primary-key index instead of on a random page
// of it. A random v4 id dirtied one more index page per insert, which SQLite writes to its WAL
// and later checkpoints: measurably more disk work per send. Still 74 random bits per id.
import { randomFillSync } from "node:crypto";

const POOL_SIZE = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** Ten random bytes, from a pool refilled 1,638 ids at a time. */
function randomBytes10(): Buffer {
  if (offset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 10;
  return pool.subarray(offset - 10, offset);
}

export function timeOrderedUuid(now = Date.now()): string {
  const random = randomBytes10();
  const time = now.toString(16).padStart(12, "0");
  const hex = random.toString("hex");
  // version 7 in the 13th hex digit; variant 10xx in the 17th.
  const variant = ((random[2]! & 0x3f) | 0x80).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex.slice(0, 3)}-${variant}${hex.slice(6, 8)}-${hex.slice(8, 20)}`;
}
