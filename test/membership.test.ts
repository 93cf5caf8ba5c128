import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createChannel, createChat, createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";
import { PROVIDERS } from "./harness/databases.js";

afterAll(stopTestServers);

const UNKNOWN_USER = "nobody-signed-in";

const MEMBERS = `query($id: ID!) { room(id: $id) { memberCount
  members { edges { node { user { id } role permissions } } } } }`;
const ADD = `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id memberCount } }`;
const ADD_MANY = `mutation($r: ID!, $us: [ID!]!) { addMembers(roomId: $r, userIds: $us) { id memberCount } }`;
const REMOVE = `mutation($r: ID!, $u: ID!) { removeMember(roomId: $r, userId: $u) { id } }`;
const REMOVE_MANY = `mutation($r: ID!, $us: [ID!]!) { removeMembers(roomId: $r, userIds: $us) { id } }`;
const JOIN = `mutation($r: ID!) { joinRoom(roomId: $r) { id memberCount } }`;
const LEAVE = `mutation($r: ID!) { leaveRoom(roomId: $r) { roomId roomDeleted } }`;
const ADD_ADMINS = `mutation($r: ID!, $us: [ID!]!) { addAdmins(roomId: $r, userIds: $us) { admins { id } } }`;
const REMOVE_ADMINS = `mutation($r: ID!, $us: [ID!]!) {
  removeAdmins(roomId: $r, userIds: $us) { admins { id } } }`;
const ADD_MODS = `mutation($r: ID!, $us: [ID!]!) {
  addModerators(roomId: $r, userIds: $us) { moderators { id } } }`;
const REMOVE_MODS = `mutation($r: ID!, $us: [ID!]!) {
  removeModerators(roomId: $r, userIds: $us) { moderators { id } } }`;
const GRANT = `mutation($r: ID!, $us: [ID!]!, $ps: [RoomPermission!]!) {
  grantPermissions(roomId: $r, userIds: $us, permissions: $ps) { id } }`;
const REVOKE = `mutation($r: ID!, $us: [ID!]!, $ps: [RoomPermission!]!) {
  revokePermissions(roomId: $r, userIds: $us, permissions: $ps) { id } }`;
const CAN = `query($id: ID!) { room(id: $id) { viewerCan { update addMembers removeMembers manageRoles } } }`;

interface Member {
  role: string;
  permissions: string[];
}

/** The room's members as `viewerId` sees them, by user id; checks memberCount agrees. */
async function membersOf(server: TestServer, viewerId: string, roomId: string) {
  const { room } = await ok(server, viewerId, MEMBERS, { id: roomId });
  const entries = room.members.edges.map(({ node }: any): [string, Member] => [
    node.user.id,
    { role: node.role, permissions: node.permissions },
  ]);
  expect(room.memberCount).toBe(entries.length);
  return Object.fromEntries(entries);
}

const ids = async (server: TestServer, viewerId: string, roomId: string) =>
  Object.keys(await membersOf(server, viewerId, roomId)).sort();

