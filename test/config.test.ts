import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

const emptyDir = () => mkdtempSync(join(tmpdir(), "rcg-config-"));

describe("configuration", () => {
  it("defaults to an embedded SQLite database under ./data on 127.0.0.1:4000", () => {
    const config = loadConfig({}, {}, emptyDir());
    expect(config).toMatchObject({
      PORT: 4000,
      HOST: "127.0.0.1",
      DATA_DIR: "./data",
      DATABASE_URL: "file:./data/chat.db",
      MESSAGE_SOFT_DELETE: false,
      ENABLE_NOTIFICATIONS: true,
    });
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.JWT_SECRET).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads chat.config.json and lets the environment win over it", () => {
    const dir = emptyDir();
    writeFileSync(join(dir, "chat.config.json"), JSON.stringify({ PORT: 5000, HOST: "0.0.0.0", MESSAGE_SOFT_DELETE: true }));
    const config = loadConfig({}, { PORT: "6000" }, dir);
    expect(config.PORT).toBe(6000);
    expect(config.HOST).toBe("0.0.0.0");
    expect(config.MESSAGE_SOFT_DELETE).toBe(true);
  });

  it("places the default database inside DATA_DIR", () => {
    expect(loadConfig({}, { DATA_DIR: "/var/chat" }, emptyDir()).DATABASE_URL).toBe("file:/var/chat/chat.db");
  });

  it("reads the file named by CHAT_CONFIG and names a missing one", () => {
    const dir = emptyDir();
    writeFileSync(join(dir, "custom.json"), JSON.stringify({ DATABASE_URL: "postgresql://u@h/db" }));
    expect(loadConfig({}, { CHAT_CONFIG: "custom.json" }, dir).DATABASE_URL).toBe("postgresql://u@h/db");
    expect(() => loadConfig({}, { CHAT_CONFIG: "absent.json" }, dir)).toThrow(/CHAT_CONFIG names .*absent\.json/);
  });

  it("reads each write budget and the Redis key prefix, with documented defaults", () => {
    const defaults = loadConfig({}, {}, emptyDir());
    expect(defaults).toMatchObject({ RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE: 10, RATE_LIMIT_KEY_PREFIX: "chat:ratelimit:" });
    const set = loadConfig({}, { RATE_LIMIT_EDITS_PER_MINUTE: "5", RATE_LIMIT_KEY_PREFIX: "staging:" }, emptyDir());
    expect(set).toMatchObject({ RATE_LIMIT_EDITS_PER_MINUTE: 5, RATE_LIMIT_KEY_PREFIX: "staging:" });
    expect(() => loadConfig({}, { RATE_LIMIT_MEMBERSHIP_PER_MINUTE: "0" }, emptyDir())).toThrow(/RATE_LIMIT_MEMBERSHIP_PER_MINUTE must be an integer from 1/);
  });

  it("reads the event handler and presence settings, with documented defaults and bounds", () => {
    const defaults = loadConfig({}, {}, emptyDir());
    expect(defaults).toMatchObject({
      EVENT_HANDLER_TIMEOUT_MS: 10_000,
      EVENT_HANDLER_QUEUE_LIMIT: 10_000,
      PRESENCE_GRACE_MS: 5_000,
      PRESENCE_TTL_MS: 30_000,
    });
    expect(defaults.EVENT_HANDLER).toBeUndefined();
    const set = loadConfig({}, { EVENT_HANDLER: "./dist/hooks.js#Hooks", PRESENCE_TTL_MS: "1000" }, emptyDir());
    expect(set).toMatchObject({ EVENT_HANDLER: "./dist/hooks.js#Hooks", PRESENCE_TTL_MS: 1_000 });
    expect(() => loadConfig({}, { PRESENCE_TTL_MS: "150" }, emptyDir())).toThrow(/PRESENCE_TTL_MS must be an integer from 1000 to/);
    expect(() => loadConfig({}, { EVENT_HANDLER_QUEUE_LIMIT: "0" }, emptyDir())).toThrow(/EVENT_HANDLER_QUEUE_LIMIT must be an integer from 1/);
  });

  it("names the variable in every error", () => {
    const dir = emptyDir();
    expect(() => loadConfig({}, { PORT: "http" }, dir)).toThrow(/PORT must be an integer/);
    expect(() => loadConfig({}, { DATABASE_URL: "mysql://x" }, dir)).toThrow(/DATABASE_URL must start with/);
    expect(() => loadConfig({}, { MESSAGE_SOFT_DELETE: "maybe" }, dir)).toThrow(/MESSAGE_SOFT_DELETE must be true or false/);
    writeFileSync(join(dir, "chat.config.json"), JSON.stringify({ PROT: 1 }));
    expect(() => loadConfig({}, {}, dir)).toThrow(/unknown key "PROT"/);
  });
});
