// Relay-style connections (edges { cursor node }, pageInfo), written by hand: the relay plugin
// would also rewrite ids into global ids, and ours are the database's.
import type { ObjectRef } from "@pothos/core";
import { unstorableReason } from "../content/storable-text.js";
import { BadUserInputError } from "../errors.js";
import { builder } from "./builder.js";

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Array<Edge<T>>;
  pageInfo: PageInfo;
}

export const PageInfoRef = builder.objectRef<PageInfo>("PageInfo").implement({
  description: "Where a page sits in its list.",
  fields: (t) => ({
    hasNextPage: t.exposeBoolean("hasNextPage", { description: "More items follow the end of this page." }),
    hasPreviousPage: t.exposeBoolean("hasPreviousPage", { description: "More items come before the start of this page." }),
    startCursor: t.exposeString("startCursor", { nullable: true, description: "Cursor of the first edge; null for an empty page." }),
    endCursor: t.exposeString("endCursor", { nullable: true, description: "Cursor of the last edge; null for an empty page." }),
  }),
});

/** Defines `<Name>Connection` and `<Name>Edge` for a node type. */
export function connectionRef<T>(name: string, node: ObjectRef<any, T>, description: string) {
  const EdgeRef = builder.objectRef<Edge<T>>(`${name}Edge`).implement({
    description: `One ${name} in a ${name}Connection.`,
    fields: (t) => ({
      cursor: t.exposeString("cursor", { description: "Opaque; pass it back as a paging argument to continue from here." }),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      node: t.field({ type: node, description: `The ${name}.`, resolve: (edge) => edge.node as any }),
    }),
  });
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    description,
    fields: (t) => ({
      edges: t.field({ type: [EdgeRef], description: "The items of this page, each with its cursor.", resolve: (connection) => connection.edges }),
      pageInfo: t.field({ type: PageInfoRef, description: "Cursors and whether more pages exist.", resolve: (connection) => connection.pageInfo }),
    }),
  });
}

/** Opaque cursors: base64url of a JSON value. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Longer than any cursor this server issues (a time and an id of up to about 700 characters):
 * a longer one is refused before it is decoded. */
const MAX_CURSOR_LENGTH = 1_024;

/** The value of a cursor this server issued; anything else, however it was forged, is
 * BAD_USER_INPUT. `isValid` must accept only values the database can be queried with. */
export function decodeCursor<T>(cursor: string, field: string, isValid: (value: unknown) => value is T): T {
  const refused = () => new BadUserInputError(`${field} is not a cursor this server issued.`, field);
  if (cursor.length > MAX_CURSOR_LENGTH) throw refused();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refused();
  }
  if (!isValid(value)) throw refused();
  return value;
}

/** A message seq as a cursor: an integer both databases' Int columns hold. */
export const isSeqCursor = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 2_147_483_647;

/** Cursor of lists ordered by (lastActivityAt desc, id desc). */
export type ActivityCursor = [string, string];

/** Only the ISO form Date.toISOString writes (years 0000-9999): other parseable dates reach
 * past what the databases store. */
const isIsoInstant = (value: unknown): value is string =>
  typeof value === "string" &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) &&
  !Number.isNaN(Date.parse(value)) &&
  new Date(value).toISOString() === value;

/** Room, message and notification ids are UUIDs; member cursors hold user ids, which are the
 * identity provider's (any storable text; the cursor's length bounds them). */
const isCursorId = (value: unknown): value is string => typeof value === "string" && unstorableReason(value) === null;

export const isActivityCursor = (value: unknown): value is ActivityCursor =>
  Array.isArray(value) && value.length === 2 && isIsoInstant(value[0]) && isCursorId(value[1]);

/** The cursor of a row in a list ordered by a time, then an id. */
export function timeCursor(at: Date, id: string): string {
  return encodeCursor([at.toISOString(), id]);
}

/**
 * The condition for rows strictly after `cursor` in a list ordered by (`timeField`, `idField`),
 * both in `direction`; nothing for the first page. Spread it into a Prisma `where`.
 */
export function afterTimeCursor(
  cursor: ActivityCursor | null,
  timeField: string,
  idField: string,
  direction: "asc" | "desc",
): object {
  if (!cursor) return {};
  const past = direction === "asc" ? "gt" : "lt";
  const at = new Date(cursor[0]);
  return { OR: [{ [timeField]: { [past]: at } }, { [timeField]: at, [idField]: { [past]: cursor[1] } }] };
}

/** Builds a forward page from rows fetched with `take: first + 1`. */
export function forwardPage<T>(rows: T[], first: number, cursorOf: (row: T) => string, hadCursor: boolean): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: hadCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
