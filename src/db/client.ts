// Opens the Prisma client that matches DATABASE_URL. Each provider has its own generated
// client (a client is bound to one provider); both are generated from prisma/base.prisma and
// share one shape, so the rest of the code is written once against the `Db` type below.
import type { PrismaClient as SqliteClient } from "../generated/sqlite/client.js";

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

export async function createDb(url: string, onQuery?: QueryListener): Promise<Db> {
  const target = parseDatabaseUrl(url);
  if (target.provider === "sqlite") {
    const [{ PrismaClient }, { PrismaBetterSQLite3 }] = await Promise.all([
      import("../generated/sqlite/client.js"),
      import("@prisma/adapter-better-sqlite3"),
    ]);
    const adapter = new PrismaBetterSQLite3({ url: target.location, timeout: SQLITE_BUSY_TIMEOUT_MS });
    return listen(new PrismaClient({ adapter, ...queryLogging(onQuery) }) as unknown as Db, onQuery);
  }
  const [{ PrismaClient }, { PrismaPg }] = await Promise.all([
    import("../generated/postgresql/client.js"),
    import("@prisma/adapter-pg"),
  ]);
  const adapter = new PrismaPg({ connectionString: target.location }, { schema: target.schema });
  // Same models, same query API: the PostgreSQL client is used through the shared type.
  return listen(new PrismaClient({ adapter, ...queryLogging(onQuery) }) as unknown as Db, onQuery);
}
