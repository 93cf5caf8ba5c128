// getModel and getObjectOr404: the database access that permission handlers written by
// applications use, named after the Django helpers they replace. The database is the one of the
// request whose check is running (an AsyncLocalStorage set around every handler call), so a
// handler needs no reference to the server that created it.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Db } from "../db/client.js";
import { NotFoundError } from "../errors.js";

const MODEL_KEYS = {
  User: "user",
  Room: "room",
  RoomMember: "roomMember",
  RoomRole: "roomRole",
  RoomGrant: "roomGrant",
  Message: "message",
  Attachment: "attachment",
  Reaction: "reaction",
  ReadReceipt: "readReceipt",
  DeliveryAck: "deliveryAck",
  Notification: "notification",
} as const satisfies Record<string, keyof Db>;

export type ModelName = keyof typeof MODEL_KEYS;
export type Model<Name extends ModelName> = Db[(typeof MODEL_KEYS)[Name]];

const activeDb = new AsyncLocalStorage<Db>();

/** Runs `fn` with `db` as the database getModel() answers from. */
export function withDb<T>(db: Db, fn: () => T): T {
  return activeDb.run(db, fn);
}

/** The database of the running permission check. */
export function currentDb(): Db {
  const db = activeDb.getStore();
  if (!db) {
    throw new Error(
      "getModel() was called outside a permission check; the server sets the database around each " +
        "PermissionHandler call (wrap direct calls in withDb(db, ...))",
    );
  }
  return db;
}

/** The model delegate (findUnique, findMany, count, ...) for a model name, like Django's get_model. */
export function getModel<Name extends ModelName>(name: Name): Model<Name> {
  const key = MODEL_KEYS[name];
  if (!key) throw new Error(`Unknown model "${String(name)}"; known: ${Object.keys(MODEL_KEYS).join(", ")}`);
  return currentDb()[key] as Model<Name>;
}

// Loose on purpose: Prisma delegates' findUnique is generic, so the row type is read from it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Delegate = { findUnique: (args: any) => PromiseLike<unknown> };
type WhereOf<M extends Delegate> = NonNullable<Parameters<M["findUnique"]>[0]>["where"];
type RowOf<M extends Delegate> = NonNullable<Awaited<ReturnType<M["findUnique"]>>>;

/** Loads one row by a unique key, or throws NotFoundError (NOT_FOUND), like Django's get_object_or_404. */
export async function getObjectOr404<M extends Delegate>(model: M, where: WhereOf<M>): Promise<RowOf<M>> {
  const row = await model.findUnique({ where });
  if (row === null || row === undefined) throw new NotFoundError();
  return row as RowOf<M>;
}
