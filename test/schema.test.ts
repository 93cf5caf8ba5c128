import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROVIDERS, renderPrismaSchema } from "../scripts/render-prisma.js";
import { printSortedSchema } from "../src/schema/index.js";

describe("committed artefacts", () => {
  it("schema.graphql is what the code prints (run `npm run schema:print` after an API change)", () => {
    expect(readFileSync("schema.graphql", "utf8")).toBe(printSortedSchema());
  });

  it.each(PROVIDERS)("prisma/%s/schema.prisma is rendered from prisma/base.prisma (run `npm run db:generate`)", (provider) => {
    expect(readFileSync(`prisma/${provider}/schema.prisma`, "utf8")).toBe(renderPrismaSchema(provider));
  });

  it.each(PROVIDERS)("the %s migration history was written for the current prisma/base.prisma", (provider) => {
    // new-migration.ts keeps the schema it last wrote a migration for; a difference means a
    // model change without `npm run db:migration -- <name>`.
    expect(readFileSync(`prisma/${provider}/migrated.prisma`, "utf8")).toBe(renderPrismaSchema(provider));
  });
});
