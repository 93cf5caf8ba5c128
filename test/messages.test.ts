import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createChannel, createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";
import { PROVIDERS } from "./harness/databases.js";

afterAll(stopTestServers);

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) {
  id seq content isForwarded sender { id } room { id } createdAt replyTo { id } forwardedFrom { id }
  attachments { url mediaType mimeType size caption metadata } } }`;
const HISTORY = `query($roomId: ID!, $last: Int, $before: String) {
  messages(roomId: $roomId, last: $last, before: $before) {
    edges { node { id seq content } } pageInfo { hasPreviousPage startCursor } } }`;
const MESSAGE_VIEW = `query($roomId: ID!) { messages(roomId: $roomId, last: 100) { edges { node {
  id content isEdited editedAt isForwarded replyTo { id } forwardedFrom { id } attachments { url mimeType }
  reactions { content count reactedByViewer } viewerReaction readCount deliveredCount readByViewer } } } }`;
const REACT = `mutation($id: ID!, $c: String!) { react(messageId: $id, content: $c) {
  reactions { content count reactedByViewer } viewerReaction } }`;
const REMOVE_REACTION = `mutation($id: ID!) { removeReaction(messageId: $id) {
  reactions { content count } viewerReaction } }`;
const MARK_READ = `mutation($ids: [ID!]!) { markRead(messageIds: $ids) { id readCount readByViewer } }`;
const ACK = `mutation($ids: [ID!]!) { acknowledgeDelivery(messageIds: $ids) { id deliveredCount } }`;
const DELETE = `mutation($ids: [ID!]!) { deleteMessages(messageIds: $ids) }`;
const EDIT = `mutation($id: ID!, $c: String!) { editMessage(messageId: $id, content: $c) {
  id content isEdited editedAt } }`;
const NOTIFICATIONS = `query($first: Int, $after: String) { notifications(first: $first, after: $after) {
  edges { node { id type message { id } room { id } createdAt } } pageInfo { hasNextPage endCursor } } }`;
const UNKNOWN_ID = "8a1f1d8e-0000-4000-8000-000000000000";
const ROOM_LAST = `query($id: ID!) { room(id: $id) { lastMessage { id seq } } }`;
const IMAGE = {
  url: "https://cdn.example/a.png",
  mediaType: "IMAGE",
  mimeType: "image/png",
  size: 10,
  caption: "pic",
  metadata: { w: 1 },
};

async function history(server: TestServer, userId: string, roomId: string) {
  const data = await ok(server, userId, MESSAGE_VIEW, { roomId });
  return data.messages.edges.map((edge: any) => edge.node);
}

async function unreadCount(server: TestServer, userId: string, roomId: string): Promise<number> {
  const data = await ok(server, userId, `query($id: ID!) { room(id: $id) { unreadCount } }`, { id: roomId });
  return data.room.unreadCount;
}

/** The viewer's notifications of one room (other tests add their own). */
async function notificationsIn(server: TestServer, userId: string, roomId: string) {
  const data = await ok(server, userId, NOTIFICATIONS, { first: 100 });
  return data.notifications.edges.map((edge: any) => edge.node).filter((node: any) => node.room.id === roomId);
}

describe.each(PROVIDERS)("messages on %s", (provider) => {
  let server: TestServer;
  /** sendMessage's error code (or "OK") for this input. */
  const sendCode = (userId: string, input: Record<string, unknown>) => codeOf(server, userId, SEND, { input });
  const send = async (userId: string, input: Record<string, unknown>) =>
    (await ok(server, userId, SEND, { input })).sendMessage;
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "ann", "ben", "cat", "dan");
  });

  it("sends messages and pages history backwards in seq order", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const first = await send("ann", { roomId, content: "m1" });
    expect(first).toMatchObject({ seq: 1, content: "m1", sender: { id: "ann" }, room: { id: roomId } });
    expect(Date.parse(first.createdAt)).not.toBeNaN();
    for (let n = 2; n <= 12; n += 1) await sendMessage(server, n % 2 ? "ann" : "ben", roomId, `m${n}`);
    const seqs: number[][] = [];
    let before: string | undefined;
    let more = true;
    while (more) {
      const page = (await ok(server, "ben", HISTORY, { roomId, last: 5, before })).messages;
      seqs.push(page.edges.map((edge: any) => edge.node.seq));
      expect(page.edges.map((edge: any) => edge.node.content)).toEqual(seqs.at(-1)!.map((seq) => `m${seq}`));
      more = page.pageInfo.hasPreviousPage;
      before = page.pageInfo.startCursor;
    }
    expect(seqs).toEqual([[8, 9, 10, 11, 12], [3, 4, 5, 6, 7], [1, 2]]);
    expect(await codeOf(server, "ben", HISTORY, { roomId, last: 101 })).toBe("BAD_USER_INPUT");
  });

  it("refuses anonymous callers and non-members", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    expect(await codeOf(server, null, SEND, { input: { roomId, content: "x" } })).toBe("UNAUTHENTICATED");
    // To a non-member a private room answers exactly as a missing one.
    expect(await sendCode("cat", { roomId, content: "x" })).toBe("NOT_FOUND");
    expect(await sendCode("cat", { roomId: UNKNOWN_ID, content: "x" })).toBe("NOT_FOUND");
    // The input is a whitelist: no sender, flags or timestamps.
    const spoofed = await server.gql("ann", SEND, { input: { roomId, content: "x", senderId: "ben" } });
    expect(spoofed.errors?.[0]?.message).toMatch(/senderId/);
  });

  it("checks and sanitises content", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    expect(await sendCode("ann", { roomId, content: "x".repeat(10_001) })).toBe("BAD_USER_INPUT");
    const long = await send("ann", { roomId, content: "x".repeat(10_000) });
    expect(long.content).toHaveLength(10_000);
    const xss = await send("ann", { roomId, content: `<p onclick="x()">hi<script>alert(1)</script></p>` });
    expect(xss.content).toBe("<p>hialert(1)</p>");
    // A lone surrogate (as a variable: a literal would fail to parse) is refused, nothing stored.
    for (const content of ["", "   ", "<p> </p>", `<img src="x" onerror="alert(1)">`, "x\ud800y", "\udc00"]) {
      expect(await sendCode("ann", { roomId, content })).toBe("BAD_USER_INPUT");
    }
    expect(await sendCode("ann", { roomId, content: "ok", clientMsgId: "k\udbff" })).toBe("BAD_USER_INPUT");
    const stored = (await history(server, "ben", roomId)).map((m: any) => m.content);
    expect(stored).toEqual(["x".repeat(10_000), "<p>hialert(1)</p>"]);
  });

  it("stores attachments with the content given, and refuses bad ones storing nothing", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const sent = await send("ann", { roomId, content: "look", attachments: [IMAGE] });
    expect(sent).toMatchObject({ content: "look", attachments: [IMAGE] });
    const plain = { ...IMAGE, size: null, caption: null, metadata: null };
    const bare = await send("ann", { roomId, content: "", attachments: [plain] });
    expect(bare).toMatchObject({ content: "", attachments: [{ size: 0, caption: null, metadata: {} }] });
    const bad = [
      { ...IMAGE, mimeType: "application/x-msdownload" },
      { ...IMAGE, mimeType: "video/mp4" },
      { ...IMAGE, url: "javascript:alert(1)" },
      { ...IMAGE, size: -1 },
      { ...IMAGE, caption: "c".repeat(1_025) },
      { ...IMAGE, metadata: [1, 2] },
    ];
    for (const attachment of bad) {
      expect(await sendCode("ann", { roomId, content: "x", attachments: [IMAGE, attachment] })).toBe(
        "BAD_USER_INPUT",
      );
    }
    const eleven = Array.from({ length: 11 }, () => IMAGE);
    expect(await sendCode("ann", { roomId, content: "x", attachments: eleven })).toBe("BAD_USER_INPUT");
    const file = { url: "http://cdn.example/a.pdf", mediaType: "FILE", mimeType: "application/pdf" };
    expect(await sendCode("ann", { roomId, content: "doc", attachments: [file] })).toBe("OK");
    expect((await history(server, "ben", roomId)).map((m: any) => m.content)).toEqual(["look", "", "doc"]);
  });

  it("checks reply and forward sources, and copies forwards on the server", async () => {
    const roomA = await createGroup(server, "ann", ["ben"]);
    const roomB = await createGroup(server, "cat", ["ann"]);
    const secret = await send("cat", { roomId: roomB, content: "<b>secret</b>", attachments: [IMAGE] });
    const sourceId = secret.id;
    const own = await sendMessage(server, "ben", roomA, "mine");
    // A message of a room ben is not in is, to ben, a message that does not exist.
    expect(await sendCode("ben", { roomId: roomA, content: "re", replyToId: sourceId })).toBe("NOT_FOUND");
    expect(await sendCode("ben", { roomId: roomA, content: "", forwardFromId: sourceId })).toBe("NOT_FOUND");
    expect(await sendCode("ben", { roomId: roomA, content: "re", replyToId: UNKNOWN_ID })).toBe("NOT_FOUND");
    expect(
      await sendCode("ben", { roomId: roomA, content: "", replyToId: own.id, forwardFromId: own.id }),
    ).toBe("BAD_USER_INPUT");
    expect(await sendCode("ann", { roomId: roomA, content: "forged", forwardFromId: sourceId })).toBe(
      "BAD_USER_INPUT",
    );
    expect(
      await sendCode("ann", { roomId: roomA, content: "", forwardFromId: sourceId, attachments: [IMAGE] }),
    ).toBe("BAD_USER_INPUT");

    const reply = await send("ben", { roomId: roomA, content: "re", replyToId: own.id });
    expect(reply.replyTo).toEqual({ id: own.id });
    const forward = await send("ann", { roomId: roomA, content: "", forwardFromId: sourceId });
    expect(forward).toMatchObject({
      content: "<b>secret</b>",
      isForwarded: true,
      forwardedFrom: { id: sourceId },
      attachments: [IMAGE],
    });
    // ben reads the copy, but not where it came from.
    const seenByBen = (await history(server, "ben", roomA)).find((m: any) => m.id === forward.id);
    expect(seenByBen).toMatchObject({ content: "<b>secret</b>", isForwarded: true, forwardedFrom: null });
  });

  it("returns the first message for a repeated clientMsgId, also under concurrent retries", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const first = await sendMessage(server, "ann", roomId, "once", { clientMsgId: "c-1" });
    expect(await sendMessage(server, "ann", roomId, "once", { clientMsgId: "c-1" })).toEqual(first);
    // Another sender's key space is their own.
    expect((await sendMessage(server, "ben", roomId, "once", { clientMsgId: "c-1" })).id).not.toBe(first.id);
    const retries = await Promise.all(
      Array.from({ length: 10 }, () => sendMessage(server, "ann", roomId, "burst", { clientMsgId: "c-2" })),
    );
    expect(new Set(retries.map((m) => m.id)).size).toBe(1);
    expect((await history(server, "ann", roomId)).map((m: any) => m.content)).toEqual(["once", "once", "burst"]);
    expect(await sendCode("ann", { roomId, content: "x", clientMsgId: "k".repeat(129) })).toBe(
      "BAD_USER_INPUT",
    );
  });

  it("hands out seqs without gaps or duplicates under concurrent sends", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const senders = ["ann", "ben", "cat"];
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, n) => sendMessage(server, senders[n % 3]!, roomId, `c${n}`)),
    );
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n + 1));
    expect((await ok(server, "ann", ROOM_LAST, { id: roomId })).room.lastMessage.seq).toBe(20);
  });

  it("lets only the sender edit, and marks the edit", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const message = await sendMessage(server, "ann", roomId, "draft");
    expect(await codeOf(server, "ben", EDIT, { id: message.id, c: "hijacked" })).toBe("FORBIDDEN");
    expect(await codeOf(server, "ann", EDIT, { id: message.id, c: "<p></p>" })).toBe("BAD_USER_INPUT");
    const edited = await ok(server, "ann", EDIT, { id: message.id, c: "final<script>x</script>" });
    expect(edited.editMessage).toMatchObject({ id: message.id, content: "finalx", isEdited: true });
    expect(Date.parse(edited.editMessage.editedAt)).not.toBeNaN();
    expect((await history(server, "ben", roomId))[0]).toMatchObject({ content: "finalx", isEdited: true });
  });

  it("refuses to delete across rooms or others' messages", async () => {
    const roomA = await createGroup(server, "ann", ["ben"]);
    const roomB = await createGroup(server, "ann", ["ben"]);
    const a = await sendMessage(server, "ann", roomA, "a");
    const b = await sendMessage(server, "ann", roomB, "b");
    expect(await codeOf(server, "ann", DELETE, { ids: [a.id, b.id] })).toBe("BAD_USER_INPUT");
    expect(await codeOf(server, "ben", DELETE, { ids: [a.id] })).toBe("FORBIDDEN");
    const tooMany = Array.from({ length: 101 }, () => randomUUID());
    expect(await codeOf(server, "ann", DELETE, { ids: tooMany })).toBe("BAD_USER_INPUT");
    expect(await codeOf(server, "ann", DELETE, { ids: [] })).toBe("BAD_USER_INPUT");
  });

  for (const soft of [false, true]) {
    it(`deletes ${soft ? "softly" : "for good"}: gone from history, lastMessage and notifications`, async () => {
      const target = soft ? await startTestServer(provider, { MESSAGE_SOFT_DELETE: true }) : server;
      if (soft) await signIn(target, "ann", "ben");
      const roomId = await createGroup(target, "ann", ["ben"]);
      const kept = await sendMessage(target, "ann", roomId, "kept");
      const gone1 = await sendMessage(target, "ann", roomId, "gone 1");
      const reply = await sendMessage(target, "ben", roomId, "re", { replyToId: gone1.id });
      const gone2 = await sendMessage(target, "ann", roomId, "gone 2");
      expect(await ok(target, "ann", DELETE, { ids: [gone2.id, gone1.id, gone2.id] })).toEqual({
        deleteMessages: [gone2.id, gone1.id],
      });
      const left = await history(target, "ben", roomId);
      expect(left.map((m: any) => m.id)).toEqual([kept.id, reply.id]);
      expect(left[1].replyTo).toBeNull();
      expect((await ok(target, "ben", ROOM_LAST, { id: roomId })).room.lastMessage.id).toBe(reply.id);
      expect(await unreadCount(target, "ben", roomId)).toBe(1);
      expect((await notificationsIn(target, "ben", roomId)).map((n: any) => n.message.id)).toEqual([kept.id]);
      expect(await codeOf(target, "ann", EDIT, { id: gone1.id, c: "back" })).toBe("NOT_FOUND");
      expect(await codeOf(target, "ben", REACT, { id: gone1.id, c: "+1" })).toBe("NOT_FOUND");
      await ok(target, "ben", DELETE, { ids: [reply.id] });
      await ok(target, "ann", DELETE, { ids: [kept.id] });
      expect((await ok(target, "ben", ROOM_LAST, { id: roomId })).room.lastMessage).toBeNull();
    });
  }

  it("keeps one reaction per user: the same again is a no-op, a different one replaces it", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const { id } = await sendMessage(server, "ann", roomId, "react to me");
    const once = await ok(server, "ben", REACT, { id, c: " 👍 " });
    expect(once.react).toEqual({
      reactions: [{ content: "👍", count: 1, reactedByViewer: true }],
      viewerReaction: "👍",
    });
    expect((await ok(server, "ben", REACT, { id, c: "👍" })).react).toEqual(once.react);
    await ok(server, "cat", REACT, { id, c: "👍" });
    const replaced = await ok(server, "ben", REACT, { id, c: "❤" });
    expect(replaced.react).toEqual({
      reactions: [
        { content: "❤", count: 1, reactedByViewer: true },
        { content: "👍", count: 1, reactedByViewer: false },
      ],
      viewerReaction: "❤",
    });
    await Promise.all(Array.from({ length: 6 }, () => ok(server, "ann", REACT, { id, c: "🎉" })));
    const [view] = await history(server, "ann", roomId);
    expect(view.reactions).toContainEqual({ content: "🎉", count: 1, reactedByViewer: true });
    const removed = (await ok(server, "ben", REMOVE_REACTION, { id })).removeReaction;
    expect(removed.viewerReaction).toBeNull();
    expect(removed.reactions).toHaveLength(2);
    expect(removed.reactions).toEqual(
      expect.arrayContaining([{ content: "👍", count: 1 }, { content: "🎉", count: 1 }]),
    );
    expect(await codeOf(server, "ben", REMOVE_REACTION, { id })).toBe("OK");
    expect(await codeOf(server, "ben", REACT, { id, c: "  " })).toBe("BAD_USER_INPUT");
    expect(await codeOf(server, "ben", REACT, { id, c: "x".repeat(129) })).toBe("BAD_USER_INPUT");
    expect(await codeOf(server, "dan", REACT, { id, c: "👍" })).toBe("NOT_FOUND");
  });

  it("marks messages read: unreadCount drops, readCount rises, twice is fine", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const [m1, m2, m3] = [
      await sendMessage(server, "ann", roomId, "1"),
      await sendMessage(server, "ann", roomId, "2"),
      await sendMessage(server, "ann", roomId, "3"),
    ];
    const own = await sendMessage(server, "ben", roomId, "mine");
    expect(await unreadCount(server, "ben", roomId)).toBe(3);
    const read = await ok(server, "ben", MARK_READ, { ids: [m1!.id, m2!.id, own.id] });
    expect(read.markRead).toEqual([
      { id: m1!.id, readCount: 1, readByViewer: true },
      { id: m2!.id, readCount: 1, readByViewer: true },
      { id: own.id, readCount: 0, readByViewer: true },
    ]);
    expect(await unreadCount(server, "ben", roomId)).toBe(1);
    expect(await codeOf(server, "ben", MARK_READ, { ids: [m1!.id, m2!.id] })).toBe("OK");
    await ok(server, "ben", MARK_READ, { ids: [m3!.id] });
    // Reading an older message again does not make newer ones unread.
    await ok(server, "ben", MARK_READ, { ids: [m1!.id] });
    expect(await unreadCount(server, "ben", roomId)).toBe(0);
    await ok(server, "cat", MARK_READ, { ids: [m1!.id] });
    expect((await history(server, "ann", roomId))[0]).toMatchObject({ readCount: 2, readByViewer: true });
    expect(await codeOf(server, "dan", MARK_READ, { ids: [m1!.id] })).toBe("NOT_FOUND");
  });

  it("notifies the other members, and acknowledging delivery clears the viewer's notifications", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const message = await sendMessage(server, "ann", roomId, "news");
    const reply = await sendMessage(server, "cat", roomId, "re", { replyToId: message.id });
    const forBen = await notificationsIn(server, "ben", roomId);
    // The reply is addressed to ann alone; for ben it is another new message.
    expect(forBen.map((n: any) => [n.type, n.message.id])).toEqual([
      ["NEW_MESSAGE", reply.id],
      ["NEW_MESSAGE", message.id],
    ]);
    expect(forBen[0].room).toEqual({ id: roomId });
    expect((await notificationsIn(server, "ann", roomId)).map((n: any) => n.type)).toEqual(["REPLY"]);
    expect(await notificationsIn(server, "cat", roomId)).toHaveLength(1);

    // ben reacts to ann's message: only ann hears of it; cat reacting to cat's own does nothing.
    await ok(server, "ben", REACT, { id: message.id, c: "👍" });
    await ok(server, "cat", REACT, { id: reply.id, c: "👍" });
    expect((await notificationsIn(server, "ann", roomId)).map((n: any) => n.type)).toEqual(["REACTION", "REPLY"]);
    expect(await notificationsIn(server, "cat", roomId)).toHaveLength(1);

    const page1 = (await ok(server, "ben", NOTIFICATIONS, { first: 1 })).notifications;
    expect(page1.edges).toHaveLength(1);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const after = page1.pageInfo.endCursor;
    const page2 = (await ok(server, "ben", NOTIFICATIONS, { first: 1, after })).notifications;
    expect(page2.edges[0].node.id).not.toBe(page1.edges[0].node.id);
    expect(await codeOf(server, "ben", NOTIFICATIONS, { first: 101 })).toBe("BAD_USER_INPUT");
    expect(await codeOf(server, "ben", NOTIFICATIONS, { after: "nonsense" })).toBe("BAD_USER_INPUT");
    expect(await codeOf(server, null, NOTIFICATIONS, {})).toBe("UNAUTHENTICATED");

    const acked = await ok(server, "ben", ACK, { ids: [message.id, reply.id] });
    expect(acked.acknowledgeDelivery).toEqual([
      { id: message.id, deliveredCount: 1 },
      { id: reply.id, deliveredCount: 1 },
    ]);
    expect(await notificationsIn(server, "ben", roomId)).toEqual([]);
    expect(await codeOf(server, "ben", ACK, { ids: [message.id] })).toBe("OK");
    // ann's own message: no ack counted, but her REACTION notification of it is cleared.
    await ok(server, "ann", ACK, { ids: [message.id] });
    expect((await notificationsIn(server, "ann", roomId)).map((n: any) => n.type)).toEqual(["REPLY"]);
    expect((await history(server, "ann", roomId))[0].deliveredCount).toBe(1);
  });

  it("derives new-message notifications from positions: none from before joining, out-of-order acks kept apart", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const before = await sendMessage(server, "ann", roomId, "before cat");
    await ok(server, "ann", `mutation($r: ID!, $u: [ID!]!) { addMembers(roomId: $r, userIds: $u) { id } }`, { r: roomId, u: ["cat"] });
    const [first, second, third] = [
      await sendMessage(server, "ann", roomId, "one"),
      await sendMessage(server, "ben", roomId, "two"),
      await sendMessage(server, "ann", roomId, "three"),
    ];
    const idsFor = async (userId: string) => (await notificationsIn(server, userId, roomId)).map((n: any) => n.message.id);
    // cat joined after "before cat"; her own messages never notify her.
    expect(await idsFor("cat")).toEqual([third.id, second.id, first.id]);
    expect(await idsFor("ben")).toEqual([third.id, first.id, before.id]);
    // Acknowledging the newest first leaves the older ones; then the rest clears all.
    await ok(server, "cat", ACK, { ids: [third.id] });
    expect(await idsFor("cat")).toEqual([second.id, first.id]);
    await ok(server, "cat", ACK, { ids: [first.id, second.id] });
    expect(await idsFor("cat")).toEqual([]);
    const fourth = await sendMessage(server, "ben", roomId, "four");
    expect(await idsFor("cat")).toEqual([fourth.id]);
    // Deleting a message removes its notification; leaving the room removes them all.
    await ok(server, "ben", DELETE, { ids: [fourth.id] });
    expect(await idsFor("cat")).toEqual([]);
    await sendMessage(server, "ann", roomId, "five");
    await ok(server, "cat", `mutation($r: ID!) { leaveRoom(roomId: $r) { roomDeleted } }`, { r: roomId });
    expect(await idsFor("cat")).toEqual([]);
  });

  it("lets channel subscribers without the grant react and read but not post", async () => {
    const roomId = await createChannel(server, "ann", ["ben"]);
    const post = await sendMessage(server, "ann", roomId, "broadcast");
    expect(await sendCode("ben", { roomId, content: "me too" })).toBe("FORBIDDEN");
    expect(await sendCode("ben", { roomId, content: "re", replyToId: post.id })).toBe("FORBIDDEN");
    expect(await codeOf(server, "ben", REACT, { id: post.id, c: "👍" })).toBe("OK");
    expect(await codeOf(server, "ben", MARK_READ, { ids: [post.id] })).toBe("OK");
    expect(await unreadCount(server, "ben", roomId)).toBe(0);
  });

  it("lets only the creator and admins post in a locked group", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"], { locked: true });
    expect(await sendCode("ben", { roomId, content: "hi" })).toBe("FORBIDDEN");
    expect(await sendCode("ann", { roomId, content: "hi" })).toBe("OK");
    await ok(server, "ann", `mutation($r: ID!) { addAdmins(roomId: $r, userIds: ["cat"]) { id } }`, { r: roomId });
    expect(await sendCode("cat", { roomId, content: "hi" })).toBe("OK");
  });
});
