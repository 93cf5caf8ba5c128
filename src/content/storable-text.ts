// Whether a string can be stored as given by both databases. A lone UTF-16 surrogate has no
// UTF-8 form (SQLite and PostgreSQL would each keep a different replacement, or the driver
// fails), and PostgreSQL refuses U+0000 in text and in jsonb. Client input and identity claims
// that fail this are refused before anything is written.

/** String.prototype.isWellFormed: in Node 20, though not in the ES2023 typings this project uses. */
const isWellFormed = (value: string) => (value as string & { isWellFormed(): boolean }).isWellFormed();

/** Why `value` cannot be stored, or null when it can. */
export function unstorableReason(value: string): string | null {
  if (!isWellFormed(value)) return "is not valid Unicode (a lone surrogate)";
  if (value.includes("\u0000")) return "contains a NUL character";
  return null;
}
