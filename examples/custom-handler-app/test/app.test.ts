// The application's own test: its policy holds through the GraphQL API.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import type { ChatServer } from "realtime-chat-graphql";
import { startApp } from "../src/server.js";
import { expectArchivePolicy } from "./archive-policy.js";

const secret = "example-secret";
let server: ChatServer;
let url: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "custom-handler-app-"));
  ({ server, url } = await startApp({ PORT: 0, DATA_DIR: dir, DATABASE_URL: `file:${join(dir, "chat.db")}`, JWT_SECRET: secret, LOG_LEVEL: "silent" }));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("refuses messages in archived rooms and lets staff read any room", () => expectArchivePolicy(url, secret));
