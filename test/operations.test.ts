// Operating the server: /ready, /metrics, JSON logs with request ids, the seed-demo command, the
// built CLI, and a graceful shutdown of the real process on SIGTERM.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { connectSse, connectWs, waitForListeners } from "./harness/clients.js";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { createGroup, sendMessage, signIn } from "./harness/fixtures.js";
import { remoteServer, startServerProcess } from "./harness/process.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const root = resolve(".");
const tsxLoader = pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href;
const run = promisify(execFile);

const MESSAGE_ADDED = `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { seq content } }`;

async function ready(server: TestServer): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.origin}/ready`);
  return { status: response.status, body: await response.json() };
}

/** One sample of a Prometheus text exposition, e.g. `name{a="b"}` (label order as written). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(PROVIDERS)("/ready on %s", (provider) => {
  it("answers 200 when the database answers", async () => {
    const server = await startTestServer(provider);
    expect(await ready(server)).toEqual({ status: 200, body: { status: "ready" } });
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);
  });
});

describe("/ready with Redis", () => {
  it("answers 200 when Redis answers PING", async () => {
    const server = await startTestServer("sqlite", { REDIS_URL });
    expect(await ready(server)).toEqual({ status: 200, body: { status: "ready" } });
  });

  it("starts without a reachable Redis, answers 503 naming it, and stops without hanging", async () => {
    const server = await startTestServer("sqlite", { REDIS_URL: "redis://127.0.0.1:1" });
    expect(await ready(server)).toEqual({
      status: 503,
      body: { status: "unavailable", failed: { redis: "unavailable" } },
    });
    // The process is up and serves what needs no fan-out.
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);
    expect((await server.gql("ann", "{ viewer { id } }")).data).toEqual({ viewer: { id: "ann" } });
    await server.server.stop();
  });

  it("answers 503 while stopping", async () => {
    const server = await startTestServer("sqlite");
    const request = server.server.yoga.fetch("http://localhost/ready");
    void server.server.stop();
    const response = await server.server.yoga.fetch("http://localhost/ready");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "stopping" });
    await request;
  });
});

describe("/metrics", () => {
  it("counts operations by type and outcome, errors by code, open subscriptions and deliveries", async () => {
    const server = await startTestServer("sqlite");
    const other = await startTestServer("sqlite");
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    await server.gql("ann", `{ room(id: "00000000-0000-4000-8000-000000000000") { id } }`);
    await server.gql("ann", "{ nope }");
    await server.gql("ann", "{ viewer {");

    const ben = await connectWs(server, "ben");
    const events = ben.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(server, roomId, 1);
    await sendMessage(server, "ann", roomId, "one");
    await sendMessage(server, "ann", roomId, "two");
    await events.waitFor(2);

    const response = await fetch(`${server.origin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    // signIn: 2 queries; the missing room and the unknown field: 2 with an error; createGroup and 2 sends:
    // 3 mutations; the document that does not parse: type unknown.
    expect(sample(text, `chat_graphql_requests_total{operation_type="query",outcome="success"}`)).toBe(2);
    expect(sample(text, `chat_graphql_requests_total{operation_type="query",outcome="error"}`)).toBe(2);
    expect(sample(text, `chat_graphql_requests_total{operation_type="mutation",outcome="success"}`)).toBe(3);
    expect(sample(text, `chat_graphql_requests_total{operation_type="subscription",outcome="success"}`)).toBe(1);
    expect(sample(text, `chat_graphql_errors_total{code="NOT_FOUND"}`)).toBe(1);
    expect(sample(text, `chat_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}`)).toBe(1);
    expect(sample(text, `chat_graphql_errors_total{code="GRAPHQL_PARSE_FAILED"}`)).toBe(1);
    expect(sample(text, `chat_graphql_requests_total{operation_type="unknown",outcome="error"}`)).toBe(1);
    expect(sample(text, `chat_subscriptions_open{subscription="messageAdded"}`)).toBe(1);
    expect(sample(text, `chat_subscription_events_delivered_total{subscription="messageAdded"}`)).toBe(2);
    expect(sample(text, `chat_graphql_request_duration_seconds_count{operation_type="mutation"}`)).toBe(3);
    expect(sample(text, "chat_realtime_watched_rooms")).toBe(1);
    expect(text).toContain("process_cpu_user_seconds_total");

    await ben.dispose();
    await expect.poll(async () => sample(await (await fetch(`${server.origin}/metrics`)).text(),
      `chat_subscriptions_open{subscription="messageAdded"}`)).toBe(0);

    // Another server in the same process keeps its own registry.
    const otherText = await (await fetch(`${other.origin}/metrics`)).text();
    expect(otherText).not.toContain(`chat_graphql_requests_total{operation_type="mutation"`);
  });
});

