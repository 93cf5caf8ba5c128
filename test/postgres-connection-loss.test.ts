// PostgreSQL ending the server's connections under load (as a restart of PostgreSQL does) fails
// the statements in flight and nothing more: the process stays up and sends succeed again on new
// connections. Only this test's own connections are ended (found by their application_name),
// never anyone else's. (npm run chaos saw an instance crash on a PostgreSQL restart.)
import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createTestDatabase, POSTGRES_URL, PROVIDERS } from "./harness/databases.js";
import { connectWs } from "./harness/clients.js";
import { createGroup, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

afterAll(stopTestServers);

const SEND = `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`;

describe.runIf(PROVIDERS.includes("postgresql"))("PostgreSQL ending the server's connections", () => {
  it("does not crash the server while sends are batched, and sends succeed afterwards", { timeout: 60_000 }, async () => {
    const database = await createTestDatabase("postgresql");
    const applicationName = `rcg-conn-loss-${Math.random().toString(36).slice(2)}`;
    const url = new URL(database.url);
    url.searchParams.set("application_name", applicationName);
    const server = await startTestServer("postgresql", { database: { ...database, url: url.toString() } });
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);

    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", record);
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      // Concurrent sends share transactions (group commit) on checked-out connections; ending
      // the connections again and again lands between two statements of such a transaction.
      const deadline = Date.now() + 5_000;
      let round = 0;
      while (Date.now() < deadline && uncaught.length === 0) {
        round += 1;
        const sends = Array.from({ length: 20 }, (_, i) => server.gql("ann", SEND, { r: roomId, c: `r${round}-${i}` }));
        for (let i = 0; i < 5; i++) {
          await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await Promise.allSettled(sends);
      }
      expect(uncaught.map(String)).toEqual([]);
      // New connections serve the next send.
      let seq: number | undefined;
      for (let attempt = 0; attempt < 20 && seq === undefined; attempt++) {
        seq = (await server.gql("ann", SEND, { r: roomId, c: "after" })).data?.sendMessage?.seq;
      }
      expect(seq).toBeGreaterThan(0);
    } finally {
      process.off("uncaughtException", record);
      await admin.end();
    }
  });

  it("closes a WebSocket with 1013, not 4401, when signing in fails on the database's side", { timeout: 60_000 }, async () => {
    const server = await startTestServer("postgresql");
    const schema = new URL(server.database.url).searchParams.get("schema")!;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      // The users table out of reach: what a client sees while the database fails, for a token
      // that is valid (4401 would tell it to throw the token away).
      await admin.query(`ALTER TABLE "${schema}"."User" RENAME TO "UserAway"`);
      const refused = await connectWs(server, "dora");
      expect(await refused.closed).toEqual({ code: 1013, reason: "Try again later" });
      await admin.query(`ALTER TABLE "${schema}"."UserAway" RENAME TO "User"`);
      const admitted = await connectWs(server, "dora");
      const stillOpen = await Promise.race([
        admitted.closed.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 500)),
      ]);
      expect(stillOpen).toBe(true);
      await admitted.dispose();
    } finally {
      await admin.end();
    }
  });
});
