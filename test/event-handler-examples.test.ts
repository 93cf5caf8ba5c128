// The two worked examples of examples/event-handlers, run as an application registers them and
// driven by real clients: the webhook sender against a real HTTP receiver that checks every
// signature and fails the first attempts, and the push handler with a fake push service that
// records what it was asked to push.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { ChatEventHandlerServices } from "../src/index.js";
import { FakePushService, PushToOffline } from "../examples/event-handlers/push-to-offline.js";
import { signWebhook, verifyWebhookSignature, WebhookSender, type WebhookOptions } from "../examples/event-handlers/webhook-sender.js";
import { connectWs, waitForListeners, type WsConnection } from "./harness/clients.js";
import { PROVIDERS } from "./harness/databases.js";
import { createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

afterAll(stopTestServers);

const SECRET = "webhook-test-secret";

interface Delivery {
  type: string;
  event: any;
}

/** A webhook receiver on a free port. `answer` decides each attempt's status from the event id
 * and how many attempts of it came before; only verified 2xx attempts count as received. */
async function startReceiver(answer: (eventId: string, attemptsBefore: number) => number | "hold") {
  const received: Delivery[] = [];
  const attempts = new Map<string, number>();
  const badSignatures: string[] = [];
  const held: Array<{ response: ServerResponse; delivery: Delivery }> = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const verified = verifyWebhookSignature({
        secret: SECRET,
        body,
        timestamp: request.headers["x-chat-timestamp"] as string | undefined,
        signature: request.headers["x-chat-signature"] as string | undefined,
      });
      const eventId = String(request.headers["x-chat-event-id"]);
      if (!verified) {
        badSignatures.push(eventId);
        response.writeHead(401).end();
        return;
      }
      const before = attempts.get(eventId) ?? 0;
      attempts.set(eventId, before + 1);
      const status = answer(eventId, before);
      if (status === "hold") {
        held.push({ response, delivery: JSON.parse(body) as Delivery });
        return;
      }
      if (status < 300) {
        const delivery = JSON.parse(body) as Delivery;
        expect(delivery.type).toBe(request.headers["x-chat-event"]);
        expect(delivery.event.id).toBe(eventId);
        received.push(delivery);
      }
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/chat`,
    received,
    attempts,
    badSignatures,
    /** Answers the held attempts 200: they count as received. */
    releaseHeld: () =>
      held.splice(0).forEach(({ response, delivery }) => {
        received.push(delivery);
        response.writeHead(200).end();
      }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The example, configured as an application would in its own subclass. */
function webhookSenderFor(options: WebhookOptions) {
  return class ConfiguredWebhookSender extends WebhookSender {
    constructor(services: ChatEventHandlerServices) {
      super(services, options);
    }
  };
}

const FAST_RETRIES = { baseDelayMs: 20, maxDelayMs: 100 };

describe("signatures", () => {
  it("a receiver accepts the signed body and refuses a changed body, a wrong secret or an old timestamp", () => {
    const body = JSON.stringify({ type: "onMessageSent", event: { id: "e1" } });
    const now = Math.floor(Date.now() / 1000);
    const signature = signWebhook(SECRET, now, body);
    const check = (changes: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({ secret: SECRET, body, timestamp: String(now), signature, ...changes });
    expect(check({})).toBe(true);
    expect(check({ body: body.replace("e1", "e2") })).toBe(false);
    expect(check({ secret: "another" })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
    // A captured request replayed ten minutes later.
    expect(check({ nowSeconds: now + 600 })).toBe(false);
  });
});

describe.each(PROVIDERS)("the webhook sender on %s", (provider) => {
  const receivers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  it("delivers each event once, signed, retrying with back-off through two 503s", async () => {
    const receiver = await startReceiver((_id, before) => (before < 2 ? 503 : 204));
    receivers.push(receiver);
    const server = await startTestServer(provider, {
      eventHandler: webhookSenderFor({ url: receiver.url, secret: SECRET, maxAttempts: 5, ...FAST_RETRIES }),
    });
    await signIn(server, "alice", "bob", "carol");
    const roomId = await createGroup(server, "alice", ["bob"], { name: "hooks" });
    const message = await sendMessage(server, "alice", roomId, "ping");
    await ok(server, "alice", `mutation($r: ID!, $u: ID!) { addMember(roomId: $r, userId: $u) { id } }`, { r: roomId, u: "carol" });

    await expect.poll(() => receiver.received.length, { timeout: 10_000 }).toBe(3);
    const byType = Object.fromEntries(receiver.received.map((delivery) => [delivery.type, delivery.event]));
    expect(byType.onRoomCreated).toMatchObject({ room: { id: roomId, name: "hooks" }, memberIds: ["alice", "bob"], by: "alice" });
    expect(byType.onMessageSent).toMatchObject({ message: { id: message.id, content: "ping" }, recipients: [{ userId: "bob" }] });
    expect(byType.onMembersChanged).toMatchObject({ room: { id: roomId }, added: ["carol"], removed: [], by: "alice" });
    // Each event: two refused attempts, then the one received; never a bad signature.
    expect([...receiver.attempts.values()]).toEqual([3, 3, 3]);
    expect(new Set(receiver.received.map((delivery) => delivery.event.id)).size).toBe(3);
    expect(receiver.badSignatures).toEqual([]);
  });

  it("gives up after maxAttempts, and drops what exceeds maxInFlight: the chat works throughout", async () => {
    const refusing = await startReceiver(() => 503);
    receivers.push(refusing);
    const server = await startTestServer(provider, {
      eventHandler: webhookSenderFor({ url: refusing.url, secret: SECRET, maxAttempts: 3, ...FAST_RETRIES }),
    });
    await signIn(server, "alice", "bob");
    const roomId = await createGroup(server, "alice", ["bob"]);
    const sender = server.server.eventHandler as WebhookSender;
    await expect.poll(() => sender.failed, { timeout: 10_000 }).toBe(1);
    expect([...refusing.attempts.values()]).toEqual([3]);
    await sendMessage(server, "alice", roomId, "still sent");

    const holding = await startReceiver(() => "hold");
    receivers.push(holding);
    const bounded = await startTestServer(provider, {
      eventHandler: webhookSenderFor({ url: holding.url, secret: SECRET, maxInFlight: 1, ...FAST_RETRIES }),
    });
    await signIn(bounded, "alice", "bob");
    const heldRoom = await createGroup(bounded, "alice", ["bob"]);
    await expect.poll(() => holding.attempts.size).toBe(1);
    const boundedSender = bounded.server.eventHandler as WebhookSender;
    // The receiver holds the first delivery: the next two find the one slot taken.
    await sendMessage(bounded, "alice", heldRoom, "one");
    await sendMessage(bounded, "alice", heldRoom, "two");
    await expect.poll(() => boundedSender.dropped).toBe(2);
    holding.releaseHeld();
    await expect.poll(() => holding.received.map((delivery) => delivery.type)).toEqual(["onRoomCreated"]);
  });
});

describe.each(PROVIDERS)("push to offline recipients on %s", (provider) => {
  let bob: WsConnection | undefined;
  afterEach(async () => {
    await bob?.dispose();
    bob = undefined;
  });

  it("alice's message is pushed to carol, who is not connected; not to bob, who is; never to alice", async () => {
    const push = new FakePushService();
    class AppPush extends PushToOffline {
      constructor(services: ChatEventHandlerServices) {
        super(services, push);
      }
    }
    const server = await startTestServer(provider, { eventHandler: AppPush });
    await signIn(server, "alice", "bob", "carol");
    const roomId = await createGroup(server, "alice", ["bob", "carol"], { name: "Weekend" });
    bob = await connectWs(server, "bob");
    const received = bob.subscribe(`subscription($r: ID!) { messageAdded(roomId: $r) { id content } }`, { r: roomId });
    await waitForListeners(server, roomId, 1);

    const message = await sendMessage(server, "alice", roomId, "<p>Dinner at <b>8</b> &amp; drinks</p>");
    const [delivered] = await received.waitFor(1);
    expect(delivered?.data?.messageAdded.id).toBe(message.id);
    await expect.poll(() => push.sent.length).toBeGreaterThan(0);
    expect(push.sent).toEqual([
      { userId: "carol", title: "Weekend", body: "Dinner at 8 & drinks", data: { roomId, messageId: message.id } },
    ]);
  });
});
