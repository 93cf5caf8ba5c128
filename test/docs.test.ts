// The documentation says what the code does: the guide's samples are the files the tests run,
// and the README's configuration table lists exactly the settings loadConfig reads.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS } from "../src/config.js";
import { CHAT_EVENT_METHODS } from "../src/events/chat-event-handler.js";
import { DEFAULT_ADMIN_NAMES } from "../src/permissions/permission-helpers.js";

const guide = readFileSync("docs/custom-permissions.md", "utf8");

/** Fenced code blocks with their language and the include marker before them, if any. */
function codeBlocks(markdown: string): Array<{ lang: string; code: string; include?: string }> {
  const blocks = [];
  const pattern = /(?:<!-- include: (\S+) -->\n)?```(\w*)\n([\s\S]*?)```/g;
  for (const match of markdown.matchAll(pattern)) {
    blocks.push({ include: match[1], lang: match[2]!, code: match[3]! });
  }
  return blocks;
}

describe("docs/custom-permissions.md", () => {
  const blocks = codeBlocks(guide);

  it("has the seed page's sections", () => {
    for (const heading of ["The two layers", "The simplest override", "Registering a handler", "Overriding the helper layer", "Method return types", "The defaultAdminNames parameter"]) {
      expect(guide).toContain(`## ${heading}\n`);
    }
  });

  it("shows each included sample exactly as the file the tests run", () => {
    const included = blocks.filter((block) => block.include);
    expect(included.length).toBeGreaterThanOrEqual(4);
    for (const block of included) expect(block.code).toBe(readFileSync(block.include!, "utf8"));
  });

  it("has no TypeScript sample that is not a tested file, except the defaultAdminNames value", () => {
    const loose = blocks.filter((block) => block.lang === "ts" && !block.include);
    expect(loose.map((block) => block.code.trim())).toEqual([
      `defaultAdminNames = { group: "${DEFAULT_ADMIN_NAMES.group}", channel: "${DEFAULT_ADMIN_NAMES.channel}" }`,
    ]);
  });

  it("registers handlers only through real settings", () => {
    for (const block of blocks.filter((b) => b.lang === "json")) {
      for (const key of Object.keys(JSON.parse(block.code))) expect(CONFIG_KEYS).toContain(key);
    }
    for (const block of blocks.filter((b) => b.lang === "sh")) {
      for (const [, name] of block.code.matchAll(/\b([A-Z][A-Z_]+)=/g)) expect(CONFIG_KEYS).toContain(name);
    }
  });

  it("lists every PermissionHandler method in the return-type table", async () => {
    const { PermissionHandler } = await import("../src/permissions/permission-handler.js");
    const methods = Object.getOwnPropertyNames(PermissionHandler.prototype).filter((name) => name !== "constructor");
    for (const method of methods) expect(guide).toContain(`| \`${method}(`);
  });
});

describe("docs/event-handler.md", () => {
  const eventGuide = readFileSync("docs/event-handler.md", "utf8");
  const blocks = codeBlocks(eventGuide);

  it("shows both examples exactly as the files the tests run, and no other TypeScript", () => {
    const included = blocks.filter((block) => block.include).map((block) => block.include);
    expect(included).toEqual(["examples/event-handlers/webhook-sender.ts", "examples/event-handlers/push-to-offline.ts"]);
    for (const block of blocks.filter((b) => b.include)) expect(block.code).toBe(readFileSync(block.include!, "utf8"));
    expect(blocks.filter((block) => block.lang === "ts" && !block.include)).toEqual([]);
  });

  it("registers handlers only through real settings or the variables the example reads", () => {
    const exampleVariables = [...readFileSync("examples/event-handlers/webhook-sender.ts", "utf8").matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]);
    expect(exampleVariables).toEqual(["CHAT_WEBHOOK_URL", "CHAT_WEBHOOK_SECRET"]);
    for (const block of blocks.filter((b) => b.lang === "json")) {
      for (const key of Object.keys(JSON.parse(block.code))) expect(CONFIG_KEYS).toContain(key);
    }
    for (const block of blocks.filter((b) => b.lang === "sh")) {
      for (const [, name] of block.code.matchAll(/\b([A-Z][A-Z_]+)=/g)) expect([...CONFIG_KEYS, ...exampleVariables]).toContain(name);
    }
  });
});

describe("README event handler section", () => {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf("## Event handler\n");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));

  it("lists every ChatEventHandler method, and only those", async () => {
    const { ChatEventHandler } = await import("../src/events/chat-event-handler.js");
    const methods = Object.getOwnPropertyNames(ChatEventHandler.prototype).filter((name) => name !== "constructor");
    expect(methods.sort()).toEqual([...CHAT_EVENT_METHODS].sort());
    const documented = [...section.matchAll(/^\| `(on[A-Za-z]+)\(event\)` \|/gm)].map((match) => match[1]);
    expect(documented).toEqual([...CHAT_EVENT_METHODS]);
  });

  it("registers handlers only through real settings", () => {
    for (const block of codeBlocks(section).filter((b) => b.lang === "json")) {
      for (const key of Object.keys(JSON.parse(block.code))) expect(CONFIG_KEYS).toContain(key);
    }
    for (const block of codeBlocks(section).filter((b) => b.lang === "sh")) {
      for (const [, name] of block.code.matchAll(/\b([A-Z][A-Z_]+)=/g)) expect(CONFIG_KEYS).toContain(name);
    }
  });
});

describe("README configuration table", () => {
  it("lists exactly the settings the server reads", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual([...CONFIG_KEYS, "CHAT_CONFIG"].sort());
  });
});
