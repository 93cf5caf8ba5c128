// A client that stops reading is cut off with close code 4509 instead of the server buffering
// for it without end; it would reconnect and resume with afterSeq.
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { waitForListeners } from "./harness/clients.js";
import { createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

afterAll(stopTestServers);

describe("slow consumers", () => {
  it("closes the WebSocket of a subscriber that stopped reading with 4509", async () => {
    const server = await startTestServer("sqlite", { SUBSCRIPTION_BUFFER_LIMIT: 20 });
    await signIn(server, "ann", "ben");
    const roomId = await createGroup(server, "ann", ["ben"]);

    // A raw graphql-transport-ws client, so that it can stop reading its socket.
    const socket = new WebSocket(server.url.replace(/^http/, "ws"), "graphql-transport-ws");
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${await server.token("ben")}` } }));
    await new Promise((resolve) => socket.once("message", resolve));
    socket.send(JSON.stringify({
      id: "1",
      type: "subscribe",
      payload: { query: `subscription($r: ID!) { messageAdded(roomId: $r) { id content } }`, variables: { r: roomId } },
    }));
    await waitForListeners(server, roomId, 1);
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();

    const content = "x".repeat(9_000);
    // Stop sending once the server dropped the subscription, then read again: a client that
    // stays paused longer than ws's close timeout (30 s) would see its socket cut (1006) instead.
    const subscribed = () => server.server.realtime.listenerCount(roomId) > 0;
    for (let batch = 0; batch < 60 && subscribed(); batch++) {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          ok(server, "ann", `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`, { r: roomId, c: content }),
        ),
      );
    }
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(4509);
  }, 60_000);
});