describe("logs", () => {
  function capture() {
    const lines: Array<Record<string, any>> = [];
    const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
    const logger = createLogger({ level: "info", destination });
    return { lines, logger };
  }

  it("echoes a sane x-request-id, replaces an insane one, and puts it on the request's log lines", async () => {
    const { lines, logger } = capture();
    const server = await startTestServer("sqlite", {
      logger,
      // An unexpected failure while authenticating: masked for the client, logged with the request id.
      authenticate: async ({ request }) => {
        if (request?.headers.get("x-fail")) throw new Error("identity provider is down: secret detail");
        return { id: "ann", username: "ann" };
      },
    });
    const post = (headers: Record<string, string>) =>
      fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });

    const fine = await post({ "x-request-id": "req-42.a:b" });
    expect(fine.headers.get("x-request-id")).toBe("req-42.a:b");
    expect(await fine.json()).toEqual({ data: { viewer: { id: "ann" } } });
    expect(lines).toContainEqual(
      expect.objectContaining({ reqId: "req-42.a:b", msg: "request handled", path: "/graphql", status: 200 }),
    );

    for (const insane of ["has space", "x".repeat(129), 'quote"d']) {
      const response = await post({ "x-request-id": insane });
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    const generated = (await fetch(`${server.origin}/health`)).headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    const failed = await post({ "x-request-id": "req-fail-1", "x-fail": "1" });
    const body = (await failed.json()) as any;
    expect(body.errors[0].message).toBe("Unexpected error.");
    expect(JSON.stringify(body)).not.toContain("secret detail");
    const errorLine = lines.find((line) => line.reqId === "req-fail-1" && line.level === 50);
    expect(errorLine?.err?.message).toContain("secret detail");
    // Every line of that request carries its id; no line carries another request's.
    expect(lines.filter((line) => line.reqId === "req-fail-1").length).toBeGreaterThanOrEqual(2);
  });

  it("is silent in tests unless asked", async () => {
    const server = await startTestServer("sqlite");
    expect(server.server.log.level).toBe("silent");
  });
});

describe("graceful shutdown", () => {
  it("lets an in-flight request finish before it closes", async () => {
    const server = await startTestServer("sqlite", {
      authenticate: async ({ request }) => {
        if (request?.headers.get("x-slow")) await new Promise((done) => setTimeout(done, 500));
        return { id: "ann", username: "ann" };
      },
    });
    const inFlight = fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-slow": "1" },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    });
    await new Promise((done) => setTimeout(done, 100));
    const stopped = server.server.stop();
    const response = await inFlight;
    expect(await response.json()).toEqual({ data: { viewer: { id: "ann" } } });
    await stopped;
  });

  it("on SIGTERM closes WebSockets with 1001, ends SSE streams and exits 0", async () => {
    const secret = randomBytes(16).toString("hex");
    const database = await createTestDatabase("sqlite");
    const { child, url, output } = await startServerProcess({
      JWT_SECRET: secret,
      DATABASE_URL: database.url,
      DATA_DIR: database.dir,
    });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const remote = remoteServer(url, secret);
    await signIn(remote, "ann", "ben");
    const roomId = await createGroup(remote, "ann", ["ben"]);

    const ws = await connectWs(remote, "ben");
    const wsEvents = ws.subscribe(MESSAGE_ADDED, { roomId });
    const sse = await connectSse(remote, "ann");
    const sseEvents = sse.subscribe(MESSAGE_ADDED, { roomId });
    // Both streams are live once both saw a message.
    await expect
      .poll(async () => {
        await sendMessage(remote, "ann", roomId, "ping");
        return wsEvents.results.length > 0 && sseEvents.results.length > 0;
      }, { timeout: 10_000, interval: 300 })
      .toBe(true);

    const killedAt = Date.now();
    child.kill("SIGTERM");
    expect((await ws.closed).code).toBe(1001);
    await sseEvents.waitForComplete();
    // The SSE stream completed (an `event: complete`), not cut: no error reached the client.
    expect(sseEvents.error).toBeUndefined();
    expect(await exited).toBe(0);
    // Nothing waited for the 10 s cut-off.
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    const logs = output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    expect(logs.map((line) => line.msg)).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
  });
});

