// `npm run db:migration -- <name>`: writes a migration for each provider from the change between
// the schema the history was last written for (prisma/<provider>/migrated.prisma) and
// prisma/base.prisma. Uses `prisma migrate diff`, which needs no database for SQLite; for
// PostgreSQL the CLI connects to PRISMA_PG_URL (default: the local test server).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROVIDERS, renderPrismaSchema, root } from "./render-prisma.js";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <name, lower-case letters, digits and _>");
  process.exit(2);
}

const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
for (const provider of PROVIDERS) {
  const dir = join(root, "prisma", provider);
  const schema = join(dir, "schema.prisma");
  const snapshot = join(dir, "migrated.prisma");
  writeFileSync(schema, renderPrismaSchema(provider));
  const from = existsSync(snapshot) ? ["--from-schema-datamodel", snapshot] : ["--from-empty"];
  const sql = execFileSync(
    "npx",
    ["prisma", "migrate", "diff", "--config", join(dir, "prisma.config.ts"), ...from,
      "--to-schema-datamodel", schema, "--script"],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (!/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
    console.log(`${provider}: no change`);
    continue;
  }
  const target = join(dir, "migrations", `${stamp}_${name}`);
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, "migration.sql"), sql);
  writeFileSync(
    join(dir, "migrations", "migration_lock.toml"),
    `# Written by scripts/new-migration.ts. Prisma Migrate reads the provider from here.\nprovider = "${provider}"\n`,
  );
  copyFileSync(schema, snapshot);
  console.log(`${provider}: wrote ${target}/migration.sql`);
}
