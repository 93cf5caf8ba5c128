// Every operation, for every role, on every kind of room, through GraphQL, against the default
// rules (seed-behaviour.md §2.6). Refusals are FORBIDDEN for those who may know the room exists and
// NOT_FOUND, as for a missing room, for everyone else; the last block shows what outsiders learn. Each case gets a fresh room, set up directly in the database so
// that only the operation under test goes through the API.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomPermission } from "../src/index.js";
import { connectWs } from "./harness/clients.js";
import { PROVIDERS } from "./harness/databases.js";
import { createChannel, createChat, createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

type Kind = "chat" | "group" | "lockedGroup" | "channel";
type Role = "creator" | "admin" | "grantHolder" | "member" | "nonMember" | "staff";
type Code = "OK" | "FORBIDDEN" | "BAD_USER_INPUT" | "NOT_FOUND";

const ROLES: Role[] = ["creator", "admin", "grantHolder", "member", "nonMember", "staff"];
/** In a one-to-one chat the first two roles are its two participants and the middle ones do not exist. */
const CHAT_ROLES: Role[] = ["creator", "admin", "nonMember", "staff"];
const USER: Record<Role, string> = {
  creator: "m-creator", admin: "m-admin", grantHolder: "m-grant", member: "m-member", nonMember: "m-outsider", staff: "m-staff",
};
const SECOND_MEMBER = "m-member2";
const NEWCOMER = "m-newcomer";

interface Case {
  roomId: string;
  kind: Kind;
  /** A message sent by the acting user when they are a member, else one by a member. */
  ownMessageId: string;
  /** A message sent by another member. */
  othersMessageId: string;
}

interface Operation {
  query: string;
  variables: (c: Case) => Record<string, unknown>;
}

const GRANTS: Record<"group" | "channel", RoomPermission[]> = {
  group: ["CAN_ADD_NEW_PARTICIPANTS", "CAN_REMOVE_PARTICIPANTS"],
  channel: ["CAN_ADD_NEW_SUBSCRIBERS", "CAN_REMOVE_SUBSCRIBERS", "CAN_SEND_MESSAGES"],
};
const isChannel = (c: Case) => c.kind === "channel";

const OPERATIONS: Record<string, Operation> = {
  room: { query: `query($r: ID!) { room(id: $r) { id } }`, variables: (c) => ({ r: c.roomId }) },
  messages: { query: `query($r: ID!) { messages(roomId: $r) { edges { cursor } } }`, variables: (c) => ({ r: c.roomId }) },
  sendMessage: {
    query: `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "hi" }) { id } }`,
    variables: (c) => ({ r: c.roomId }),
  },
  editMessage: { query: `mutation($m: ID!) { editMessage(messageId: $m, content: "edited") { id } }`, variables: (c) => ({ m: c.ownMessageId }) },
  deleteMessages: { query: `mutation($m: ID!) { deleteMessages(messageIds: [$m]) }`, variables: (c) => ({ m: c.ownMessageId }) },
  react: { query: `mutation($m: ID!) { react(messageId: $m, content: "👍") { id } }`, variables: (c) => ({ m: c.othersMessageId }) },
  removeReaction: { query: `mutation($m: ID!) { removeReaction(messageId: $m) { id } }`, variables: (c) => ({ m: c.othersMessageId }) },
  markRead: { query: `mutation($m: ID!) { markRead(messageIds: [$m]) { id } }`, variables: (c) => ({ m: c.othersMessageId }) },
  acknowledgeDelivery: {
    query: `mutation($m: ID!) { acknowledgeDelivery(messageIds: [$m]) { id } }`,
    variables: (c) => ({ m: c.othersMessageId }),
  },
  addMember: { query: `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id } }`, variables: (c) => ({ r: c.roomId, u: NEWCOMER }) },
  removeMember: {
    query: `mutation($r: ID!, $u: ID!) { removeMember(roomId: $r, userId: $u) { id } }`,
    variables: (c) => ({ r: c.roomId, u: c.kind === "chat" ? USER.admin : SECOND_MEMBER }),
  },
  updateRoom: {
    query: `mutation($r: ID!, $input: UpdateRoomInput!) { updateRoom(roomId: $r, input: $input) { id } }`,
    variables: (c) => ({ r: c.roomId, input: c.kind === "chat" ? { preferences: { muted: true } } : { name: "renamed" } }),
  },
  deleteRoom: { query: `mutation($r: ID!) { deleteRoom(roomId: $r) }`, variables: (c) => ({ r: c.roomId }) },
  joinRoom: { query: `mutation($r: ID!) { joinRoom(roomId: $r) { id } }`, variables: (c) => ({ r: c.roomId }) },
  leaveRoom: { query: `mutation($r: ID!) { leaveRoom(roomId: $r) { roomId } }`, variables: (c) => ({ r: c.roomId }) },
  addRole: {
    query: "",
    variables: (c) => ({ r: c.roomId, u: [SECOND_MEMBER] }),
  },
  removeRole: { query: "", variables: (c) => ({ r: c.roomId, u: [USER.admin] }) },
  grantPermissions: {
    query: `mutation($r: ID!, $u: [ID!]!, $p: [RoomPermission!]!) { grantPermissions(roomId: $r, userIds: $u, permissions: $p) { id } }`,
    variables: (c) => ({ r: c.roomId, u: [SECOND_MEMBER], p: [isChannel(c) ? "CAN_SEND_MESSAGES" : "CAN_ADD_NEW_PARTICIPANTS"] }),
  },
  revokePermissions: {
    query: `mutation($r: ID!, $u: [ID!]!, $p: [RoomPermission!]!) { revokePermissions(roomId: $r, userIds: $u, permissions: $p) { id } }`,
    variables: (c) => ({ r: c.roomId, u: [USER.grantHolder], p: [isChannel(c) ? "CAN_SEND_MESSAGES" : "CAN_ADD_NEW_PARTICIPANTS"] }),
  },
};

/** addAdmins/removeAdmins in groups (and chats), addModerators/removeModerators in channels. */
function roleQuery(op: "addRole" | "removeRole", kind: Kind): string {
  const verb = op === "addRole" ? "add" : "remove";
  const noun = kind === "channel" ? "Moderators" : "Admins";
  return `mutation($r: ID!, $u: [ID!]!) { ${verb}${noun}(roomId: $r, userIds: $u) { id } }`;
}

const O: Code = "OK";
const F: Code = "FORBIDDEN";
const B: Code = "BAD_USER_INPUT";
/** Refused as if the room did not exist: the rooms here are private, so outsiders may not know of them. */
const N: Code = "NOT_FOUND";

/** Expected codes by role: [creator, admin, grantHolder, member, nonMember, staff]; chats: [p1, p2, nonMember, staff]. */
const EXPECTED: Record<string, Record<Kind, Code[]>> = {
  room: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  messages: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  sendMessage: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, F, F, N, N], channel: [O, O, O, F, N, N] },
  editMessage: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  deleteMessages: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  react: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  removeReaction: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  markRead: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  acknowledgeDelivery: { chat: [O, O, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  addMember: { chat: [B, B, N, N], group: [O, O, O, F, N, N], lockedGroup: [O, O, O, F, N, N], channel: [O, O, O, F, N, N] },
  removeMember: { chat: [B, B, N, N], group: [O, O, O, F, N, N], lockedGroup: [O, O, O, F, N, N], channel: [O, O, O, F, N, N] },
  updateRoom: { chat: [O, O, N, N], group: [O, O, F, F, N, N], lockedGroup: [O, O, F, F, N, N], channel: [O, O, F, F, N, N] },
  deleteRoom: { chat: [O, O, N, N], group: [O, F, F, F, N, N], lockedGroup: [O, F, F, F, N, N], channel: [O, F, F, F, N, N] },
  joinRoom: { chat: [F, F, N, N], group: [F, F, F, F, N, N], lockedGroup: [F, F, F, F, N, N], channel: [F, F, F, F, N, N] },
  leaveRoom: { chat: [B, B, N, N], group: [O, O, O, O, N, N], lockedGroup: [O, O, O, O, N, N], channel: [O, O, O, O, N, N] },
  addRole: { chat: [B, B, N, N], group: [O, O, F, F, N, N], lockedGroup: [O, O, F, F, N, N], channel: [O, O, F, F, N, N] },
  removeRole: { chat: [B, B, N, N], group: [O, O, F, F, N, N], lockedGroup: [O, O, F, F, N, N], channel: [O, O, F, F, N, N] },
  grantPermissions: { chat: [B, B, N, N], group: [O, O, F, F, N, N], lockedGroup: [O, O, F, F, N, N], channel: [O, O, F, F, N, N] },
  revokePermissions: { chat: [B, B, N, N], group: [O, O, F, F, N, N], lockedGroup: [O, O, F, F, N, N], channel: [O, O, F, F, N, N] },
};

async function setUpRoom(server: TestServer, kind: Kind, actor: Role): Promise<Case> {
  const db = server.server.db;
  const members = kind === "chat" ? [USER.creator, USER.admin] : [USER.creator, USER.admin, USER.grantHolder, USER.member, SECOND_MEMBER];
  const grantKind = kind === "channel" ? "channel" : "group";
  const room = await db.room.create({
    data: {
      kind: kind === "chat" ? "ONE_TO_ONE" : kind === "channel" ? "CHANNEL" : "GROUP",
      name: kind === "chat" ? null : "matrix",
      creatorId: kind === "chat" ? null : USER.creator,
      locked: kind === "lockedGroup",
      maxMembers: kind === "chat" ? 2 : 100,
      preferences: {},
      members: { create: members.map((userId) => ({ userId })) },
      ...(kind !== "chat" && {
        roles: {
          create: [USER.creator, USER.admin].map((userId) => ({ userId, role: kind === "channel" ? "moderators" : "admins" })),
        },
        grants: { create: GRANTS[grantKind].map((permission) => ({ userId: USER.grantHolder, permission })) },
      }),
    },
  });
  const actorId = USER[actor];
  const othersSender = actorId === USER.admin ? USER.creator : USER.admin;
  const ownSender = members.includes(actorId) ? actorId : othersSender;
  const own = await db.message.create({ data: { roomId: room.id, senderId: ownSender, seq: 1, content: "own" } });
  const others = await db.message.create({ data: { roomId: room.id, senderId: othersSender, seq: 2, content: "others" } });
  await db.room.update({ where: { id: room.id }, data: { lastSeq: 2, lastMessageId: others.id } });
  return { roomId: room.id, kind, ownMessageId: own.id, othersMessageId: others.id };
}

describe.each(PROVIDERS)("permission matrix on %s", (provider) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, ...Object.values(USER).filter((id) => id !== USER.staff), SECOND_MEMBER, NEWCOMER);
    // The staff flag comes from the token; with the default handler it grants nothing.
    const staffToken = await server.token(USER.staff, { staff: true });
    await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${staffToken}` },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    });
  });

  async function run(actor: Role, query: string, variables: Record<string, unknown>): Promise<string> {
    const token = await server.token(USER[actor], actor === "staff" ? { staff: true } : {});
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    return body.errors?.[0]?.extensions?.code ?? "OK";
  }

  for (const kind of ["chat", "group", "lockedGroup", "channel"] as const) {
    describe(kind, () => {
      for (const [name, operation] of Object.entries(OPERATIONS)) {
        it(`${name}`, async () => {
          const roles = kind === "chat" ? CHAT_ROLES : ROLES;
          const query = name === "addRole" || name === "removeRole" ? roleQuery(name, kind) : operation.query;
          const actual: Record<string, string> = {};
          const expected: Record<string, string> = {};
          for (const [index, role] of roles.entries()) {
            const c = await setUpRoom(server, kind, role);
            actual[role] = await run(role, query, operation.variables(c));
            expected[role] = EXPECTED[name]![kind][index]!;
          }
          expect(actual).toEqual(expected);
        });
      }
    });
  }
});

/** Operations an outsider may try on a room id (and a message id in it), refused either way. */
const PROBES: Array<[string, string]> = [
  ["room", `query($r: ID!) { room(id: $r) { id } }`],
  ["messages", `query($r: ID!) { messages(roomId: $r) { edges { cursor } } }`],
  ["sendMessage", `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "hi" }) { id } }`],
  ["setTyping", `mutation($r: ID!) { setTyping(roomId: $r) }`],
  ["joinRoom", `mutation($r: ID!) { joinRoom(roomId: $r) { id } }`],
  ["leaveRoom", `mutation($r: ID!) { leaveRoom(roomId: $r) { roomId } }`],
  ["addMember", `mutation($r: ID!) { addMember(roomId: $r, userId: "v-outsider") { id } }`],
  ["updateRoom", `mutation($r: ID!) { updateRoom(roomId: $r, input: { preferences: {} }) { id } }`],
  ["deleteRoom", `mutation($r: ID!) { deleteRoom(roomId: $r) }`],
  ["addAdmins", `mutation($r: ID!) { addAdmins(roomId: $r, userIds: ["v-outsider"]) { id } }`],
  ["react", `mutation($m: ID!) { react(messageId: $m, content: "👍") { id } }`],
  ["editMessage", `mutation($m: ID!) { editMessage(messageId: $m, content: "mine now") { id } }`],
  ["markRead", `mutation($m: ID!) { markRead(messageIds: [$m]) { id } }`],
  // In a room of the outsider's own ($o), replying to the message of a room they are not in.
  ["reply", `mutation($o: ID!, $m: ID!) { sendMessage(input: { roomId: $o, content: "re", replyToId: $m }) { id } }`],
];
// Fresh ids for each probe: setTyping's budget is per room id, and one per second.
const missingId = () => randomUUID();

describe.each(PROVIDERS)("what an outsider learns on %s", (provider) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "v-ann", "v-ben", "v-outsider");
  });

  const answer = (result: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, any> }> }) => ({
    data: result.data ?? null,
    errors: result.errors?.map((error) => ({ message: error.message, code: error.extensions?.code, seedCode: error.extensions?.seedCode })),
  });

  it("cannot tell a private room it is not in from a missing one, in queries, mutations and subscriptions", async () => {
    const chat = await createChat(server, "v-ann", "v-ben");
    const group = await createGroup(server, "v-ann", ["v-ben"]);
    const channel = await createChannel(server, "v-ann", ["v-ben"]);
    const own = await createGroup(server, "v-outsider", []);
    const outsider = await connectWs(server, "v-outsider");
    for (const roomId of [chat, group, channel]) {
      const { id: messageId } = await sendMessage(server, "v-ann", roomId, "private");
      for (const [name, query] of PROBES) {
        const existing = answer(await server.gql("v-outsider", query, { r: roomId, m: messageId, o: own }));
        const missing = answer(await server.gql("v-outsider", query, { r: missingId(), m: missingId(), o: own }));
        expect({ name, ...existing }).toEqual({ name, ...missing });
        expect(existing.errors).toEqual([{ message: "Resource not found.", code: "NOT_FOUND", seedCode: 4004 }]);
      }
      const subscribe = async (r: string) => {
        const events = outsider.subscribe(`subscription($r: ID!) { roomEvents(roomId: $r) { kind } }`, { r });
        const [refusal] = await events.waitFor(1);
        return refusal?.errors?.map((error) => [error.message, error.extensions?.code]);
      };
      expect(await subscribe(roomId)).toEqual(await subscribe(missingId()));
      expect(await subscribe(roomId)).toEqual([["Resource not found.", "NOT_FOUND"]]);
    }
    await outsider.dispose();
    // Members are still told why.
    expect(answer(await server.gql("v-ben", `mutation($r: ID!) { deleteRoom(roomId: $r) }`, { r: group })).errors)
      .toEqual([{ message: "Only the creator may delete this room.", code: "FORBIDDEN", seedCode: 4002 }]);
  });

  it("sees only a public channel's public facts; its members see everything", async () => {
    const channelId = await createChannel(server, "v-ann", ["v-ben"], { isPublic: true, description: "open", preferences: { theme: "dark" } });
    await sendMessage(server, "v-ann", channelId, "for subscribers");
    const query = `query { publicChannels(first: 10) { edges { node {
      id kind name description memberCount isPublic preferences
      creator { id } moderators { id } members { edges { node { user { id } } } } lastMessage { content }
    } } } }`;
    const listed = async (userId: string) =>
      (await ok(server, userId, query)).publicChannels.edges.map((edge: any) => edge.node).find((node: any) => node.id === channelId);
    const facts = { id: channelId, kind: "CHANNEL", name: "channel", description: "open", memberCount: 2, isPublic: true };
    expect(await listed("v-outsider")).toEqual({
      ...facts,
      preferences: {},
      creator: null,
      moderators: [],
      members: { edges: [] },
      lastMessage: null,
    });
    expect(await listed("v-ben")).toEqual({
      ...facts,
      preferences: { theme: "dark" },
      creator: { id: "v-ann" },
      moderators: [{ id: "v-ann" }],
      members: { edges: [{ node: { user: { id: "v-ann" } } }, { node: { user: { id: "v-ben" } } }] },
      lastMessage: { content: "for subscribers" },
    });
    // The outsider may know it exists, so refusals say why; joining is allowed.
    const refused = await server.gql("v-outsider", `query($r: ID!) { room(id: $r) { id } }`, { r: channelId });
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    await ok(server, "v-outsider", `mutation($r: ID!) { joinRoom(roomId: $r) { id } }`, { r: channelId });
    expect((await listed("v-outsider")).preferences).toEqual({ theme: "dark" });
  });
});