describe("seed-demo", () => {
  const cli = (args: string[], env: Record<string, string>) =>
    run(process.execPath, ["--import", tsxLoader, join(root, "src/cli.ts"), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });

  it.each(PROVIDERS)("creates the demo once on %s; a token minted by the CLI reads it", async (provider) => {
    const database = await createTestDatabase(provider);
    const secret = randomBytes(16).toString("hex");
    const env = { DATABASE_URL: database.url, DATA_DIR: database.dir, JWT_SECRET: secret };
    const first = await cli(["seed-demo"], env);
    expect(first.stdout).toContain("demo data created");
    const second = await cli(["seed-demo"], env);
    expect(second.stdout).toContain("nothing added");
    const groupId = /group: +(\S+)/.exec(first.stdout)?.[1];
    expect(/group: +(\S+)/.exec(second.stdout)?.[1]).toBe(groupId);

    const token = (await cli(["token", "bob"], env)).stdout.trim();
    const server = await startTestServer(provider, { database, JWT_SECRET: secret });
    const demoRooms = { name: { in: ["Demo group", "Demo announcements"] } };
    expect(await server.server.db.room.count({ where: demoRooms })).toBe(2);
    expect(await server.server.db.message.count()).toBe(6);

    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `{ viewer { id username } rooms(first: 10) { edges { node { id kind lastMessage { seq } } } } }`,
      }),
    });
    const { data } = (await response.json()) as any;
    expect(data.viewer).toEqual({ id: "bob", username: "bob" });
    const rooms = data.rooms.edges.map((edge: any) => edge.node);
    expect(rooms.map((room: any) => room.kind).sort()).toEqual(["CHANNEL", "GROUP", "ONE_TO_ONE"]);
    expect(rooms.find((room: any) => room.id === groupId)?.lastMessage).toEqual({ seq: 3 });
    // The demo's messages notify as any send does: carol's group got 2 from others.
    const carol = (await cli(["token", "carol"], env)).stdout.trim();
    const notified = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${carol}` },
      body: JSON.stringify({ query: `{ notifications(first: 10) { edges { node { type } } } }` }),
    });
    const { notifications } = ((await notified.json()) as any).data;
    expect(notifications.edges.map((edge: any) => edge.node.type)).toEqual(["NEW_MESSAGE", "NEW_MESSAGE"]);
  }, 60_000);
});

describe("built CLI", () => {
  it("has a shebang and mints a token after npm run build", async () => {
    await run("npm", ["run", "build", "--silent"], { cwd: root });
    const cliFile = join(root, "dist/cli.js");
    expect(readFileSync(cliFile, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    const secret = randomBytes(16).toString("hex");
    const { stdout } = await run(process.execPath, [cliFile, "token", "dora", "--staff"], {
      cwd: root,
      env: { PATH: process.env.PATH, JWT_SECRET: secret },
    });
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(secret));
    expect(payload).toMatchObject({ sub: "dora", staff: true });
    const usage = await run(process.execPath, [cliFile, "help"], { cwd: root }).catch((error) => error);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("seed-demo");
  }, 120_000);
});
