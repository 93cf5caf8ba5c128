import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { signToken } from "../src/auth/authenticate.js";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { startServerProcess } from "./harness/process.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

afterAll(stopTestServers);

const INTROSPECTION = "{ __schema { queryType { name } types { name } } }";

describe.each(PROVIDERS)("server on %s", (provider) => {
  it("answers /health and serves introspection", async () => {
    const { origin, gql } = await startTestServer(provider);
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(200);
    const result = await gql(null, INTROSPECTION);
    expect(result.errors).toBeUndefined();
    expect(result.data?.__schema.queryType.name).toBe("Query");
  });

  it("identifies the caller by a signed bearer token and refuses a forged one", async () => {
    const { gql, url, secret } = await startTestServer(provider);
    expect((await gql(null, "{ viewer { id } }")).data).toEqual({ viewer: null });
    expect((await gql("alice", "{ viewer { id username isStaff } }")).data).toEqual({
      viewer: { id: "alice", username: "alice", isStaff: false },
    });
    const forged = await signToken(`${secret}-other`, { sub: "alice" });
    const expired = await signToken(secret, { sub: "alice" }, "-1m");
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"alice"}').toString("base64url")}.`;
    // Correctly signed but valid forever: refused (README Authentication).
    const noExpiry = await new SignJWT({ name: "alice" }).setProtectedHeader({ alg: "HS256" }).setSubject("alice").sign(new TextEncoder().encode(secret));
    for (const token of [forged, expired, unsigned, noExpiry, "not-a-jwt"]) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });
      // 401 with a Bearer challenge: what clients' token-refresh logic looks for.
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      const body = (await response.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
      expect(body.data ?? null).toBeNull();
      expect(body.errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
    }
  });

  it("keeps its data across a restart on the same database", async () => {
    const database = await createTestDatabase(provider);
    const first = await startTestServer(provider, { database });
    await first.gql("bob", "{ viewer { id } }");
    await first.server.stop();
    const second = await startTestServer(provider, { database });
    expect(await second.server.db.user.findUnique({ where: { id: "bob" } })).toMatchObject({ username: "bob" });
  });
});

describe("npm start with no configuration", () => {
  const startProcess = (cwd: string) => startServerProcess({}, cwd);

  async function stopProcess(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    return exited;
  }

  it("creates ./data, serves, and keeps the data on a second start", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "rcg-start-"));
    const first = await startProcess(cwd);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect((await fetch(new URL("/health", first.url))).status).toBe(200);
    const secret = readFileSync(join(cwd, "data", "jwt-secret"), "utf8").trim();
    const token = await signToken(secret, { sub: "carol" });
    const response = await fetch(first.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    });
    expect(await response.json()).toEqual({ data: { viewer: { id: "carol" } } });
    expect(await stopProcess(first.child)).toBe(0);

    expect(existsSync(join(cwd, "data", "chat.db"))).toBe(true);
    const second = await startProcess(cwd);
    const introspection = await fetch(second.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: INTROSPECTION }),
    });
    expect(((await introspection.json()) as any).data.__schema.queryType.name).toBe("Query");
    expect(await stopProcess(second.child)).toBe(0);
    const db = new Database(join(cwd, "data", "chat.db"), { readonly: true });
    expect(db.prepare(`SELECT username FROM "User" WHERE id = ?`).get("carol")).toEqual({ username: "carol" });
    db.close();
  });
});
