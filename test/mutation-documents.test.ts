// One mutation per document (issue #9, items 3 and 4): a document with several mutation fields is
// refused before anything runs, over HTTP and graphql-ws; a deleted room is NOT_FOUND however the
// second delete arrives; and a mutation's result is read after its write.
import { afterAll, describe, expect, it } from "vitest";
import { PermissionHandler, type Room, type User } from "../src/index.js";
import type { AdminAction } from "../src/permissions/permission-helpers.js";
import { connectWs } from "./harness/clients.js";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { codeOf, createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type GraphQLResponse, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const HISTORY = `query($r: ID!) { messages(roomId: $r, last: 50) { edges { node { content } } } }`;
const MEMBERS = `query($r: ID!) { room(id: $r) { members { edges { node { user { id } } } } } }`;
const DELETE = `mutation($r: ID!) { deleteRoom(roomId: $r) }`;
const MISSING_MESSAGE = "00000000-0000-4000-8000-000000000000";

/** The three documents of the issue. */
const DOCUMENTS = {
  sendLeaveSend: `mutation($r: ID!) {
    a: sendMessage(input: { roomId: $r, content: "a" }) { seq }
    b: leaveRoom(roomId: $r) { roomDeleted }
    c: sendMessage(input: { roomId: $r, content: "c" }) { seq }
  }`,
  deleteTwice: `mutation($r: ID!) { a: deleteRoom(roomId: $r) b: deleteRoom(roomId: $r) }`,
  sendThenReactToMissing: `mutation($r: ID!, $m: ID!) {
    a: sendMessage(input: { roomId: $r, content: "a" }) { seq }
    b: react(messageId: $m, content: "👍") { id }
  }`,
};

const REFUSAL = { code: "BAD_USER_INPUT", seedCode: 4003, limit: "mutations", max: 1 };

async function contents(server: TestServer, userId: string, roomId: string): Promise<string[]> {
  const data = await ok(server, userId, HISTORY, { r: roomId });
  return data.messages.edges.map((edge: any) => edge.node.content);
}

async function memberIds(server: TestServer, roomId: string): Promise<string[]> {
  const data = await ok(server, "ann", MEMBERS, { r: roomId });
  return data.room.members.edges.map((edge: any) => edge.node.user.id).sort();
}

function expectRefused(result: GraphQLResponse): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors?.[0]?.extensions).toMatchObject(REFUSAL);
}

describe.each(PROVIDERS)("mutation documents on %s", (provider) => {
  it("refuses each document of the issue before anything runs, over HTTP and graphql-ws", async () => {
    const server = await startTestServer(provider);
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    const variables = { r: roomId, m: MISSING_MESSAGE };

    for (const document of Object.values(DOCUMENTS)) {
      const author = document === DOCUMENTS.deleteTwice ? "ann" : "ben";
      expectRefused(await server.gql(author, document, variables));
    }

    const ben = await connectWs(server, "ben");
    const overWs = ben.subscribe(DOCUMENTS.sendLeaveSend, variables);
    await overWs.waitForComplete();
    expect((overWs.error as any[])[0].extensions).toMatchObject(REFUSAL);
    // The socket stays open for the next operation.
    const { value } = await ben.client.iterate({ query: "{ viewer { id } }" }).next();
    expect(value).toEqual({ data: { viewer: { id: "ben" } } });
    await ben.dispose();

    // Nothing was written: no message, ben still a member, the room still there.
    expect(await contents(server, "ann", roomId)).toEqual([]);
    expect(await memberIds(server, roomId)).toEqual(["ann", "ben"]);
  });

  it("counts root fields through fragments, once per response key, and not __typename", async () => {
    const server = await startTestServer(provider);
    await signIn(server, "ann");
    const roomId = await createGroup(server, "ann", []);
    const send = (alias: string) => `${alias}: sendMessage(input: { roomId: $r, content: "${alias}" }) { seq }`;
    const refused = [
      `mutation($r: ID!) { ${send("a")} ...More } fragment More on Mutation { ${send("b")} }`,
      `mutation($r: ID!) { ${send("a")} ... on Mutation { ${send("b")} } }`,
      // Counted even when a directive would skip it: the limit is decided from the document alone.
      `mutation($r: ID!) { ${send("a")} ${send("b").replace(") {", ") @skip(if: true) {")} }`,
    ];
    for (const document of refused) expectRefused(await server.gql("ann", document, { r: roomId }));
    expect(await contents(server, "ann", roomId)).toEqual([]);

    const allowed = `mutation($r: ID!) { __typename t: __typename ${send("a")} ...Same } fragment Same on Mutation { ${send("a")} }`;
    const result = await server.gql("ann", allowed, { r: roomId });
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ __typename: "Mutation", a: { seq: 1 } });
    expect(await contents(server, "ann", roomId)).toEqual(["a"]);
  });

  it("answers NOT_FOUND to the second of two concurrent deleteRoom requests", async () => {
    const server = await startTestServer(provider);
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    await sendMessage(server, "ben", roomId, "gone with the room");
    const codes = await Promise.all([1, 2].map(() => codeOf(server, "ann", DELETE, { r: roomId })));
    expect(codes.sort()).toEqual(["NOT_FOUND", "OK"]);
    expect(await codeOf(server, "ann", DELETE, { r: roomId })).toBe("NOT_FOUND");
  });

  it("answers NOT_FOUND when the room is deleted between the check and the delete", async () => {
    // As a concurrent request could: the handler allows, then the room goes before the write.
    let deleteAfterCheck: ((roomId: string) => Promise<unknown>) | null = null;
    class DeletedMeanwhile extends PermissionHandler {
      override async haveAdminPrivileges(user: User, roomId: string, action: AdminAction): Promise<[boolean, Room]> {
        const answer = await super.haveAdminPrivileges(user, roomId, action);
        const deleteNow = deleteAfterCheck;
        deleteAfterCheck = null;
        await deleteNow?.(roomId);
        return answer;
      }
    }
    const database = await createTestDatabase(provider);
    const server = await startTestServer(provider, { database, permissionHandler: DeletedMeanwhile });
    const db = server.server.db;
    await signIn(server, "ann", "ben");
    for (const [query, variables] of [
      [DELETE, {}],
      [`mutation($r: ID!) { updateRoom(roomId: $r, input: { name: "renamed" }) { id } }`, {}],
    ] as const) {
      const roomId = await createGroup(server, "ann", ["ben"]);
      deleteAfterCheck = (id) => db.room.delete({ where: { id } });
      const result = await server.gql("ann", query, { ...variables, r: roomId });
      expect(result.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([["NOT_FOUND", "Resource not found."]]);
    }
  });

  it("reads a mutation's result after its write: the viewer's role, capabilities and view of members", async () => {
    const server = await startTestServer(provider);
    await signIn(server, "ann", "ben", "cy");
    const roomId = await createGroup(server, "ann", ["ben", "cy"]);
    // The creator removes herself: the check that allowed it said she may remove members.
    const data = await ok(server, "ann", `mutation($r: ID!) {
      removeMember(roomId: $r, userId: "ann") {
        viewerRole
        viewerCan { removeMembers addMembers leave }
        members { edges { node { user { id } } } }
        lastMessage { id }
      }
    }`, { r: roomId });
    expect(data.removeMember).toEqual({
      viewerRole: null,
      viewerCan: { removeMembers: false, addMembers: false, leave: false },
      members: { edges: [] },
      lastMessage: null,
    });
    expect(await codeOf(server, "ann", HISTORY, { r: roomId })).toBe("NOT_FOUND");
  });
});
