// Permissions are remembered per instance but never outlive a change: every change of who may do
// what bumps the room's accessVersion in its own transaction, each check reads the room fresh
// (a send may start from this instance's last snapshot of it), and a send is stored only if the
// version it was allowed on is still current.
import { afterAll, describe, expect, it } from "vitest";
import { PermissionHandler, type Room, type User } from "../src/index.js";
import { removeMembers } from "../src/db/memberships.js";
import type { SendMessageData } from "../src/permissions/permission-helpers.js";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { codeOf, createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const SEND = `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`;
const HISTORY = `query($r: ID!) { messages(roomId: $r, last: 50) { edges { node { content } } } }`;

async function contents(server: TestServer, userId: string, roomId: string): Promise<string[]> {
  const data = await ok(server, userId, HISTORY, { r: roomId });
  return data.messages.edges.map((edge: any) => edge.node.content);
}

describe.each(PROVIDERS)("access versions on %s", (provider) => {
  it("refuses a removed member's next send and read at once, though their access was cached", async () => {
    const server = await startTestServer(provider);
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    await sendMessage(server, "ben", roomId, "cached now");
    await ok(server, "ann", `mutation($r: ID!) { removeMember(roomId: $r, userId: "ben") { id } }`, { r: roomId });
    // No longer a member of a private group: to ben it is as if it did not exist.
    expect(await codeOf(server, "ben", SEND, { r: roomId, c: "too late" })).toBe("NOT_FOUND");
    expect(await codeOf(server, "ben", HISTORY, { r: roomId })).toBe("NOT_FOUND");
    // Typing stores nothing, so nothing re-checks it later: it is decided on a fresh room row.
    expect(await codeOf(server, "ben", `mutation($r: ID!) { setTyping(roomId: $r) }`, { r: roomId })).toBe("NOT_FOUND");
    // Locking the group is a change of permissions too.
    await ok(server, "ann", `mutation($r: ID!) { addMember(roomId: $r, userId: "ben") { id } }`, { r: roomId });
    await sendMessage(server, "ben", roomId, "back");
    await ok(server, "ann", `mutation($r: ID!) { updateRoom(roomId: $r, input: { locked: true }) { id } }`, { r: roomId });
    expect(await codeOf(server, "ben", SEND, { r: roomId, c: "locked out" })).toBe("FORBIDDEN");
  });

  it("decides again when the room changed between the check and the insert", async () => {
    // The handler allows, then (as a concurrent request could) the member is removed before the
    // message is stored: the insert sees a newer accessVersion, asks again, and is refused.
    let db: TestServer["server"]["db"] | null = null;
    let removeAfterCheck = true;
    class RemovedMeanwhile extends PermissionHandler {
      override async haveSendMessagePermission(user: User, data: SendMessageData): Promise<[boolean, Room]> {
        const answer = await super.haveSendMessagePermission(user, data);
        if (removeAfterCheck && user.id === "ben") {
          removeAfterCheck = false;
          await removeMembers(db!, answer[1].id, "ann", ["ben"]);
        }
        return answer;
      }
    }
    const server = await startTestServer(provider, { database: await createTestDatabase(provider), permissionHandler: RemovedMeanwhile });
    db = server.server.db;
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    expect(await codeOf(server, "ben", SEND, { r: roomId, c: "raced" })).toBe("NOT_FOUND");
    expect(await contents(server, "ann", roomId)).toEqual([]);
  });
});

describe.runIf(PROVIDERS.includes("postgresql"))("access versions across instances", () => {
  it("refuses on one instance what another instance revoked, with no event between them", async () => {
    // No Redis: nothing tells instance b about the change but the database itself.
    const database = await createTestDatabase("postgresql");
    const a = await startTestServer("postgresql", { database });
    const b = await startTestServer("postgresql", { database });
    await signIn(a, "ann", "ben");
    await signIn(b, "ann", "ben");
    const roomId = await createGroup(a, "ann", ["ben"]);
    await sendMessage(b, "ben", roomId, "from b");
    await ok(a, "ann", `mutation($r: ID!) { removeMember(roomId: $r, userId: "ben") { id } }`, { r: roomId });
    expect(await codeOf(b, "ben", SEND, { r: roomId, c: "revoked on a" })).toBe("NOT_FOUND");
    expect(await contents(a, "ann", roomId)).toEqual(["from b"]);
  });
});
