// The server side of measure-connections.ts, run in its own process (forked by harness.ts with
// --expose-gc) so that its heap is not mixed with the clients'. It answers requests over the IPC
// channel: heap after a full GC, subscriber counts, a heap snapshot.
// It runs the compiled server (dist/, `npx tsc`), as `npm start` does: tsx compiles with esbuild's
// keepNames, which gives every closure an own `name` property and inflates the heap per closure.
// MEASURE_DIST names another compiled tree (e.g. of an older commit) to compare with.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeHeapSnapshot } from "node:v8";
import type * as ChatServerModule from "../../src/chat-server.js";
import { RATE_LIMIT_DEFAULTS } from "../../src/config.js";

export type Request =
  | { type: "heap" }
  | { type: "viewers"; userIds: string[] }
  | { type: "listeners"; roomId: string }
  | { type: "snapshot"; path: string }
  | { type: "stop" };

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

async function main(): Promise<void> {
  const dist = process.env.MEASURE_DIST ? pathToFileURL(`${process.env.MEASURE_DIST}/`) : new URL("../../dist/", import.meta.url);
  const compiled = new URL("chat-server.js", dist).href;
  const { createChatServer } = (await import(compiled)) as typeof ChatServerModule;
  const dataDir = mkdtempSync(join(tmpdir(), "rcg-measure-"));
  const server = await createChatServer({
    PORT: 0,
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.MEASURE_DATABASE_URL ?? `file:${join(dataDir, "chat.db")}`,
    JWT_SECRET: process.env.MEASURE_SECRET ?? "measure-secret",
    LOG_LEVEL: "warn",
    // Connections are measured, not the per-user limits.
    ...Object.fromEntries(Object.keys(RATE_LIMIT_DEFAULTS).map((key) => [key, 1_000_000])),
    MAX_SUBSCRIPTIONS_PER_CONNECTION: 50,
  });
  const { url } = await server.start();

  const answer = async (request: Request): Promise<unknown> => {
    switch (request.type) {
      case "heap":
        // Several passes: weak references and finalizers free more on the next one.
        for (let i = 0; i < 4; i++) {
          gc!();
          await new Promise((resolve) => setImmediate(resolve));
        }
        return process.memoryUsage();
      case "viewers":
        return request.userIds.filter((id) => server.realtime.userListenerCount(id) > 0).length;
      case "listeners":
        return server.realtime.listenerCount(request.roomId);
      case "snapshot":
        return writeHeapSnapshot(request.path);
      case "stop":
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
        setImmediate(() => process.exit(0));
        return null;
    }
  };
  process.on("message", (message: { id: number; request: Request }) => {
    answer(message.request).then(
      (value) => process.send!({ id: message.id, value }),
      (error: unknown) => process.send!({ id: message.id, error: String(error) }),
    );
  });
  process.send!({ id: 0, value: url });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
