// The databases each test file runs against: a fresh SQLite file and a fresh PostgreSQL schema,
// so files run in parallel without sharing rows. PostgreSQL is required: when it is down the
// tests fail. Only TEST_PROVIDERS=sqlite, outside CI, leaves it out, and says so.
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Provider } from "../../src/db/client.js";

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

function selectedProviders(): Provider[] {
  const only = process.env.TEST_PROVIDERS;
  if (!only || process.env.CI === "true") return ["sqlite", "postgresql"];
  const list = only.split(",").map((name) => name.trim()) as Provider[];
  console.warn(`TEST_PROVIDERS=${only}: running against ${list.join(", ")} only`);
  return list;
}

export const PROVIDERS: Provider[] = selectedProviders();

const created: Array<() => Promise<void>> = [];

export interface TestDatabase {
  provider: Provider;
  url: string;
  /** SQLite only: the folder holding the file (used as DATA_DIR). */
  dir: string;
}

/** A new, empty database of the given provider; dropped by dropTestDatabases(). */
export async function createTestDatabase(provider: Provider): Promise<TestDatabase> {
  const id = randomBytes(6).toString("hex");
  const dir = join(tmpdir(), "rcg-tests", id);
  mkdirSync(dir, { recursive: true });
  created.push(async () => rmSync(dir, { recursive: true, force: true }));
  if (provider === "sqlite") return { provider, url: `file:${join(dir, "chat.db")}`, dir };
  const schema = `t_${id}`;
  created.push(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return { provider, url: url.toString(), dir };
}

export async function dropTestDatabases(): Promise<void> {
  for (const drop of created.splice(0)) await drop();
}
