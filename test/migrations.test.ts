import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase, readMigrations } from "../src/db/migrate.js";
import { createTestDatabase, dropTestDatabases, PROVIDERS } from "./harness/databases.js";
import { describeDatabase, runScript } from "./harness/introspect.js";

afterAll(dropTestDatabases);

describe.each(PROVIDERS)("migrations on %s", (provider) => {
  it("applies the committed history once and then reports nothing pending", async () => {
    const { url } = await createTestDatabase(provider);
    const first = await migrateDatabase(url);
    expect(first.applied).toEqual(readMigrations(provider).map((migration) => migration.name));
    expect(first.applied.length).toBeGreaterThan(0);
    expect((await migrateDatabase(url)).applied).toEqual([]);
  });

  it("builds from the committed history exactly the schema that prisma/base.prisma describes", async () => {
    const fromHistory = await createTestDatabase(provider);
    await migrateDatabase(fromHistory.url);
    const fromSchema = await createTestDatabase(provider);
    const script = execFileSync(
      "npx",
      ["prisma", "migrate", "diff", "--config", `prisma/${provider}/prisma.config.ts`, "--from-empty",
        "--to-schema-datamodel", `prisma/${provider}/schema.prisma`, "--script"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    await runScript(fromSchema.url, script);
    expect(await describeDatabase(fromHistory.url)).toEqual(await describeDatabase(fromSchema.url));
  });

  it("refuses to start when an applied migration was changed afterwards", async () => {
    const { url } = await createTestDatabase(provider);
    await migrateDatabase(url);
    await runScript(url, `UPDATE "_prisma_migrations" SET checksum = 'edited'`);
    await expect(migrateDatabase(url)).rejects.toThrow(/was changed after it was applied/);
  });

  it("lets instances that start at once apply each migration exactly once", async () => {
    const { url } = await createTestDatabase(provider);
    const results = await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    const appliedByAll = results.flatMap((result) => result.applied);
    expect(appliedByAll.sort()).toEqual(readMigrations(provider).map((migration) => migration.name).sort());
  });
});
