// The server process as an operator runs it: whatever a client sends, its output stays one JSON
// line per entry (log shippers parse it), and SIGTERM ends it within SHUTDOWN_TIMEOUT_MS, also
// when nobody reads its output anymore (pipes closed, or full) and clients do not cooperate.
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { signToken } from "../src/auth/authenticate.js";
import { createTestDatabase, dropTestDatabases } from "./harness/databases.js";
import { createGroup, sendMessage, signIn } from "./harness/fixtures.js";
import { remoteServer, startServerProcess, type ServerProcess } from "./harness/process.js";

const started: ServerProcess[] = [];
afterAll(async () => {
  // A test that failed may leave its server running.
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await dropTestDatabases();
});

/** A server process on a fresh SQLite database; `exited` resolves with its exit code. */
async function startServer(env: Record<string, string> = {}) {
  const secret = randomBytes(16).toString("hex");
  const database = await createTestDatabase("sqlite");
  const server = await startServerProcess({ JWT_SECRET: secret, DATABASE_URL: database.url, DATA_DIR: database.dir, ...env });
  started.push(server);
  const exited = new Promise<number | null>((done) => server.child.once("exit", (code) => done(code)));
  return { ...server, secret, exited, remote: remoteServer(server.url, secret) };
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

describe("shutdown", () => {
  it("ends within SHUTDOWN_TIMEOUT_MS after its output pipes closed, with clients that do not cooperate", async () => {
    const server = await startServer({ SHUTDOWN_TIMEOUT_MS: "2000" });
    await signIn(server.remote, "ann", "ben");
    const roomId = await createGroup(server.remote, "ann", ["ben"]);

    // A subscriber that stops reading: it never answers the server's close frame.
    const { socket } = await openSocket(server.url, await server.remote.token("ben"));
    const query = `subscription($r: ID!) { messageAdded(roomId: $r) { id } }`;
    socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables: { r: roomId } } }));
    // Subscribed once a message sent now reaches it.
    const delivered = new Promise((resolve) => socket.on("message", resolve));
    await expect.poll(async () => {
      await sendMessage(server.remote, "ann", roomId, "ping");
      return Promise.race([delivered.then(() => true), new Promise((resolve) => setTimeout(resolve, 200, false))]);
    }, { timeout: 10_000 }).toBe(true);
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    // A request whose body never finishes arriving: in flight until the server cuts it.
    const inFlight = request(server.url, { method: "POST", headers: { "content-type": "application/json", "content-length": "100" } });
    inFlight.on("error", () => {});
    inFlight.write('{"query":');
    await new Promise((resolve) => setTimeout(resolve, 200));

    // The parent is gone: every write to stdout or stderr fails from now on (EPIPE).
    server.child.stdout!.destroy();
    server.child.stderr!.destroy();
    const killedAt = Date.now();
    server.child.kill("SIGTERM");
    const code = await server.exited;
    // Within the timeout, give or take the process's own start of shutdown and exit.
    expect(Date.now() - killedAt).toBeLessThan(2_000 + 1_500);
    // It finished its shutdown (cutting what hung) instead of crashing on a failed write.
    expect(code).toBe(0);
    socket.terminate();
  }, 60_000);

  it("ends within SHUTDOWN_TIMEOUT_MS when nobody reads its output anymore", async () => {
    const server = await startServer({ SHUTDOWN_TIMEOUT_MS: "2000", LOG_LEVEL: "debug" });
    // The parent stops reading: once the pipe is full, every write the server makes waits.
    server.child.stdout!.pause();
    server.child.stderr!.pause();
    const origin = new URL(server.url).origin;
    // Each answered request writes a log line (with its 128-character request id): far more than a pipe holds.
    const requestId = "r".repeat(128);
    for (let round = 0; round < 40; round++) {
      await Promise.all(Array.from({ length: 20 }, () => fetch(`${origin}/health`, { headers: { "x-request-id": requestId } }).then((response) => response.text())));
    }
    const killedAt = Date.now();
    server.child.kill("SIGTERM");
    const code = await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 15_000, "still running"))]);
    expect(code).toBe(0);
    expect(Date.now() - killedAt).toBeLessThan(2_000 + 1_500);
  }, 60_000);
});
