// Pieces of our graphql-ws adapter that the end-to-end tests do not reach: how a shared payload
// is spliced into graphql-ws's frame, the one keep-alive timer for all sockets, and the protocol
// errors it answers itself.
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { MessageType, stringifyMessage } from "graphql-ws";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { startKeepAlive } from "../src/server/keep-alive.js";
import { SharedFrames } from "../src/server/shared-frames.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

afterAll(stopTestServers);

describe("shared frames", () => {
  const nextFrame = (frames: SharedFrames, id: string, json: string) =>
    frames.complete(stringifyMessage({ id, type: MessageType.Next, payload: frames.payload(json) }));

  it("writes the serialised payload into graphql-ws's frame", () => {
    const frames = new SharedFrames();
    const json = JSON.stringify({ data: { messageAdded: { content: 'say "hi"\u0000' } } });
    const frame = nextFrame(frames, "1", json);
    expect(JSON.parse(frame)).toEqual({ id: "1", type: "next", payload: JSON.parse(json) });
    // Nothing is left parked for the next frame.
    const plain = stringifyMessage({ id: "2", type: MessageType.Complete });
    expect(frames.complete(plain)).toBe(plain);
  });

  it("keeps whatever id the client chose", () => {
    const frames = new SharedFrames();
    for (const id of ["\u0000shared-payload:x", '"payload":"x"}', "é🙂\n"]) {
      expect(JSON.parse(nextFrame(frames, id, `{"data":{"n":1}}`))).toEqual({ id, type: "next", payload: { data: { n: 1 } } });
    }
  });
});

describe("keep-alive", () => {
  let wss: WebSocketServer | null = null;
  afterEach(() => wss?.close());

  it("pings every socket and hands over one that stopped answering", async () => {
    wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await once(wss, "listening");
    const keepAlive = startKeepAlive(() => wss!.clients, 50, (socket) => socket.close(4509, "unanswered"));
    wss.on("connection", (socket) => keepAlive.watch(socket));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const answering = new WebSocket(url);
    const silent = new WebSocket(url, { autoPong: false });
    await Promise.all([once(answering, "open"), once(silent, "open")]);
    const [code] = await once(silent, "close");
    expect(code).toBe(4509);
    expect(answering.readyState).toBe(WebSocket.OPEN);
    keepAlive.stop();
    answering.close();
  });
});

describe("protocol errors", () => {
  it("closes with 4400 on a message that is not JSON, and 4406 without graphql-ws's subprotocol", async () => {
    const server = await startTestServer("sqlite");
    const url = server.url.replace(/^http/, "ws");
    const garbled = new WebSocket(url, "graphql-transport-ws");
    await once(garbled, "open");
    garbled.send("{not json");
    const [badRequest] = await once(garbled, "close");
    expect(badRequest).toBe(4400);
    const unknown = new WebSocket(url);
    const [refused] = await once(unknown, "close");
    expect(refused).toBe(4406);
  });

  it("closes with 4408 a connection that sent no connection_init within 3 s, and not one that did", async () => {
    const server = await startTestServer("sqlite");
    const url = server.url.replace(/^http/, "ws");
    const silent = new WebSocket(url, "graphql-transport-ws");
    const greeted = new WebSocket(url, "graphql-transport-ws");
    await Promise.all([once(silent, "open"), once(greeted, "open")]);
    const opened = Date.now();
    const closedGreeted: number[] = [];
    greeted.on("close", (code) => closedGreeted.push(code));
    const acknowledged = new Promise<void>((resolve) =>
      greeted.on("message", (data) => {
        if (JSON.parse(String(data)).type === MessageType.ConnectionAck) resolve();
      }),
    );
    greeted.send(stringifyMessage({ type: MessageType.ConnectionInit, payload: { Authorization: `Bearer ${await server.token("ann")}` } }));
    await acknowledged;
    const [code, reason] = await once(silent, "close");
    expect({ code, reason: String(reason) }).toEqual({ code: 4408, reason: "Connection initialisation timeout" });
    const waited = Date.now() - opened;
    expect(waited).toBeGreaterThanOrEqual(2_900);
    expect(waited).toBeLessThan(6_000);
    // The one that signed in is still open a while after the wait ran out.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(greeted.readyState).toBe(WebSocket.OPEN);
    expect(closedGreeted).toEqual([]);
    greeted.close();
  });
});
