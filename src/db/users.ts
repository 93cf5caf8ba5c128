// Users are created from verified identity claims on first sight and refreshed when the claims
// change. A bounded memo of the claims last written keeps this off the hot path.
import type { Identity } from "../auth/authenticate.js";
import type { User } from "../generated/sqlite/client.js";
import { unstorableReason } from "../content/storable-text.js";
import { isUniqueViolation, UnauthenticatedError } from "../errors.js";
import type { Db } from "./client.js";

const MEMO_LIMIT = 10_000;

export interface UserUpserter {
  (identity: Identity): Promise<User>;
}

export function createUserUpserter(db: Db): UserUpserter {
  const memo = new Map<string, User>();
  const remember = (user: User) => {
    if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
    memo.set(user.id, user);
    return user;
  };
  return async (identity) => {
    refuseUnstorable(identity);
    const fields = {
      username: identity.username,
      displayName: identity.displayName ?? null,
      isStaff: identity.isStaff ?? false,
    };
    const known = memo.get(identity.id);
    if (known && sameFields(known, fields)) return known;
    const existing = known ?? (await db.user.findUnique({ where: { id: identity.id } }));
    if (existing && sameFields(existing, fields)) return remember(existing);
    try {
      return remember(
        existing
          ? await db.user.update({ where: { id: identity.id }, data: fields })
          : await db.user.create({ data: { id: identity.id, ...fields } }),
      );
    } catch (error) {
      // Two first requests of one user at once: the other insert won; read its row.
      if (!isUniqueViolation(error)) throw error;
      return remember(await db.user.findUniqueOrThrow({ where: { id: identity.id } }));
    }
  };
}

function sameFields(user: User, fields: Pick<User, "username" | "displayName" | "isStaff">): boolean {
  return user.username === fields.username && user.displayName === fields.displayName && user.isStaff === fields.isStaff;
}

/** Claims no database stores as given (from any authenticate, not only the default JWT one)
 * would fail or alter every request of the user: the credentials are refused instead. */
function refuseUnstorable(identity: Identity): void {
  for (const claim of [identity.id, identity.username, identity.displayName]) {
    if (typeof claim === "string" && unstorableReason(claim)) {
      throw new UnauthenticatedError("The credentials name a user that cannot be stored.");
    }
  }
}
