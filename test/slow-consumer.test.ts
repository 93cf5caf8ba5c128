// A client that stops reading is cut off instead of the server buffering for it without end: over
// WebSocket it receives close code 4509 once it reads again, over SSE its connection is dropped;
// either way it reconnects and resumes with afterSeq.
import { request, type IncomingMessage } from "node:http";
import { afterAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { waitForListeners } from "./harness/clients.js";
import { createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const MESSAGE_ADDED = `subscription($r: ID!) { messageAdded(roomId: $r) { id content } }`;

/** A raw graphql-transport-ws client subscribed to the room, so that it can stop reading its socket. */
async function rawSubscriber(server: TestServer, userId: string, roomId: string) {
  const socket = new WebSocket(server.url.replace(/^http/, "ws"), "graphql-transport-ws");
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
  await new Promise((resolve) => socket.once("open", resolve));
  socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${await server.token(userId)}` } }));
  await new Promise((resolve) => socket.once("message", resolve));
  socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: MESSAGE_ADDED, variables: { r: roomId } } }));
  await waitForListeners(server, roomId, 1);
  const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  return { closed, stopReading: () => tcp.pause(), readAgain: () => tcp.resume() };
}

/** Sends large messages to the room until the server dropped its subscriber. */
async function floodUntilDropped(server: TestServer, roomId: string): Promise<void> {
  const content = "x".repeat(9_000);
  const subscribed = () => server.server.realtime.listenerCount(roomId) > 0;
  for (let batch = 0; batch < 300 && subscribed(); batch++) {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        ok(server, "ann", `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`, { r: roomId, c: content }),
      ),
    );
  }
  expect(subscribed()).toBe(false);
}

/** A raw SSE subscription to the room that can stop reading its response. */
async function sseSubscriber(server: TestServer, userId: string, roomId: string) {
  const subscribe = request(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${await server.token(userId)}` },
  });
  subscribe.end(JSON.stringify({ query: MESSAGE_ADDED, variables: { r: roomId } }));
  const response = await new Promise<IncomingMessage>((resolve) => subscribe.once("response", resolve));
  let received = "";
  response.on("data", (chunk: Buffer) => (received += chunk.toString()));
  response.on("error", () => {});
  const closed = new Promise((resolve) => response.once("close", resolve));
  return {
    closed,
    received: () => received,
    // The response stops taking data, and with it the socket once a little is buffered.
    stopReading: () => response.pause(),
    readAgain: () => response.resume(),
  };
}

describe("slow consumers", () => {
  it("closes the WebSocket of a subscriber that stopped reading with 4509", async () => {
    const server = await startTestServer("sqlite", { SUBSCRIPTION_BUFFER_LIMIT: 20 });
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    const ben = await rawSubscriber(server, "ben", roomId);
    ben.stopReading();
    await floodUntilDropped(server, roomId);
    // Reading again (within the 30 s the server waits for the close handshake), the client gets
    // through what was already sent, then the close frame.
    ben.readAgain();
    expect(await ben.closed).toBe(4509);
  }, 60_000);

  it("closes the WebSocket of a subscriber that stopped reading and answers no keep-alive ping with 4509", async () => {
    const server = await startTestServer("sqlite", { webSocketKeepAliveMs: 300 });
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);
    const ben = await rawSubscriber(server, "ben", roomId);
    ben.stopReading();
    // Few events, far below the buffer limits: only the unanswered pings show it stopped reading.
    await expect.poll(() => server.server.realtime.listenerCount(roomId), { timeout: 10_000 }).toBe(0);
    ben.readAgain();
    expect(await ben.closed).toBe(4509);
  }, 60_000);

  it("ends the SSE stream of a subscriber that stopped reading, and drops it if it does not read on", async () => {
    const server = await startTestServer("sqlite", { SUBSCRIPTION_BUFFER_LIMIT: 20 });
    await signIn(server, "ann", "ben", "cat");
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    // A clock that runs on its own, and can be moved past the grace period.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true });
    try {
      const ben = await sseSubscriber(server, "ben", roomId);
      const cat = await sseSubscriber(server, "cat", roomId);
      await waitForListeners(server, roomId, 2);
      ben.stopReading();
      cat.stopReading();
      await floodUntilDropped(server, roomId);

      // Reading again in time, cat gets what was already sent, then why it ended and the end.
      cat.readAgain();
      await cat.closed;
      expect(cat.received()).toContain('"code":"RESYNC_REQUIRED"');
      expect(cat.received()).toMatch(/event: complete\ndata:\n\n$/);

      // Ben does not read for 30 s: the connection is dropped rather than held open for ever.
      vi.advanceTimersByTime(30_000);
      ben.readAgain();
      await ben.closed;
      expect(ben.received()).toContain("event: next");
      expect(ben.received()).not.toContain("event: complete");
    } finally {
      vi.useRealTimers();
    }
  }, 60_000);
});
