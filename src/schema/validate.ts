// Input checks shared by the schema files. Each throws BAD_USER_INPUT naming the argument.
import { BadUserInputError } from "../errors.js";
import { LIMITS } from "../limits.js";
import { unstorableReason } from "../content/storable-text.js";
import { checkId } from "../permissions/permission-helpers.js";

/** A list of ids: non-empty, at most LIMITS.idsPerList, de-duplicated, each well formed. */
export function idsArg(ids: readonly string[], field: string, what: "room" | "message" | "user"): string[] {
  if (ids.length === 0) throw new BadUserInputError(`${field} must not be empty.`, field);
  if (ids.length > LIMITS.idsPerList) {
    throw new BadUserInputError(`${field} may hold at most ${LIMITS.idsPerList} ids.`, field);
  }
  return [...new Set(ids.map((id) => checkId(id, what)))];
}

/** Refuses a string no database stores as given (storable-text.ts): what a client was answered
 * would not be what was kept, or the write would fail. */
function storableArg(value: string, field: string): string {
  const reason = unstorableReason(value);
  if (reason) throw new BadUserInputError(`${field} ${reason}.`, field);
  return value;
}

/** A storable string of at most `max` characters; trimmed; `required` refuses an empty result. */
export function textArg(value: string, field: string, max: number, required = false): string {
  storableArg(value, field);
  const text = value.trim();
  if (text.length > max) throw new BadUserInputError(`${field} may be at most ${max} characters.`, field);
  if (required && text.length === 0) throw new BadUserInputError(`${field} must not be empty.`, field);
  return text;
}

/** An http(s) URL of at most LIMITS.urlLength characters. */
export function urlArg(value: string, field: string): string {
  if (value.length > LIMITS.urlLength) {
    throw new BadUserInputError(`${field} may be at most ${LIMITS.urlLength} characters.`, field);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BadUserInputError(`${field} must be an absolute URL.`, field);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new BadUserInputError(`${field} must be an http or https URL.`, field);
  }
  return url.toString();
}

/** A JSON object of at most LIMITS.jsonBytes bytes when serialised and LIMITS.jsonDepth levels
 * deep, whose keys and strings are storable and numbers finite. Deeper values crash the
 * databases' JSON handling; the check stops at the limit, so it never recurses further itself. */
export function jsonObjectArg(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadUserInputError(`${field} must be a JSON object.`, field);
  }
  checkJsonValue(value, field, 1);
  if (Buffer.byteLength(JSON.stringify(value)) > LIMITS.jsonBytes) {
    throw new BadUserInputError(`${field} may be at most ${LIMITS.jsonBytes} bytes of JSON.`, field);
  }
  return value as Record<string, unknown>;
}

function checkJsonValue(value: unknown, field: string, depth: number): void {
  if (typeof value === "string") {
    storableArg(value, field);
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new BadUserInputError(`${field} holds a number JSON cannot represent.`, field);
  } else if (typeof value === "object" && value !== null) {
    if (depth > LIMITS.jsonDepth) {
      throw new BadUserInputError(`${field} may be nested at most ${LIMITS.jsonDepth} levels deep.`, field);
    }
    const entries = Array.isArray(value) ? value.map((item) => ["", item] as const) : Object.entries(value);
    for (const [key, item] of entries) {
      storableArg(key, field);
      checkJsonValue(item, field, depth + 1);
    }
  }
}

/** An integer within [min, max]. */
export function intArg(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${field} must be an integer from ${min} to ${max}.`, field);
  }
  return value;
}

/** A page size: default when omitted, at most LIMITS.pageSize. */
export function pageSizeArg(value: number | null | undefined, field: string): number {
  if (value === null || value === undefined) return LIMITS.defaultPageSize;
  return intArg(value, field, 1, LIMITS.pageSize);
}
