// Baseline 2: the least a WebSocket chat relay can do. A client names its user and rooms in the
// URL; a message from it gets the room's next seq (in memory, nothing is stored), is serialised
// once into one Buffer, and that same Buffer is sent to every socket in the room (the sender's
// included); then the sender gets an acknowledgement. The floor under any realtime server in Node.
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { startControl } from "./control.js";

const rooms = new Map<string, Set<WebSocket>>();
const seqs = new Map<string, number>();
const users = new Map<string, number>();

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 });
await new Promise<void>((resolve) => wss.once("listening", () => resolve()));

wss.on("connection", (socket, request) => {
  const params = new URL(request.url ?? "/", "http://localhost").searchParams;
  const user = params.get("user");
  if (!user) {
    socket.close(4400, "no user");
    return;
  }
  const joined = (params.get("rooms") ?? "").split(",").filter(Boolean);
  for (const room of joined) {
    let members = rooms.get(room);
    if (!members) rooms.set(room, (members = new Set()));
    members.add(socket);
  }
  users.set(user, (users.get(user) ?? 0) + 1);
  socket.on("close", () => {
    for (const room of joined) rooms.get(room)?.delete(socket);
    const left = (users.get(user) ?? 1) - 1;
    if (left > 0) users.set(user, left);
    else users.delete(user);
  });
  socket.on("message", (data) => {
    let message: { id?: unknown; room?: unknown; content?: unknown };
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    const { id, room, content } = message;
    if (typeof room !== "string" || typeof content !== "string" || !joined.includes(room)) {
      socket.send(JSON.stringify({ ack: id, error: "forbidden" }));
      return;
    }
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    const frame = Buffer.from(JSON.stringify({ room, sender: user, seq, content, createdAt: Date.now() }));
    for (const member of rooms.get(room) ?? []) member.send(frame, { binary: false });
    socket.send(JSON.stringify({ ack: id, seq }));
  });
});

const { port } = wss.address() as AddressInfo;
startControl({
  url: `ws://127.0.0.1:${port}`,
  info: { database: "none (in memory, not durable)" },
  count: ({ rooms: wanted = [], users: wantedUsers = [] }) =>
    wanted.reduce((sum, room) => sum + (rooms.get(room)?.size ?? 0), 0) +
    wantedUsers.reduce((sum, user) => sum + (users.get(user) ?? 0), 0),
  stored: () => null,
  stop: async () => {
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  },
});
