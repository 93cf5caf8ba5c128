// The ChatEventHandler: each method is called once per change, after it committed, with the
// documented payload; a handler that throws, hangs or is slow changes nothing for the users who
// send and receive (the send answers, subscribers get the message), and what went wrong is logged
// with the event id and counted in /metrics. Registration mirrors the PermissionHandler's.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ChatEventHandler,
  createChatServer,
  type ChatEventBase,
  type ChatEventHandlerServices,
  type ChatEventMethod,
  type MembersChangedEvent,
  type MessageSentEvent,
  type NotificationCreatedEvent,
  type RoomCreatedEvent,
  type RoomDeletedEvent,
} from "../src/index.js";
import { EventDispatcher } from "../src/events/event-dispatcher.js";
import { createLogger } from "../src/logger.js";
import { createChatMetrics } from "../src/server/metrics.js";
import { connectWs, waitForListeners, type WsConnection } from "./harness/clients.js";
import { createTestDatabase, PROVIDERS } from "./harness/databases.js";
import { createChannel, createChat, createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const example = (file: string) => resolve("examples/event-handlers", file);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const MESSAGE_ADDED = `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id content } }`;

interface Call {
  method: ChatEventMethod;
  event: any;
}

/** A handler class that records every call, and waits for them. */
function recorder() {
  const calls: Call[] = [];
  const waiters: Array<() => void> = [];
  const record = (method: ChatEventMethod, event: ChatEventBase) => {
    calls.push({ method, event });
    waiters.splice(0).forEach((wake) => wake());
  };
  class Recording extends ChatEventHandler {
    override async onMessageSent(event: MessageSentEvent) {
      record("onMessageSent", event);
    }
    override async onNotificationCreated(event: NotificationCreatedEvent) {
      record("onNotificationCreated", event);
    }
    override async onMembersChanged(event: MembersChangedEvent) {
      record("onMembersChanged", event);
    }
    override async onRoomCreated(event: RoomCreatedEvent) {
      record("onRoomCreated", event);
    }
    override async onRoomDeleted(event: RoomDeletedEvent) {
      record("onRoomDeleted", event);
    }
  }
  /** Resolves once a call matching `found` was recorded; returns it. */
  const waitFor = (found: (call: Call) => boolean, timeoutMs = 10_000): Promise<Call> =>
    new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such call among ${JSON.stringify(calls.map((c) => c.method))}`)), timeoutMs);
      const check = () => {
        const call = calls.find(found);
        if (call) {
          clearTimeout(timer);
          resolvePromise(call);
        } else waiters.push(check);
      };
      check();
    });
  return { Handler: Recording, calls, waitFor };
}

type Recorder = ReturnType<typeof recorder>;

/** The calls made before a later sentinel change was handled: calls are made in order, so once the
 * sentinel's arrived, nothing from before it is still to come. */
async function callsBefore(server: TestServer, rec: Recorder, sentinelRoom: string, method: ChatEventMethod): Promise<Call[]> {
  const { id } = await sendMessage(server, "alice", sentinelRoom, "sentinel");
  await rec.waitFor((call) => call.method === "onMessageSent" && call.event.message.id === id);
  const index = rec.calls.findIndex((call) => call.method === "onMessageSent" && call.event.message.id === id);
  return rec.calls.slice(0, index).filter((call) => call.method === method);
}

/** A sample's value in the /metrics text; 0 when absent. */
async function metric(server: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!/^[{ ]/.test(rest)) continue;
    if (wanted.every((label) => rest.includes(label))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

function capturedLogger() {
  const lines: Array<Record<string, any>> = [];
  const logger = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { lines, logger };
}

/** A deferred promise the test resolves. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolvePromise) => (open = resolvePromise));
  return { opened, open };
}

describe.each(PROVIDERS)("each method once per change, with its payload, on %s", (provider) => {
  let server: TestServer;
  let rec: Recorder;
  let sentinel: string;

  beforeAll(async () => {
    rec = recorder();
    server = await startTestServer(provider, { eventHandler: rec.Handler });
    await signIn(server, "alice", "bob", "carol", "dave");
    sentinel = await createGroup(server, "alice", []);
  });

  it("onMessageSent: the stored message, the room and every other member as a recipient, as plain data", async () => {
    const roomId = await createGroup(server, "alice", ["bob", "carol"], { name: "trip" });
    const attachment = { url: "https://files.example/a.png", mediaType: "IMAGE", mimeType: "image/png", size: 5 };
    const sent = await ok(server, "alice", `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq createdAt } }`, {
      input: { roomId, content: "<b>hi</b> all", attachments: [attachment] },
    });
    const { event } = await rec.waitFor((call) => call.method === "onMessageSent" && call.event.message.id === sent.sendMessage.id);
    expect(event).toMatchObject({
      message: {
        id: sent.sendMessage.id,
        roomId,
        seq: sent.sendMessage.seq,
        senderId: "alice",
        content: "<b>hi</b> all",
        createdAt: new Date(sent.sendMessage.createdAt).toISOString(),
        replyToId: null,
        attachments: [{ url: attachment.url, mediaType: "IMAGE", mimeType: "image/png", size: 5, caption: null }],
      },
      room: { id: roomId, kind: "GROUP", name: "trip", creatorId: "alice" },
    });
    expect(event.id).toMatch(UUID);
    expect(event.occurredAt).toMatch(ISO);
    expect([...event.recipients].sort((a: any, b: any) => a.userId.localeCompare(b.userId))).toEqual([
      { userId: "bob", online: false },
      { userId: "carol", online: false },
    ]);
    // Plain data: serialising loses nothing.
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it("onMessageSent: an idempotent retry with the same clientMsgId does not fire again", async () => {
    const roomId = await createGroup(server, "alice", ["bob"]);
    const first = await sendMessage(server, "alice", roomId, "once", { clientMsgId: "retry-1" });
    const again = await sendMessage(server, "alice", roomId, "once", { clientMsgId: "retry-1" });
    expect(again.id).toBe(first.id);
    const sends = (await callsBefore(server, rec, sentinel, "onMessageSent")).filter((call) => call.event.room.id === roomId);
    expect(sends.map((call) => call.event.message.id)).toEqual([first.id]);
  });

  it("onNotificationCreated: a reply notifies the author, a reaction notifies the sender; each once", async () => {
    const roomId = await createGroup(server, "alice", ["bob", "carol"]);
    const original = await sendMessage(server, "alice", roomId, "question");
    const reply = await sendMessage(server, "bob", roomId, "answer", { replyToId: original.id });
    await ok(server, "carol", `mutation($id: ID!) { react(messageId: $id, content: "👍") { id } }`, { id: original.id });
    // Replying to one's own message notifies nobody.
    await sendMessage(server, "alice", roomId, "and also", { replyToId: original.id });
    const notes = (await callsBefore(server, rec, sentinel, "onNotificationCreated")).filter((call) => call.event.notification.roomId === roomId);
    const stored = await ok(server, "alice", `{ notifications(first: 10) { edges { node { id type message { id } } } } }`);
    const ids = Object.fromEntries(stored.notifications.edges.map(({ node }: any) => [node.type, node.id]));
    expect(notes.map((call) => call.event.notification)).toEqual([
      { id: ids.REPLY, kind: "REPLY", userId: "alice", roomId, messageId: reply.id, actorId: "bob", createdAt: expect.stringMatching(ISO) },
      { id: ids.REACTION, kind: "REACTION", userId: "alice", roomId, messageId: original.id, actorId: "carol", createdAt: expect.stringMatching(ISO) },
    ]);
    for (const call of notes) expect(call.event.id).toMatch(UUID);
  });

  it("onMembersChanged: add, remove, join and leave, each once, with who did it", async () => {
    const groupId = await createGroup(server, "alice", ["bob"]);
    const channelId = await createChannel(server, "alice", [], { isPublic: true, name: "news" });
    await ok(server, "alice", `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id } }`, { r: groupId, u: "carol" });
    await ok(server, "alice", `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id } }`, { r: groupId, u: "carol" });
    await ok(server, "alice", `mutation($r: ID!, $u: ID!) { removeMember(roomId: $r, userId: $u) { id } }`, { r: groupId, u: "bob" });
    await ok(server, "dave", `mutation($r: ID!) { joinRoom(roomId: $r) { id } }`, { r: channelId });
    await ok(server, "dave", `mutation($r: ID!) { leaveRoom(roomId: $r) { roomDeleted } }`, { r: channelId });
    const changes = (await callsBefore(server, rec, sentinel, "onMembersChanged"))
      .filter((call) => [groupId, channelId].includes(call.event.room.id))
      .map(({ event }) => ({ room: event.room.id, kind: event.room.kind, added: event.added, removed: event.removed, by: event.by }));
    // Adding a current member again changes nothing: no call.
    expect(changes).toEqual([
      { room: groupId, kind: "GROUP", added: ["carol"], removed: [], by: "alice" },
      { room: groupId, kind: "GROUP", added: [], removed: ["bob"], by: "alice" },
      { room: channelId, kind: "CHANNEL", added: ["dave"], removed: [], by: "dave" },
      { room: channelId, kind: "CHANNEL", added: [], removed: ["dave"], by: "dave" },
    ]);
  });

  it("onRoomCreated: groups, channels, and a one-to-one chat only the first time", async () => {
    const groupId = await createGroup(server, "alice", ["bob", "carol"], { name: "g" });
    const channelId = await createChannel(server, "alice", ["dave"], { name: "c" });
    const chatId = await createChat(server, "alice", "bob");
    expect(await createChat(server, "alice", "bob")).toBe(chatId);
    expect(await createChat(server, "bob", "alice")).toBe(chatId);
    const created = (await callsBefore(server, rec, sentinel, "onRoomCreated"))
      .filter((call) => [groupId, channelId, chatId].includes(call.event.room.id))
      .map(({ event }) => ({ room: event.room.id, kind: event.room.kind, name: event.room.name, memberIds: event.memberIds, by: event.by }));
    expect(created).toEqual([
      { room: groupId, kind: "GROUP", name: "g", memberIds: ["alice", "bob", "carol"], by: "alice" },
      { room: channelId, kind: "CHANNEL", name: "c", memberIds: ["alice", "dave"], by: "alice" },
      { room: chatId, kind: "ONE_TO_ONE", name: null, memberIds: expect.arrayContaining(["alice", "bob"]), by: "alice" },
    ]);
  });

  it("onRoomDeleted: deleteRoom, and the last member leaving, each once and without onMembersChanged", async () => {
    const deleted = await createGroup(server, "alice", ["bob"], { name: "gone" });
    const emptied = await createGroup(server, "carol", [], { name: "alone" });
    await ok(server, "alice", `mutation($r: ID!) { deleteRoom(roomId: $r) }`, { r: deleted });
    const left = await ok(server, "carol", `mutation($r: ID!) { leaveRoom(roomId: $r) { roomDeleted } }`, { r: emptied });
    expect(left.leaveRoom.roomDeleted).toBe(true);
    const gone = (await callsBefore(server, rec, sentinel, "onRoomDeleted"))
      .filter((call) => [deleted, emptied].includes(call.event.roomId))
      .map(({ event }) => ({ roomId: event.roomId, name: event.room.name, formerMembers: [...event.formerMembers].sort(), by: event.by }));
    expect(gone).toEqual([
      { roomId: deleted, name: "gone", formerMembers: ["alice", "bob"], by: "alice" },
      { roomId: emptied, name: "alone", formerMembers: ["carol"], by: "carol" },
    ]);
    const changed = (await callsBefore(server, rec, sentinel, "onMembersChanged")).filter((call) => call.event.room.id === emptied);
    expect(changed).toEqual([]);
  });
});

describe.each(PROVIDERS)("a misbehaving handler changes nothing for senders and receivers, on %s", (provider) => {
  let bob: WsConnection | undefined;
  afterEach(async () => {
    await bob?.dispose();
    bob = undefined;
  });

  /** Alice's group with bob subscribed to its messages over graphql-ws. */
  async function groupWithListener(server: TestServer) {
    await signIn(server, "alice", "bob");
    const roomId = await createGroup(server, "alice", ["bob"]);
    bob = await connectWs(server, "bob");
    const received = bob.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(server, roomId, 1);
    return { roomId, received };
  }

  it("a handler that throws: the send answers, bob gets the message, the error is logged with the event id", async () => {
    const { lines, logger } = capturedLogger();
    const seen: string[] = [];
    class Throwing extends ChatEventHandler {
      override async onMessageSent(event: MessageSentEvent): Promise<void> {
        seen.push(event.id);
        throw new Error("the handler broke");
      }
    }
    const server = await startTestServer(provider, { eventHandler: Throwing, logger });
    const { roomId, received } = await groupWithListener(server);
    const first = await sendMessage(server, "alice", roomId, "one");
    const second = await sendMessage(server, "alice", roomId, "two");
    const results = await received.waitFor(2);
    expect(results.map((result) => result.data?.messageAdded.id)).toEqual([first.id, second.id]);
    await expect.poll(() => seen.length).toBe(2);
    await expect.poll(() => lines.filter((line) => line.msg === "event handler: onMessageSent failed").length).toBe(2);
    const logged = lines.filter((line) => line.msg === "event handler: onMessageSent failed");
    expect(logged.map((line) => line.eventId)).toEqual(seen);
    expect(logged[0]).toMatchObject({ level: 50, method: "onMessageSent", err: { message: "the handler broke" } });
    expect(await metric(server, "chat_event_handler_calls_total", { method: "onMessageSent", outcome: "error" })).toBe(2);
  });

  it("a handler that never resolves: sends answer and are delivered while it hangs", async () => {
    const started: string[] = [];
    class Hanging extends ChatEventHandler {
      override onMessageSent(event: MessageSentEvent): Promise<void> {
        started.push(event.message.content);
        return new Promise(() => {});
      }
    }
    const server = await startTestServer(provider, { eventHandler: Hanging, EVENT_HANDLER_TIMEOUT_MS: 600_000 });
    const { roomId, received } = await groupWithListener(server);
    await sendMessage(server, "alice", roomId, "one");
    await expect.poll(() => started).toEqual(["one"]);
    // The handler holds its first call for the next ten minutes: sending and receiving go on.
    for (const content of ["two", "three"]) await sendMessage(server, "alice", roomId, content);
    const results = await received.waitFor(3);
    expect(results.map((result) => result.data?.messageAdded.content)).toEqual(["one", "two", "three"]);
    expect(started).toEqual(["one"]);
    expect(await metric(server, "chat_event_handler_queue_length")).toBe(2);
  });

  it("a hung call is abandoned after EVENT_HANDLER_TIMEOUT_MS: the next event is handled, the timeout logged and counted", async () => {
    const { lines, logger } = capturedLogger();
    const handled: string[] = [];
    class HangsOnce extends ChatEventHandler {
      override onMessageSent(event: MessageSentEvent): Promise<void> {
        if (event.message.content === "hang") return new Promise(() => {});
        handled.push(event.message.content);
        return Promise.resolve();
      }
    }
    const server = await startTestServer(provider, { eventHandler: HangsOnce, EVENT_HANDLER_TIMEOUT_MS: 200, logger });
    const { roomId, received } = await groupWithListener(server);
    await sendMessage(server, "alice", roomId, "hang");
    await sendMessage(server, "alice", roomId, "after");
    await received.waitFor(2);
    await expect.poll(() => handled).toEqual(["after"]);
    expect(await metric(server, "chat_event_handler_calls_total", { method: "onMessageSent", outcome: "timeout" })).toBe(1);
    expect(await metric(server, "chat_event_handler_calls_total", { method: "onMessageSent", outcome: "ok" })).toBe(1);
    const timedOut = lines.find((line) => line.msg === "event handler: onMessageSent timed out after 200 ms");
    expect(timedOut?.eventId).toMatch(UUID);
  });

  it("a slow handler with a full queue: new events are dropped and counted, nothing is lost for users", async () => {
    const handled: string[] = [];
    const slow = gate();
    class Slow extends ChatEventHandler {
      override async onMessageSent(event: MessageSentEvent): Promise<void> {
        await slow.opened;
        handled.push(event.message.content);
      }
    }
    const server = await startTestServer(provider, { eventHandler: Slow, EVENT_HANDLER_QUEUE_LIMIT: 2 });
    const { roomId, received } = await groupWithListener(server);
    const contents = ["m1", "m2", "m3", "m4", "m5", "m6"];
    for (const content of contents) await sendMessage(server, "alice", roomId, content);
    const results = await received.waitFor(6);
    expect(results.map((result) => result.data?.messageAdded.content)).toEqual(contents);
    const history = await ok(server, "bob", `query($r: ID!) { messages(roomId: $r, last: 10) { edges { node { content } } } }`, { r: roomId });
    expect(history.messages.edges.map(({ node }: any) => node.content).sort()).toEqual(contents);
    // m1 is being handled, m2 and m3 wait; m4 to m6 found the queue full.
    expect(await metric(server, "chat_event_handler_dropped_total", { method: "onMessageSent" })).toBe(3);
    expect(await metric(server, "chat_event_handler_queue_length")).toBe(2);
    slow.open();
    await expect.poll(() => handled).toEqual(["m1", "m2", "m3"]);
  });

  it("stop() lets the handler finish what is queued", async () => {
    const handled: string[] = [];
    class Unhurried extends ChatEventHandler {
      override async onMessageSent(event: MessageSentEvent): Promise<void> {
        await new Promise((wake) => setTimeout(wake, 50));
        handled.push(event.message.content);
      }
    }
    const server = await startTestServer(provider, { eventHandler: Unhurried });
    await signIn(server, "alice", "bob");
    const roomId = await createGroup(server, "alice", ["bob"]);
    for (const content of ["a", "b", "c"]) await sendMessage(server, "alice", roomId, content);
    await server.server.stop();
    expect(handled).toEqual(["a", "b", "c"]);
  });
});

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

describe.runIf(PROVIDERS.includes("postgresql"))("two instances on PostgreSQL and Redis", () => {
  it("a change is handled once, by the instance that made it, while both deliver it to subscribers", async () => {
    const database = await createTestDatabase("postgresql");
    const [recA, recB] = [recorder(), recorder()];
    const a = await startTestServer("postgresql", { database, REDIS_URL, eventHandler: recA.Handler });
    const b = await startTestServer("postgresql", { database, REDIS_URL, eventHandler: recB.Handler });
    await signIn(a, "ann", "ben");
    const roomId = await createGroup(a, "ann", ["ben"]);
    const ben = await connectWs(b, "ben");
    const received = ben.subscribe(MESSAGE_ADDED, { roomId });
    await waitForListeners(b, roomId, 1);

    const fromA = await sendMessage(a, "ann", roomId, "from a");
    const fromB = await sendMessage(b, "ann", roomId, "from b");
    expect((await received.waitFor(2)).map((result) => result.data?.messageAdded.id)).toEqual([fromA.id, fromB.id]);
    await recA.waitFor((call) => call.method === "onMessageSent" && call.event.message.id === fromA.id);
    await recB.waitFor((call) => call.method === "onMessageSent" && call.event.message.id === fromB.id);
    // Calls are made in order: had b handled a's message (made first), it would come before b's own.
    const sent = (rec: Recorder) => rec.calls.filter((call) => call.method === "onMessageSent").map((call) => call.event.message.id);
    expect(sent(recA)).toEqual([fromA.id]);
    expect(sent(recB)).toEqual([fromB.id]);
    expect(recA.calls.filter((call) => call.method === "onRoomCreated")).toHaveLength(1);
    expect(recB.calls.filter((call) => call.method === "onRoomCreated")).toHaveLength(0);
    await ben.dispose();
  });
});

describe("presence failing", () => {
  it("does not lose the event: recipients are reported offline and the failure is logged with the event id", async () => {
    const server = await startTestServer("sqlite");
    await signIn(server, "alice", "bob");
    const roomId = await createGroup(server, "alice", ["bob"]);
    const { id } = await sendMessage(server, "alice", roomId, "while redis is away");
    const rec = recorder();
    const { lines, logger } = capturedLogger();
    const metrics = createChatMetrics({ defaultMetrics: false });
    // The dispatcher as the server builds it, with presence answering as an unreachable Redis would.
    const events = new EventDispatcher({
      handler: new rec.Handler({ log: logger }),
      db: server.server.db,
      onlineAmong: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")),
      timeoutMs: 10_000,
      queueLimit: 10,
      notifications: true,
      log: logger,
      metrics: { calls: metrics.eventHandlerCalls, dropped: metrics.eventHandlerDropped },
    });
    const message = await server.server.db.message.findUniqueOrThrow({ where: { id } });
    const room = await server.server.db.room.findUniqueOrThrow({ where: { id: roomId } });
    events.messageSent(message, [], room);
    const { event } = await rec.waitFor((call) => call.method === "onMessageSent");
    expect(event.recipients).toEqual([{ userId: "bob", online: false }]);
    const warning = lines.find((line) => line.msg === "event handler: presence unavailable, recipients reported offline");
    expect(warning).toMatchObject({ eventId: event.id, err: { message: "connect ECONNREFUSED 127.0.0.1:6379" } });
    await events.close(1_000);
  });
});

describe("the default handler", () => {
  it("does nothing: no call is queued or counted", async () => {
    const server = await startTestServer("sqlite");
    await signIn(server, "alice", "bob");
    const roomId = await createGroup(server, "alice", ["bob"]);
    await sendMessage(server, "alice", roomId, "hello");
    expect(server.server.eventHandler.constructor).toBe(ChatEventHandler);
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    expect(text).not.toMatch(/^chat_event_handler_(calls|dropped)_total\{/m);
    expect(text).toMatch(/^chat_event_handler_queue_length 0$/m);
  });
});

describe("registering a handler", () => {
  afterEach(() => {
    delete process.env.EVENT_HANDLER;
    delete process.env.CHAT_CONFIG;
  });

  const attempts: Array<[string, RegExp]> = [
    ["./does-not-exist.ts#Handler", /^EVENT_HANDLER: cannot load module "\.\/does-not-exist\.ts"/],
    [`${example("push-to-offline.ts")}#Missing`, /^EVENT_HANDLER: module ".*push-to-offline\.ts" has no export "Missing"/],
    [`${example("push-to-offline.ts")}#FakePushService`, /^EVENT_HANDLER: export "FakePushService" of .* is not a subclass of ChatEventHandler/],
    ["no-such-package#Handler", /^EVENT_HANDLER: cannot load module "no-such-package"/],
    ["#Handler", /^EVENT_HANDLER="#Handler" must look like "<module>#<ExportName>"/],
  ];
  it.each(attempts)("stops the start for EVENT_HANDLER=%s", async (setting, message) => {
    await expect(createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x", eventHandler: setting })).rejects.toThrow(message);
    process.env.EVENT_HANDLER = setting;
    await expect(createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x" })).rejects.toThrow(message);
  });

  it("refuses an eventHandler option that is not a ChatEventHandler subclass", async () => {
    class NotAHandler {}
    await expect(
      createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x", eventHandler: NotAHandler as never }),
    ).rejects.toThrow("the eventHandler option is not a ChatEventHandler subclass");
  });

  it("a constructor that throws stops the start", async () => {
    class Unconfigured extends ChatEventHandler {
      constructor(services: ChatEventHandlerServices) {
        super(services);
        throw new Error("PUSH_KEY is not set");
      }
    }
    await expect(createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x", eventHandler: Unconfigured })).rejects.toThrow(
      "PUSH_KEY is not set",
    );
  });

  it("loads EVENT_HANDLER from the environment, from the config file, and the option wins over both", async () => {
    process.env.EVENT_HANDLER = `${example("push-to-offline.ts")}#PushToOffline`;
    const fromEnv = await createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x" });
    expect(fromEnv.eventHandler.constructor.name).toBe("PushToOffline");
    delete process.env.EVENT_HANDLER;

    const dir = mkdtempSync(join(tmpdir(), "rcg-events-"));
    writeFileSync(join(dir, "chat.json"), JSON.stringify({ EVENT_HANDLER: example("push-to-offline.ts") }));
    process.env.CHAT_CONFIG = join(dir, "chat.json");
    // Without "#": the module's default export.
    const fromFile = await createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x" });
    expect(fromFile.eventHandler.constructor.name).toBe("PushToOffline");

    const rec = recorder();
    const fromOption = await createChatServer({ DATABASE_URL: "file::memory:", JWT_SECRET: "x", eventHandler: rec.Handler });
    expect(fromOption.eventHandler).toBeInstanceOf(rec.Handler);
    for (const server of [fromEnv, fromFile, fromOption]) await server.stop();
  });
});