describe.each(PROVIDERS)("membership on %s", (provider) => {
  let server: TestServer;
  const racers = Array.from({ length: 8 }, (_, i) => `racer${i}`);
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "ann", "ben", "cat", "dan", "eve", ...racers);
  });

  it("adds members, skipping current ones and repeated ids", async () => {
    const groupId = await createGroup(server, "ann", ["ben"]);
    const added = await ok(server, "ann", ADD_MANY, { r: groupId, us: ["cat", "cat", "ben"] });
    expect(added.addMembers).toEqual({ id: groupId, memberCount: 3 });
    const one = await ok(server, "ann", ADD, { r: groupId, u: "dan" });
    expect(one.addMember).toEqual({ id: groupId, memberCount: 4 });
    expect(await membersOf(server, "dan", groupId)).toEqual({
      ann: { role: "CREATOR", permissions: [] },
      ben: { role: "MEMBER", permissions: [] },
      cat: { role: "MEMBER", permissions: [] },
      dan: { role: "MEMBER", permissions: [] },
    });
  });

  it("refuses plain members, unknown users and one-to-one chats, adding nobody", async () => {
    const groupId = await createGroup(server, "ann", ["ben"]);
    expect(await codeOf(server, "ben", ADD, { r: groupId, u: "cat" })).toBe("FORBIDDEN");
    // cat is not in the group: to cat it does not exist.
    expect(await codeOf(server, "cat", ADD, { r: groupId, u: "cat" })).toBe("NOT_FOUND");
    expect(await codeOf(server, "ann", ADD_MANY, { r: groupId, us: ["dan", UNKNOWN_USER] })).toBe("NOT_FOUND");
    expect(await codeOf(server, "ann", ADD_MANY, { r: groupId, us: [] })).toBe("BAD_USER_INPUT");
    expect(await ids(server, "ann", groupId)).toEqual(["ann", "ben"]);
    const chatId = await createChat(server, "ann", "ben");
    expect(await codeOf(server, "ann", ADD, { r: chatId, u: "cat" })).toBe("BAD_USER_INPUT");
  });

  it("refuses to pass the member limit, adding nobody", async () => {
    const groupId = await createGroup(server, "ann", ["ben"], { maxParticipants: 3 });
    const refused = await server.gql("ann", ADD_MANY, { r: groupId, us: ["cat", "dan"] });
    expect(refused.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(refused.errors?.[0]?.message).toBe("Maximum number of group participants exceeded");
    expect(await ids(server, "ann", groupId)).toEqual(["ann", "ben"]);
    await ok(server, "ann", ADD_MANY, { r: groupId, us: ["cat", "ben"] });
    expect(await ids(server, "ann", groupId)).toEqual(["ann", "ben", "cat"]);

    const channelId = await createChannel(server, "ann", [], { maxSubscribers: 1 });
    const full = await server.gql("ann", ADD, { r: channelId, u: "ben" });
    expect(full.errors?.[0]?.message).toBe("Maximum number of channel subscribers exceeded");
  });

  it("never passes the limit under concurrent adds", async () => {
    const groupId = await createGroup(server, "ann", [], { maxParticipants: 5 });
    const results = await Promise.all(racers.map((u) => server.gql("ann", ADD, { r: groupId, u })));
    const codes = results.map((result) => result.errors?.[0]?.extensions?.code ?? "OK");
    expect(codes.filter((code) => code === "OK")).toHaveLength(4);
    expect(codes.filter((code) => code === "CONFLICT")).toHaveLength(4);
    expect(await ids(server, "ann", groupId)).toHaveLength(5);
  });

  it("removes members with their roles and grants; only the creator can remove the creator", async () => {
    const groupId = await createGroup(server, "ann", ["ben", "cat", "dan"]);
    await ok(server, "ann", ADD_ADMINS, { r: groupId, us: ["ben"] });
    await ok(server, "ann", GRANT, { r: groupId, us: ["dan"], ps: ["CAN_REMOVE_PARTICIPANTS"] });
    await ok(server, "ben", REMOVE_MANY, { r: groupId, us: ["ann", "cat", "eve"] });
    expect(await ids(server, "ann", groupId)).toEqual(["ann", "ben", "dan"]);
    expect(await codeOf(server, "ben", REMOVE, { r: groupId, u: UNKNOWN_USER })).toBe("NOT_FOUND");
    expect(await codeOf(server, "eve", REMOVE, { r: groupId, u: "dan" })).toBe("NOT_FOUND");

    await ok(server, "ann", REMOVE_MANY, { r: groupId, us: ["ben", "dan"] });
    await ok(server, "ann", ADD_MANY, { r: groupId, us: ["ben", "dan"] });
    const members = await membersOf(server, "ann", groupId);
    expect(members.ben).toEqual({ role: "MEMBER", permissions: [] });
    expect(members.dan).toEqual({ role: "MEMBER", permissions: [] });
    expect(await codeOf(server, "dan", REMOVE, { r: groupId, u: "ben" })).toBe("FORBIDDEN");
  });

  it("deletes the room when its last member leaves or is removed", async () => {
    const groupId = await createGroup(server, "ann", ["ben"]);
    const left = await ok(server, "ann", LEAVE, { r: groupId });
    expect(left.leaveRoom).toEqual({ roomId: groupId, roomDeleted: false });
    const CREATOR = `query($id: ID!) { room(id: $id) { ... on GroupChat { creator { id } } } }`;
    const kept = await ok(server, "ben", CREATOR, { id: groupId });
    expect(kept.room.creator).toEqual({ id: "ann" });
    expect(await ids(server, "ben", groupId)).toEqual(["ben"]);
    const last = await ok(server, "ben", LEAVE, { r: groupId });
    expect(last.leaveRoom).toEqual({ roomId: groupId, roomDeleted: true });
    expect(await codeOf(server, "ben", MEMBERS, { id: groupId })).toBe("NOT_FOUND");

    const channelId = await createChannel(server, "ann", []);
    expect((await ok(server, "ann", REMOVE, { r: channelId, u: "ann" })).removeMember).toBeNull();
    expect(await codeOf(server, "ann", MEMBERS, { id: channelId })).toBe("NOT_FOUND");
  });

  it("lets only members leave, and only groups and channels", async () => {
    const chatId = await createChat(server, "ann", "cat");
    const refused = await server.gql("ann", LEAVE, { r: chatId });
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(refused.errors?.[0]?.message).toBe("You can only leave a group or channel.");
    const groupId = await createGroup(server, "ann", ["ben"]);
    expect(await codeOf(server, "cat", LEAVE, { r: groupId })).toBe("NOT_FOUND");
  });

  it("lets anyone join public channels only, within the limit", async () => {
    const publicId = await createChannel(server, "ann", [], { isPublic: true, maxSubscribers: 2 });
    const JOIN_AT = `mutation($r: ID!) { joinRoom(roomId: $r) { id memberCount updatedAt } }`;
    const joined = (await ok(server, "ben", JOIN_AT, { r: publicId })).joinRoom;
    expect(joined).toMatchObject({ id: publicId, memberCount: 2 });
    expect((await ok(server, "ben", JOIN_AT, { r: publicId })).joinRoom).toEqual(joined);
    expect(await codeOf(server, "cat", JOIN, { r: publicId })).toBe("CONFLICT");
    const privateId = await createChannel(server, "ann", []);
    // Rooms ben may not know of: refused as if they did not exist.
    expect(await codeOf(server, "ben", JOIN, { r: privateId })).toBe("NOT_FOUND");
    const groupId = await createGroup(server, "ann", []);
    expect(await codeOf(server, "ben", JOIN, { r: groupId })).toBe("NOT_FOUND");
    expect(await ids(server, "ann", groupId)).toEqual(["ann"]);
  });

  it("drops grants when a member leaves and rejoins", async () => {
    const channelId = await createChannel(server, "ann", ["ben"], { isPublic: true });
    const ps = ["CAN_SEND_MESSAGES", "CAN_ADD_NEW_SUBSCRIBERS"];
    await ok(server, "ann", GRANT, { r: channelId, us: ["ben"], ps });
    expect((await membersOf(server, "ann", channelId)).ben?.permissions).toEqual([
      "CAN_ADD_NEW_SUBSCRIBERS",
      "CAN_SEND_MESSAGES",
    ]);
    await ok(server, "ben", LEAVE, { r: channelId });
    await ok(server, "ben", JOIN, { r: channelId });
    expect((await membersOf(server, "ann", channelId)).ben).toEqual({ role: "MEMBER", permissions: [] });
    expect(await codeOf(server, "ben", ADD, { r: channelId, u: "cat" })).toBe("FORBIDDEN");
  });

  it("lets grant holders add and remove without making them admins", async () => {
    const groupId = await createGroup(server, "ann", ["ben", "cat"]);
    const ps = ["CAN_ADD_NEW_PARTICIPANTS", "CAN_REMOVE_PARTICIPANTS"];
    const grant = { r: groupId, us: ["ben", "ann"], ps };
    await ok(server, "ann", GRANT, grant);
    await ok(server, "ann", GRANT, grant);
    const members = await membersOf(server, "ann", groupId);
    expect(members.ben).toEqual({ role: "MEMBER", permissions: ps });
    expect(members.ann).toEqual({ role: "CREATOR", permissions: [] });
    expect((await ok(server, "ben", CAN, { id: groupId })).room.viewerCan).toEqual({
      update: false,
      addMembers: true,
      removeMembers: true,
      manageRoles: false,
    });
    await ok(server, "ben", ADD, { r: groupId, u: "dan" });
    await ok(server, "ben", REMOVE, { r: groupId, u: "cat" });
    expect(await ids(server, "ann", groupId)).toEqual(["ann", "ben", "dan"]);
    expect(await codeOf(server, "ben", ADD_ADMINS, { r: groupId, us: ["dan"] })).toBe("FORBIDDEN");
    expect(await codeOf(server, "ben", GRANT, { ...grant, us: ["dan"] })).toBe("FORBIDDEN");

    await ok(server, "ann", REVOKE, { ...grant, ps: ["CAN_ADD_NEW_PARTICIPANTS"] });
    expect((await membersOf(server, "ann", groupId)).ben?.permissions).toEqual(["CAN_REMOVE_PARTICIPANTS"]);
    expect(await codeOf(server, "ben", ADD, { r: groupId, u: "cat" })).toBe("FORBIDDEN");
  });

  it("refuses grants that do not fit the room or its members", async () => {
    const groupId = await createGroup(server, "ann", ["ben"]);
    const grant = (vars: Record<string, unknown>, roomId = groupId) =>
      codeOf(server, "ann", GRANT, { r: roomId, us: ["ben"], ...vars });
    expect(await grant({ ps: ["CAN_SEND_MESSAGES"] })).toBe("BAD_USER_INPUT");
    expect(await grant({ ps: [] })).toBe("BAD_USER_INPUT");
    expect(await grant({ ps: Array(6).fill("CAN_REMOVE_PARTICIPANTS") })).toBe("BAD_USER_INPUT");
    expect(await grant({ us: ["ben", "cat"], ps: ["CAN_REMOVE_PARTICIPANTS"] })).toBe("BAD_USER_INPUT");
    expect(await grant({ us: [UNKNOWN_USER], ps: ["CAN_REMOVE_PARTICIPANTS"] })).toBe("NOT_FOUND");
    expect((await membersOf(server, "ann", groupId)).ben?.permissions).toEqual([]);
    const channelId = await createChannel(server, "ann", ["ben"]);
    expect(await grant({ ps: ["CAN_ADD_NEW_PARTICIPANTS"] }, channelId)).toBe("BAD_USER_INPUT");
    const chatId = await createChat(server, "ann", "ben");
    expect(await grant({ ps: ["CAN_SEND_MESSAGES"] }, chatId)).toBe("BAD_USER_INPUT");
  });

  it("manages group admins; the creator stays admin", async () => {
    const groupId = await createGroup(server, "ann", ["ben", "cat", "dan"]);
    expect(await codeOf(server, "cat", ADD_ADMINS, { r: groupId, us: ["cat"] })).toBe("FORBIDDEN");
    const added = await ok(server, "ann", ADD_ADMINS, { r: groupId, us: ["ben", "cat", "ben"] });
    expect(added.addAdmins.admins.map((u: { id: string }) => u.id).sort()).toEqual(["ann", "ben", "cat"]);
    await ok(server, "ann", ADD_ADMINS, { r: groupId, us: ["ben"] });
    const removed = await ok(server, "ben", REMOVE_ADMINS, { r: groupId, us: ["ann", "cat", "dan"] });
    expect(removed.removeAdmins.admins.map((u: { id: string }) => u.id).sort()).toEqual(["ann", "ben"]);
    const members = await membersOf(server, "ann", groupId);
    expect([members.ann?.role, members.ben?.role, members.cat?.role]).toEqual(["CREATOR", "ADMIN", "MEMBER"]);
    expect((await ok(server, "ben", CAN, { id: groupId })).room.viewerCan.update).toBe(true);

    expect(await codeOf(server, "ann", ADD_ADMINS, { r: groupId, us: ["eve"] })).toBe("BAD_USER_INPUT");
    expect(await codeOf(server, "ann", ADD_ADMINS, { r: groupId, us: [UNKNOWN_USER] })).toBe("NOT_FOUND");
    const channelId = await createChannel(server, "ann", ["ben"]);
    expect(await codeOf(server, "ann", ADD_ADMINS, { r: channelId, us: ["ben"] })).toBe("BAD_USER_INPUT");
  });

  it("manages channel moderators", async () => {
    const channelId = await createChannel(server, "ann", ["ben", "cat"]);
    const added = await ok(server, "ann", ADD_MODS, { r: channelId, us: ["ben"] });
    expect(added.addModerators.moderators).toEqual([{ id: "ann" }, { id: "ben" }]);
    expect((await membersOf(server, "cat", channelId)).ben?.role).toBe("MODERATOR");
    await ok(server, "ben", ADD, { r: channelId, u: "dan" });
    const removed = await ok(server, "ben", REMOVE_MODS, { r: channelId, us: ["ann", "ben"] });
    expect(removed.removeModerators.moderators).toEqual([{ id: "ann" }]);
    expect(await codeOf(server, "ben", ADD_MODS, { r: channelId, us: ["ben"] })).toBe("FORBIDDEN");
    const groupId = await createGroup(server, "ann", ["ben"]);
    expect(await codeOf(server, "ann", ADD_MODS, { r: groupId, us: ["ben"] })).toBe("BAD_USER_INPUT");
  });
});
