// A send reads and writes the same rows for a room of 2 and of 300 members: the permission check
// reads the sender's own membership, the insert touches the room and the message, and new-message
// notifications are derived from positions instead of stored per member. Only delivery grows
// with the room (see delivery-cost.test.ts).
import { afterAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "./harness/databases.js";
import { createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const ADD = `mutation($r: ID!, $u: [ID!]!) { addMembers(roomId: $r, userIds: $u) { memberCount } }`;

/** A group of `size` members created by "owner", each of whom has signed in. */
async function groupOf(server: TestServer, size: number, prefix: string): Promise<string> {
  const others = Array.from({ length: size - 1 }, (_, i) => `${prefix}-${i}`);
  await signIn(server, ...others);
  const roomId = await createGroup(server, "owner", others.slice(0, 99), { maxParticipants: Math.max(size, 2) });
  for (let start = 99; start < others.length; start += 100) {
    await ok(server, "owner", ADD, { r: roomId, u: others.slice(start, start + 100) });
  }
  return roomId;
}

describe.each(PROVIDERS)("send cost on %s", (provider) => {
  it("issues the same statements and writes the same rows for rooms of 2 and 300 members", async () => {
    const statements: string[] = [];
    const server = await startTestServer(provider, { onQuery: (sql) => statements.push(sql) });
    await signIn(server, "owner");
    const small = await groupOf(server, 2, "small");
    const large = await groupOf(server, 300, "large");
    const { db } = server.server;

    async function costOf(roomId: string) {
      // Warm: the sender's access is then known, as it is for anyone who sent before.
      await sendMessage(server, "owner", roomId, "warm-up");
      const notificationsBefore = await db.notification.count();
      statements.length = 0;
      await sendMessage(server, "owner", roomId, "counted");
      const sent = [...statements];
      return { statements: sent, notificationsWritten: (await db.notification.count()) - notificationsBefore };
    }

    const two = await costOf(small);
    const threeHundred = await costOf(large);
    expect(two.statements.length).toBeGreaterThan(0);
    expect(threeHundred.statements).toEqual(two.statements);
    // Only the store: SQLite reads the room's seq and version, inserts, and points the room at the
    // message; PostgreSQL does all of it in one statement. The room and the sender's access were
    // remembered from the warm-up (the insert checks the room's accessVersion).
    expect(two.statements).toHaveLength(provider === "sqlite" ? 3 : 1);
    expect(two.notificationsWritten).toBe(0);
    expect(threeHundred.notificationsWritten).toBe(0);
    // Every member but the sender has the message as a (derived) notification all the same.
    const NOTIFIED = `{ notifications(first: 5) { edges { node { type message { content } } } } }`;
    for (const member of ["small-0", "large-0", "large-298"]) {
      const { notifications } = await ok(server, member, NOTIFIED);
      expect(notifications.edges[0].node).toEqual({ type: "NEW_MESSAGE", message: { content: "counted" } });
    }
  });
});
