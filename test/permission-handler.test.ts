// The seed page's examples, registered the three ways an application can (PERMISSION_HANDLER in
// the environment, the config file, the createChatServer option), the roles a handler shows, and
// the guarantees of the scope layer: one handler call per check and argument per request, none
// for anonymous callers.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createChatServer, PermissionHandler, type MemberRole, type Room, type User } from "../src/index.js";
import { CustomPermissionHandler as ManagersHandler } from "../examples/permission-handlers/renamed-admin-relation.js";
import { PROVIDERS } from "./harness/databases.js";
import { codeOf, createChannel, createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const SEND = `mutation($roomId: ID!) { sendMessage(input: { roomId: $roomId, content: "hello" }) { id sender { id } } }`;
const ADD = `mutation($roomId: ID!, $userId: ID!) { addMember(roomId: $roomId, userId: $userId) { memberCount } }`;
const ROLES = `query($id: ID!) { room(id: $id) { viewerRole viewerCan { update } members { edges { node { user { id } role } } } } }`;
const example = (file: string) => resolve("examples/permission-handlers", file);

/** What `userId` is shown as in the room, and each member as they see them. */
async function rolesSeenBy(server: TestServer, userId: string, roomId: string) {
  const { room } = await ok(server, userId, ROLES, { id: roomId });
  const members = Object.fromEntries(room.members.edges.map(({ node }: any) => [node.user.id, node.role]));
  return { viewerRole: room.viewerRole, mayUpdate: room.viewerCan.update, members };
}

describe("loading a handler", () => {
  const attempts: Array<[string, RegExp]> = [
    ["./does-not-exist.ts#Handler", /cannot load module "\.\/does-not-exist\.ts"/],
    [`${example("staff-can-send.ts")}#Missing`, /has no export "Missing"/],
    [`${resolve("test/fixtures/not-a-handler.ts")}#CustomPermissionHandler`, /"CustomPermissionHandler" of .* is not a subclass of PermissionHandler/],
    ["no-such-package#Handler", /cannot load module "no-such-package"/],
  ];
  it.each(attempts)("stops the start for PERMISSION_HANDLER=%s", async (setting, message) => {
    await expect(createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x", permissionHandler: setting })).rejects.toThrow(message);
  });
});

describe.each(PROVIDERS)("custom handlers on %s", (provider) => {
  afterEach(() => {
    delete process.env.PERMISSION_HANDLER;
    delete process.env.CHAT_CONFIG;
  });

  it("staff may send to any room when PERMISSION_HANDLER names the simplest override", async () => {
    process.env.PERMISSION_HANDLER = `${example("staff-can-send.ts")}#CustomPermissionHandler`;
    const custom = await startTestServer(provider);
    delete process.env.PERMISSION_HANDLER;
    const plain = await startTestServer(provider);
    for (const server of [custom, plain]) {
      await signIn(server, "owner", "reader");
      await server.gql(null, "{ viewer { id } }");
      await ok(server, "owner", "{ viewer { id } }");
    }
    const staffToken = async (server: TestServer) => server.token("boss", { staff: true });
    const sendAsStaff = async (server: TestServer, roomId: string) => {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await staffToken(server)}` },
        body: JSON.stringify({ query: SEND, variables: { roomId } }),
      });
      return (await response.json()) as { data?: any; errors?: Array<{ extensions: { code: string } }> };
    };
    const customChannel = await createChannel(custom, "owner", ["reader"]);
    const sent = await sendAsStaff(custom, customChannel);
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendMessage.sender.id).toBe("boss");
    expect(await codeOf(custom, "reader", SEND, { roomId: customChannel })).toBe("FORBIDDEN");

    const plainChannel = await createChannel(plain, "owner", ["reader"]);
    // The default handler: staff are outsiders, to whom a private channel is as missing as any.
    expect((await sendAsStaff(plain, plainChannel)).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
  });

  it("a handler with its own membership check, registered in the config file, decides room access", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rcg-handler-"));
    writeFileSync(join(dir, "chat.json"), JSON.stringify({ PERMISSION_HANDLER: `${example("member-check-override.ts")}#CustomPermissionHandler` }));
    process.env.CHAT_CONFIG = join(dir, "chat.json");
    const server = await startTestServer(provider);
    expect(server.server.Handler.name).toBe("CustomPermissionHandler");
    await signIn(server, "ann", "ben", "eve");
    const roomId = await createGroup(server, "ann", ["ben"]);
    const query = `query($id: ID!) { room(id: $id) { id } }`;
    expect(await codeOf(server, "ben", query, { id: roomId })).toBe("OK");
    expect(await codeOf(server, "eve", query, { id: roomId })).toBe("NOT_FOUND");
  });

  it("the renamed admin relation (defaultAdminNames) decides who adds members, through createChatServer", async () => {
    const server = await startTestServer(provider, { permissionHandler: ManagersHandler });
    await signIn(server, "ann", "ben", "cat", "dan", "eve");
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    await server.server.db.roomRole.create({ data: { roomId, userId: "ben", role: "managers" } });
    await ok(server, "ann", `mutation($r: ID!) { addAdmins(roomId: $r, userIds: ["cat"]) { id } }`, { r: roomId });
    // ben is a manager: allowed; cat is an "admins" member, which this application does not use.
    expect(await codeOf(server, "ben", ADD, { roomId, userId: "dan" })).toBe("OK");
    expect(await codeOf(server, "cat", ADD, { roomId, userId: "eve" })).toBe("FORBIDDEN");
    expect(await codeOf(server, "ann", ADD, { roomId, userId: "eve" })).toBe("OK");
  });

  it("the renamed admin relation shows its holders as admins, as it lets them act", async () => {
    const server = await startTestServer(provider, { permissionHandler: ManagersHandler });
    await signIn(server, "ann", "ben", "cat");
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    await server.server.db.roomRole.create({ data: { roomId, userId: "ben", role: "managers" } });
    await ok(server, "ann", `mutation($r: ID!) { addAdmins(roomId: $r, userIds: ["cat"]) { id } }`, { r: roomId });
    const members = { ann: "CREATOR", ben: "ADMIN", cat: "MEMBER" };
    expect(await rolesSeenBy(server, "ben", roomId)).toEqual({ viewerRole: "ADMIN", mayUpdate: true, members });
    expect(await rolesSeenBy(server, "cat", roomId)).toEqual({ viewerRole: "MEMBER", mayUpdate: false, members });
  });

  it("a handler's getMemberRole decides the roles shown", async () => {
    // An application without a creator badge: the creator reads as one of the admins.
    class NoCreatorBadge extends PermissionHandler {
      override async getMemberRole(user: User, room: Room): Promise<MemberRole | null> {
        const role = await super.getMemberRole(user, room);
        return role === "CREATOR" ? "ADMIN" : role;
      }
    }
    const server = await startTestServer(provider, { permissionHandler: NoCreatorBadge });
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    const members = { ann: "ADMIN", ben: "MEMBER" };
    expect(await rolesSeenBy(server, "ann", roomId)).toEqual({ viewerRole: "ADMIN", mayUpdate: true, members });
    expect(await rolesSeenBy(server, "ben", roomId)).toEqual({ viewerRole: "MEMBER", mayUpdate: false, members });
  });
});

describe.each(PROVIDERS)("the scope layer on %s", (provider) => {
  const calls: string[] = [];
  class CountingHandler extends PermissionHandler {
    override async haveRoomPermission(user: User, roomId: string): Promise<[boolean, Room]> {
      calls.push(`room:${user.id}:${roomId}`);
      return super.haveRoomPermission(user, roomId);
    }
  }
  let server: TestServer;
  let roomId: string;
  beforeAll(async () => {
    server = await startTestServer(provider, { permissionHandler: CountingHandler });
    await signIn(server, "ann", "ben");
    roomId = await createGroup(server, "ann", ["ben"]);
  });

  it("asks the handler once per check and argument in a request", async () => {
    calls.length = 0;
    await ok(server, "ben", `query($id: ID!) { a: room(id: $id) { id } b: room(id: $id) { name } messages(roomId: $id) { edges { cursor } } }`, { id: roomId });
    expect(calls).toEqual([`room:ben:${roomId}`]);
  });

  it("never asks the handler for an anonymous caller", async () => {
    calls.length = 0;
    expect(await codeOf(server, null, `query($id: ID!) { room(id: $id) { id } }`, { id: roomId })).toBe("UNAUTHENTICATED");
    expect(calls).toEqual([]);
  });
});
