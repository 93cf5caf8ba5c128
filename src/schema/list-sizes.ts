// How many items each list field may return, for the cost limit (src/execution/operation-cost.ts),
// which prices a field with a selection at its item count times (1 + its selection's cost).
// Connections are priced by their page size (`first`/`last`, else the default), and their
// `edges` by that same count, so they are not listed here. A list of objects missing from this
// table is priced at LIMITS.pageSize: secure by default, so a new list field costs the most a
// page may hold until someone writes down its bound here. Lists of scalars and enums cost nothing.
import { LIMITS } from "../limits.js";

/**
 * What a list whose length grows with its room (admins, moderators, distinct reactions) counts.
 * Nothing caps these below the room's member limit, so this is an estimate, not a bound: the
 * one a hand-written schema-wide default would also pick (Pothos' complexity plugin uses 10).
 */
export const GROWING_LIST_SIZE = 10;

/** The number of ids a list argument holds, at most LIMITS.idsPerList (more is refused). */
const idCount = (ids: unknown) => (Array.isArray(ids) ? Math.min(ids.length, LIMITS.idsPerList) : LIMITS.idsPerList);

/** `Type.field` → its item count, from the field's arguments (coerced, variables substituted). */
export const LIST_SIZES: Readonly<Record<string, (args: Record<string, unknown>) => number>> = {
  // Bounds the schema enforces.
  "Message.attachments": () => LIMITS.attachmentsPerMessage,
  "OneToOneChat.participants": () => 2,
  // One message per id given.
  "Mutation.markRead": (args) => idCount(args.messageIds),
  "Mutation.acknowledgeDelivery": (args) => idCount(args.messageIds),
  // Estimates (see GROWING_LIST_SIZE).
  "Message.reactions": () => GROWING_LIST_SIZE,
  "GroupChat.admins": () => GROWING_LIST_SIZE,
  "Channel.moderators": () => GROWING_LIST_SIZE,
};
