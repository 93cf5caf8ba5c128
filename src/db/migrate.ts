// Applies the committed migrations (prisma/<provider>/migrations, Prisma Migrate's layout) in
// order. Prisma 6.19's own `migrate deploy` cannot reach PostgreSQL offline, so this runs the
// same files through the driver and keeps the same `_prisma_migrations` bookkeeping, which
// leaves Prisma's tooling usable for anyone who has it.
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDatabaseUrl, type Provider } from "./client.js";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
}

/** What one provider must offer the shared migration logic. */
interface MigrationTarget {
  /** Runs `fn` while holding a lock that other instances starting at once also take. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  applied(): Promise<AppliedMigration[]>;
  /** Runs the migration's SQL and records it, in one transaction. */
  apply(migration: Migration): Promise<void>;
  close(): Promise<void>;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function migrationsDir(provider: Provider): string {
  return join(packageRoot, "prisma", provider, "migrations");
}

export function readMigrations(provider: Provider): Migration[] {
  const dir = migrationsDir(provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      // Prisma's checksum: SHA-256 of the file as stored.
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export interface MigrateResult {
  applied: string[];
}

/** Brings the database at `url` up to the committed migration history. */
export async function migrateDatabase(url: string): Promise<MigrateResult> {
  const target = parseDatabaseUrl(url);
  const migrations = readMigrations(target.provider);
  const store =
    target.provider === "sqlite"
      ? await openSqliteTarget(target.location)
      : await openPostgresTarget(target.location, target.schema);
  try {
    return await store.withLock(async () => {
      const applied = new Map((await store.applied()).map((row) => [row.migration_name, row]));
      checkHistory(migrations, applied);
      const pending = migrations.filter((migration) => !applied.has(migration.name));
      for (const migration of pending) await store.apply(migration);
      return { applied: pending.map((migration) => migration.name) };
    });
  } finally {
    await store.close();
  }
}

function checkHistory(migrations: Migration[], applied: Map<string, AppliedMigration>): void {
  const known = new Set(migrations.map((migration) => migration.name));
  for (const [name, row] of applied) {
    if (!known.has(name)) {
      throw new MigrationError(
        `the database has migration ${name}, which this version does not have; ` +
          "it was migrated by a newer version of realtime-chat-graphql",
      );
    }
    if (row.finished_at === null) {
      throw new MigrationError(`migration ${name} started earlier but never finished; repair the database by hand`);
    }
  }
  for (const migration of migrations) {
    const row = applied.get(migration.name);
    if (row && row.checksum !== migration.checksum) {
      throw new MigrationError(
        `migration ${migration.name} was changed after it was applied ` +
          "(its checksum differs from the one recorded); restore the original file and add a new migration instead",
      );
    }
  }
}

/** Chains migrations of one SQLite file within this process: better-sqlite3 waits for a lock
 * synchronously, so two connections of one process waiting on each other would never wake. */
const sqliteQueues = new Map<string, Promise<unknown>>();

function inProcessQueue<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = sqliteQueues.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const settled = next.catch(() => undefined);
  sqliteQueues.set(key, settled);
  void settled.then(() => {
    if (sqliteQueues.get(key) === settled) sqliteQueues.delete(key);
  });
  return next;
}

async function openSqliteTarget(path: string): Promise<MigrationTarget> {
  const { default: Database } = await import("better-sqlite3");
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 10_000 });
  return {
    withLock(fn) {
      return inProcessQueue(path, async () => {
        // WAL lets readers go on while a message is written; the setting is stored in the file.
        db.pragma("journal_mode = WAL");
        // BEGIN IMMEDIATE takes SQLite's write lock: another process waits instead of racing.
        db.exec("BEGIN IMMEDIATE");
        try {
          db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
            "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
            "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
            "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
            "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
          const result = await fn();
          db.exec("COMMIT");
          return result;
        } catch (error) {
          db.exec("ROLLBACK");
          throw error;
        }
      });
    },
    async applied() {
      return db
        .prepare(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`)
        .all() as AppliedMigration[];
    },
    async apply(migration) {
      try {
        db.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      db.prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES (?, ?, current_timestamp, ?, 1)`,
      ).run(randomUUID(), migration.checksum, migration.name);
    },
    async close() {
      db.close();
    },
  };
}

/** Key shared with every instance migrating the same schema (Prisma uses 72707369 too). */
const ADVISORY_LOCK_KEY = 72707369;

async function openPostgresTarget(connectionString: string, schema: string): Promise<MigrationTarget> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString });
  await client.connect();
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  const lockArgs = [ADVISORY_LOCK_KEY, schema];
  return {
    async withLock(fn) {
      // The lock comes first: even CREATE SCHEMA IF NOT EXISTS races when run at once.
      await client.query("SELECT pg_advisory_lock($1, hashtext($2))", lockArgs);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
        await client.query(`SET search_path TO ${quoted}`);
        await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
          "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
          "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
          "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", lockArgs);
      }
    },
    async applied() {
      const result = await client.query(
        `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
      );
      return result.rows as AppliedMigration[];
    },
    async apply(migration) {
      // PostgreSQL DDL is transactional: a failing migration leaves nothing half-applied.
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
           VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
    },
    async close() {
      await client.end();
    },
  };
}
