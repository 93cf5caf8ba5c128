// Opens the Prisma client that matches DATABASE_URL. Each provider has its own generated
// client (a client is bound to one provider); both are generated from prisma/base.prisma and
// share one shape, so the rest of the code is written once against the `Db` type below.
import type { PrismaClient as SqliteClient } from "../generated/sqlite/client.js";
import type { HotPath } from "./sql/hot-path.js";
import { withRoomSnapshots } from "./sql/room-snapshots.js";

/** The database client every data function takes. Typed as the SQLite client: code written
 * against it uses only what both providers support. */
export type Db = SqliteClient;

export type Provider = "sqlite" | "postgresql";

export interface DatabaseTarget {
  provider: Provider;
  /** SQLite: the file path. PostgreSQL: the connection string without the `schema` parameter. */
  location: string;
  /** PostgreSQL schema (`?schema=` in the URL); defaults to "public". */
  schema: string;
}

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith("file:")) {
    return { provider: "sqlite", location: url.slice("file:".length), schema: "main" };
  }
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? "public";
  parsed.searchParams.delete("schema");
  return { provider: "postgresql", location: parsed.toString(), schema };
}

/** A value for PostgreSQL's startup `options`, where spaces separate arguments. */
const startupValue = (value: string) => value.replace(/[\\\s]/g, (char) => `\\${char}`);

/** WAL pages (4 KiB each) after which a commit checkpoints; SQLite's default is 1,000. */
const SQLITE_WAL_CHECKPOINT_PAGES = 10_000;

/** SQLite waits this long for a lock held by another connection before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** Called after each SQL statement the client sends (for logs, and tests that count queries). */
export type QueryListener = (sql: string, durationMs: number) => void;

/** Prisma's options to emit query events, when someone listens. */
function queryLogging(onQuery: QueryListener | undefined) {
  return { log: (onQuery ? [{ emit: "event", level: "query" }] : []) as Array<{ emit: "event"; level: "query" }> };
}

function listen(client: Db, onQuery: QueryListener | undefined): Db {
  if (onQuery) client.$on("query" as never, ((event: { query: string; duration: number }) => onQuery(event.query, event.duration)) as never);
  return client;
}

/** The Prisma client and the hot path's prepared statements, over one connection (SQLite) or
 * one pool (PostgreSQL). */
export interface Database {
  provider: Provider;
  db: Db;
  hotPath: HotPath;
  /** Connects; call after migrating (a SQLite connection opened before the migration switched
   * the file to WAL would keep the rollback journal's synchronous=FULL). */
  open(): Promise<void>;
  /** Closes the client and with it the connection or pool. */
  close(): Promise<void>;
}

export async function createDatabase(url: string, onQuery?: QueryListener): Promise<Database> {
  const target = parseDatabaseUrl(url);
  if (target.provider === "sqlite") {
    const [{ PrismaClient }, { PrismaBetterSQLite3 }, { shareSqliteConnection }, { createSqliteHotPath }] = await Promise.all([
      import("../generated/sqlite/client.js"),
      import("@prisma/adapter-better-sqlite3"),
      import("./sql/sqlite-connection.js"),
      import("./sql/sqlite-hot-path.js"),
    ]);
    const { factory, connection } = shareSqliteConnection(
      new PrismaBetterSQLite3({ url: target.location, timeout: SQLITE_BUSY_TIMEOUT_MS }),
    );
    const db = listen(new PrismaClient({ adapter: factory, ...queryLogging(onQuery) }) as unknown as Db, onQuery);
    return {
      provider: "sqlite",
      db,
      hotPath: withRoomSnapshots(createSqliteHotPath(connection, onQuery)),
      // The hot path runs on Prisma's connection, which Prisma opens here.
      open: async () => {
        await db.$connect();
        // Checkpoint every ~40 MB of WAL instead of ~4 MB: each checkpoint copies pages back and
        // syncs the file, and a room's hot pages are copied once instead of ten times. Commits
        // keep their durability (WAL with the connection's synchronous setting).
        connection.database().pragma(`wal_autocheckpoint = ${SQLITE_WAL_CHECKPOINT_PAGES}`);
      },
      close: () => db.$disconnect(),
    };
  }
  const [{ PrismaClient }, { PrismaPg }, { createPostgresHotPath }, { default: pg }] = await Promise.all([
    import("../generated/postgresql/client.js"),
    import("@prisma/adapter-pg"),
    import("./sql/postgres-hot-path.js"),
    import("pg"),
  ]);
  // One pool for Prisma and the hot path, so both count against one connection limit.
  // search_path: raw statements ($queryRaw) name tables without a schema, as on SQLite.
  const pool = new pg.Pool({ connectionString: target.location, options: `-c search_path=${startupValue(`"${target.schema.replaceAll('"', '""')}"`)}` });
  // A connection that breaks (PostgreSQL restarted or ended it) must not crash the process: pg
  // emits "error" on the client when no statement is running to receive it, and a client checked
  // out of the pool (the hot path's group commit between two statements, a client being handed
  // over) has no listener of the pool's. The statement in flight fails on its own, and the pool
  // drops a broken client when it is released; the pool's listener covers idle ones.
  const ignore = () => {};
  pool.on("connect", (client) => client.on("error", ignore));
  pool.on("error", ignore);
  const adapter = new PrismaPg(pool, { schema: target.schema });
  // Same models, same query API: the PostgreSQL client is used through the shared type.
  const db = listen(new PrismaClient({ adapter, ...queryLogging(onQuery) }) as unknown as Db, onQuery);
  const close = async () => {
    await db.$disconnect();
    await pool.end();
  };
  const hotPath = withRoomSnapshots(createPostgresHotPath(pool, target.schema, onQuery));
  return { provider: "postgresql", db, hotPath, open: () => db.$connect(), close };
}
