// The server process as an operator runs it: whatever a client sends, its output stays one JSON
// line per entry (log shippers parse it).
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { signToken } from "../src/auth/authenticate.js";
import { createTestDatabase, dropTestDatabases } from "./harness/databases.js";
import { startServerProcess, type ServerProcess } from "./harness/process.js";

afterAll(dropTestDatabases);

/** A server process on a fresh SQLite database; `exited` resolves with its exit code. */
async function startServer(env: Record<string, string> = {}) {
  const secret = randomBytes(16).toString("hex");
  const database = await createTestDatabase("sqlite");
  const started = await startServerProcess({ JWT_SECRET: secret, DATABASE_URL: database.url, DATA_DIR: database.dir, ...env });
  const exited = new Promise<number | null>((done) => started.child.once("exit", (code) => done(code)));
  return { ...started, secret, exited };
}

/** A raw graphql-transport-ws socket past connection_init, so a test controls every frame. */
async function openSocket(url: string, token: string): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
  await new Promise((resolve) => socket.once("message", resolve));
  return { socket, closed };
}

/** The lines the server wrote after it started (the plain-text start banner comes before). */
function linesAfterStart(server: ServerProcess): string[] {
  const lines = server.output().split("\n").filter((line) => line.length > 0);
  return lines.slice(lines.findIndex((line) => line.includes('"msg":"listening"')) + 1);
}

describe("server process output", () => {
  it("stays JSON lines when clients send an oversized or an invalid UTF-8 frame (closed with 1009, 1007)", async () => {
    const server = await startServer();
    const token = await signToken(server.secret, { sub: "ann" });

    const oversized = await openSocket(server.url, token);
    oversized.socket.send("x".repeat(2 * 1024 * 1024));
    expect((await oversized.closed).code).toBe(1009);

    const invalid = await openSocket(server.url, token);
    // A text frame whose bytes are not UTF-8 (ws sends a Buffer as it is).
    invalid.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await invalid.closed).code).toBe(1007);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const lines = linesAfterStart(server);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    // Each was logged as one short warning: the client's fault, so without ws's stack.
    const refused = lines.map((line) => JSON.parse(line)).filter((entry) => String(entry.msg).startsWith("websocket:"));
    expect(refused.map(({ level, wsError, err }) => ({ level, wsError, err }))).toEqual([
      { level: 40, wsError: "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", err: undefined },
      { level: 40, wsError: "WS_ERR_INVALID_UTF8", err: undefined },
    ]);
  }, 60_000);
});
