// A query within the limits succeeds on both databases however many rows its page asks for at
// once: batched lookups stay within the bind parameters SQLite and PostgreSQL take.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "./harness/databases.js";
import { ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const ROOMS = 5;
/** The creator and 99 others: a full group of the default size. */
const OTHERS = Array.from({ length: 99 }, (_, i) => `member-${String(i).padStart(2, "0")}`);
/** Admins besides the creator, in each group. */
const ADMINS = OTHERS.slice(0, 7);

const MEMBER_ROLES = `{
  rooms(first: ${ROOMS}) { edges { node {
    id viewerRole unreadCount
    members(first: 100) { edges { node { role user { id } } } }
  } } }
}`;

/** 15 pages of 100 messages (cost 4,500), each message asking whether the viewer read it. */
const READ_MARKS = `query($r: ID!) {
  ${Array.from({ length: 15 }, (_, i) => `p${i}: messages(roomId: $r, last: 100) { edges { node { id readByViewer } } }`).join("\n  ")}
}`;

describe.each(PROVIDERS)("batched lookups on %s", (provider) => {
  let server: TestServer;
  let firstRoom: string;
  let queries = 0;
  beforeAll(async () => {
    server = await startTestServer(provider, { onQuery: () => queries++ });
    await signIn(server, "ann");
    // Users exist once they signed in; 99 sign-ins would only slow the test down.
    await server.server.db.user.createMany({ data: OTHERS.map((id) => ({ id, username: id })) });
    for (let room = 0; room < ROOMS; room++) {
      const data = await ok(server, "ann", `mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }`, {
        input: { name: `group ${room}`, participantIds: OTHERS },
      });
      await ok(server, "ann", `mutation($r: ID!, $u: [ID!]!) { addAdmins(roomId: $r, userIds: $u) { id } }`, {
        r: data.createGroupChat.id,
        u: ADMINS,
      });
      firstRoom ??= data.createGroupChat.id;
    }
  }, 60_000);

  it(`answers the role of every member of ${ROOMS} full groups in one query`, async () => {
    queries = 0;
    const result = await server.gql("ann", MEMBER_ROLES);
    // The handler is asked for each of the 505 roles; its reads are batched, not one per member.
    expect(queries).toBeLessThan(100);
    expect(result.errors).toBeUndefined();
    const rooms = result.data!.rooms.edges.map((edge: any) => edge.node);
    expect(rooms).toHaveLength(ROOMS);
    for (const room of rooms) {
      expect(room).toMatchObject({ viewerRole: "CREATOR", unreadCount: 0 });
      const roles = new Map<string, string>(room.members.edges.map((edge: any) => [edge.node.user.id, edge.node.role]));
      expect(roles.size).toBe(100);
      expect(roles.get("ann")).toBe("CREATOR");
      for (const id of OTHERS) expect(roles.get(id)).toBe(ADMINS.includes(id) ? "ADMIN" : "MEMBER");
    }
  });

  it("answers, in 15 aliased pages of 100 messages, which ones the viewer read", async () => {
    const sent: string[] = [];
    for (let i = 0; i < 100; i++) {
      const data = await ok(server, OTHERS[i % 3]!, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`, {
        input: { roomId: firstRoom, content: `message ${i}` },
      });
      sent.push(data.sendMessage.id);
    }
    const read = sent.filter((_, i) => i % 10 === 0);
    await ok(server, "ann", `mutation($m: [ID!]!) { markRead(messageIds: $m) { id } }`, { m: read });
    const result = await server.gql("ann", READ_MARKS, { r: firstRoom });
    expect(result.errors).toBeUndefined();
    for (let page = 0; page < 15; page++) {
      const marks = result.data![`p${page}`].edges.map((edge: any) => [edge.node.id, edge.node.readByViewer]);
      expect(marks).toEqual(sent.map((id) => [id, read.includes(id)]));
    }
  }, 60_000);
});
