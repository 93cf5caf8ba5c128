import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createChannel, createChat, createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";
import { PROVIDERS } from "./harness/databases.js";

afterAll(stopTestServers);

describe.each(PROVIDERS)("rooms on %s", (provider) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "ann", "ben", "cat", "dan");
  });

  it("creates each kind of room with the creator in charge", async () => {
    const groupId = await createGroup(server, "ann", ["ben", "cat"], { locked: true });
    const group = await ok(server, "ann", `query($id: ID!) { room(id: $id) { __typename kind name memberCount viewerRole
      ... on GroupChat { locked maxParticipants creator { id } admins { id } } viewerCan { sendMessages delete } } }`, { id: groupId });
    expect(group.room).toEqual({
      __typename: "GroupChat", kind: "GROUP", name: "group", memberCount: 3, viewerRole: "CREATOR",
      locked: true, maxParticipants: 100, creator: { id: "ann" }, admins: [{ id: "ann" }],
      viewerCan: { sendMessages: true, delete: true },
    });
    const channelId = await createChannel(server, "ann", ["ben"], { isPublic: true });
    const channel = await ok(server, "ben", `query($id: ID!) { room(id: $id) { __typename viewerRole
      ... on Channel { isPublic maxSubscribers moderators { id } } viewerCan { sendMessages delete } } }`, { id: channelId });
    expect(channel.room).toEqual({
      __typename: "Channel", viewerRole: "MEMBER", isPublic: true, maxSubscribers: 300, moderators: [{ id: "ann" }],
      viewerCan: { sendMessages: false, delete: false },
    });
  });

  it("keeps one chat per pair, also when both sides open it at once", async () => {
    const ids = await Promise.all([
      createChat(server, "cat", "dan"), createChat(server, "dan", "cat"),
      createChat(server, "cat", "dan"), createChat(server, "dan", "cat"),
    ]);
    expect(new Set(ids).size).toBe(1);
    const chat = await ok(server, "cat", `query($id: ID!) { room(id: $id) { ... on OneToOneChat { peer { id } participants { id } } } }`, { id: ids[0] });
    expect(chat.room).toEqual({ peer: { id: "dan" }, participants: [{ id: "cat" }, { id: "dan" }] });
  });

  it("pages rooms by recent activity, and members and public channels, without gaps or repeats", async () => {
    await signIn(server, "pager", "p1", "p2", "p3", "p4", "p5");
    const groups: string[] = [];
    for (let i = 0; i < 5; i++) groups.push(await createGroup(server, "pager", ["p1", "p2", "p3", "p4", "p5"]));
    // The oldest room becomes the most recently active.
    await ok(server, "pager", `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "bump" }) { seq } }`, { r: groups[0] });

    async function pageAll(query: string, variables: Record<string, unknown>, pick: (data: any) => any) {
      const ids: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const connection = pick(await ok(server, "pager", query, { ...variables, after }));
        ids.push(...connection.edges.map((edge: any) => edge.node.id ?? edge.node.user.id));
        if (!connection.pageInfo.hasNextPage) return ids;
        after = connection.pageInfo.endCursor;
      }
      throw new Error("paging did not end");
    }

    const rooms = await pageAll(`query($after: String) { rooms(first: 2, after: $after) {
      edges { node { id } } pageInfo { hasNextPage endCursor } } }`, {}, (data) => data.rooms);
    expect(rooms).toHaveLength(5);
    expect(rooms[0]).toBe(groups[0]);
    expect(new Set(rooms)).toEqual(new Set(groups));

    const members = await pageAll(`query($id: ID!, $after: String) { room(id: $id) { members(first: 2, after: $after) {
      edges { node { user { id } } } pageInfo { hasNextPage endCursor } } } }`, { id: groups[1] }, (data) => data.room.members);
    expect(members.sort()).toEqual(["p1", "p2", "p3", "p4", "p5", "pager"]);

    const channels: string[] = [];
    for (let i = 0; i < 3; i++) channels.push(await createChannel(server, "pager", [], { isPublic: true }));
    const listed = await pageAll(`query($after: String) { publicChannels(first: 1, after: $after) {
      edges { node { id } } pageInfo { hasNextPage endCursor } } }`, {}, (data) => data.publicChannels);
    for (const id of channels) expect(listed).toContain(id);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("refuses anonymous callers and malformed ids, and non-members as if the room did not exist", async () => {
    const groupId = await createGroup(server, "ann", ["ben"]);
    const query = `query($id: ID!) { room(id: $id) { id } }`;
    expect(await codeOf(server, "cat", query, { id: groupId })).toBe("NOT_FOUND");
    expect(await codeOf(server, null, query, { id: groupId })).toBe("UNAUTHENTICATED");
    expect(await codeOf(server, "cat", query, { id: "8a1f1d8e-0000-4000-8000-000000000000" })).toBe("NOT_FOUND");
    expect(await codeOf(server, "cat", query, { id: "not-a-uuid" })).toBe("BAD_USER_INPUT");
  });
});
