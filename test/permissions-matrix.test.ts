// Every operation, for every role, on every kind of room, through GraphQL, against the default
// rules (seed-behaviour.md §2.6). Each case gets a fresh room, set up directly in the database so
// that only the operation under test goes through the API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomPermission } from "../src/index.js";
import { PROVIDERS } from "./harness/databases.js";
import { signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

type Kind = "chat" | "group" | "lockedGroup" | "channel";
type Role = "creator" | "admin" | "grantHolder" | "member" | "nonMember" | "staff";
type Code = "OK" | "FORBIDDEN" | "BAD_USER_INPUT";

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

/** Expected codes by role: [creator, admin, grantHolder, member, nonMember, staff]; chats: [p1, p2, nonMember, staff]. */
const EXPECTED: Record<string, Record<Kind, Code[]>> = {
  room: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  messages: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  sendMessage: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, F, F, F, F], channel: [O, O, O, F, F, F] },
  editMessage: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  deleteMessages: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  react: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  removeReaction: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  markRead: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  acknowledgeDelivery: { chat: [O, O, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  addMember: { chat: [B, B, B, B], group: [O, O, O, F, F, F], lockedGroup: [O, O, O, F, F, F], channel: [O, O, O, F, F, F] },
  removeMember: { chat: [B, B, B, B], group: [O, O, O, F, F, F], lockedGroup: [O, O, O, F, F, F], channel: [O, O, O, F, F, F] },
  updateRoom: { chat: [O, O, F, F], group: [O, O, F, F, F, F], lockedGroup: [O, O, F, F, F, F], channel: [O, O, F, F, F, F] },
  deleteRoom: { chat: [O, O, F, F], group: [O, F, F, F, F, F], lockedGroup: [O, F, F, F, F, F], channel: [O, F, F, F, F, F] },
  joinRoom: { chat: [F, F, F, F], group: [F, F, F, F, F, F], lockedGroup: [F, F, F, F, F, F], channel: [F, F, F, F, F, F] },
  leaveRoom: { chat: [B, B, F, F], group: [O, O, O, O, F, F], lockedGroup: [O, O, O, O, F, F], channel: [O, O, O, O, F, F] },
  addRole: { chat: [B, B, F, F], group: [O, O, F, F, F, F], lockedGroup: [O, O, F, F, F, F], channel: [O, O, F, F, F, F] },
  removeRole: { chat: [B, B, F, F], group: [O, O, F, F, F, F], lockedGroup: [O, O, F, F, F, F], channel: [O, O, F, F, F, F] },
  grantPermissions: { chat: [B, B, F, F], group: [O, O, F, F, F, F], lockedGroup: [O, O, F, F, F, F], channel: [O, O, F, F, F, F] },
  revokePermissions: { chat: [B, B, F, F], group: [O, O, F, F, F, F], lockedGroup: [O, O, F, F, F, F], channel: [O, O, F, F, F, F] },
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
