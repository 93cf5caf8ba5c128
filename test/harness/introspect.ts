// Describes a database's structure (tables, columns, indexes, keys, enums) as plain sorted data,
// so two databases built different ways can be compared for drift.
import Database from "better-sqlite3";
import pg from "pg";
import { parseDatabaseUrl } from "../../src/db/client.js";

const BOOKKEEPING = "_prisma_migrations";

export async function describeDatabase(url: string): Promise<unknown> {
  const target = parseDatabaseUrl(url);
  return target.provider === "sqlite" ? describeSqlite(target.location) : describePostgres(target.location, target.schema);
}

/** Runs a SQL script (as `prisma migrate diff --script` prints it) on a fresh database. */
export async function runScript(url: string, sql: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.provider === "sqlite") {
    const db = new Database(target.location);
    db.exec(sql);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: target.location });
  await client.connect();
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
  await client.query(`SET search_path TO "${target.schema}"`);
  await client.query(sql);
  await client.end();
}

function describeSqlite(path: string): unknown {
  const db = new Database(path, { readonly: true });
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name != ?`).all(BOOKKEEPING) as Array<{ name: string }>)
    .map(({ name }) => name)
    .sort();
  const result = tables.map((table) => ({
    table,
    columns: db.pragma(`table_info("${table}")`),
    indexes: (db.pragma(`index_list("${table}")`) as Array<{ name: string; unique: number; origin: string }>)
      .map((index) => ({ ...index, columns: db.pragma(`index_info("${index.name}")`), seq: undefined }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: (db.pragma(`foreign_key_list("${table}")`) as Array<Record<string, unknown>>)
      .map(({ id: _id, seq: _seq, ...key }) => key)
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  }));
  db.close();
  return result;
}

async function describePostgres(connectionString: string, schema: string): Promise<unknown> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  const query = async (sql: string) => (await client.query(sql, [schema, BOOKKEEPING])).rows;
  // Definitions name the schema, which differs between the two databases compared.
  const unqualified = (text: unknown) => String(text).replaceAll(`"${schema}".`, "").replaceAll(`${schema}.`, "");
  const result = {
    columns: await query(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = $1 AND table_name != $2
      ORDER BY table_name, column_name`),
    indexes: (await query(`SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = $1 AND tablename != $2 ORDER BY indexname`)).map((row) => ({
      ...row,
      indexdef: unqualified(row.indexdef),
    })),
    constraints: (await query(`SELECT t.relname AS table_name, c.conname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace JOIN pg_class t ON t.oid = c.conrelid
      WHERE n.nspname = $1 AND t.relname != $2 ORDER BY c.conname`)).map((row) => ({ ...row, def: unqualified(row.def) })),
    enums: await query(`SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_type t
      JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 AND $2 = $2 ORDER BY t.typname, e.enumsortorder`),
  };
  await client.end();
  return result;
}
