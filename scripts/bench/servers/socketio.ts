// Baseline 1: a chat server built the common hand-rolled way, Socket.IO 4 over WebSocket plus
// better-sqlite3. A client says who it is and which rooms it is in when it connects and joins
// them (no token check, membership kept in memory). A "send" inserts the row with a prepared
// statement that also assigns the room's next seq, in WAL mode with synchronous = NORMAL (what
// the project's SQLite connection runs with); only after that commit is the message emitted to
// the room (sender's socket included) and the sender acknowledged.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import { openBaselineStore } from "./baseline-store.js";
import { startControl } from "./control.js";

// One statement, one implicit transaction (baseline-store.ts): committed when it returns.
const store = openBaselineStore("socketio-baseline.db");

interface SocketData {
  user: string;
  rooms: Set<string>;
}

const httpServer = createServer();
const io = new Server<Record<string, never>, Record<string, never>, Record<string, never>, SocketData>(httpServer, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 64 * 1024,
});

const userRoom = (user: string) => `user:${user}`;

io.on("connection", (socket: Socket) => {
  const { user, rooms } = (socket.handshake.auth ?? {}) as { user?: unknown; rooms?: unknown };
  if (typeof user !== "string" || !Array.isArray(rooms) || !rooms.every((room) => typeof room === "string")) {
    socket.disconnect(true);
    return;
  }
  socket.data = { user, rooms: new Set(rooms as string[]) };
  socket.join([...(rooms as string[]), userRoom(user)]);
  socket.on("send", (payload: unknown, ack: unknown) => {
    if (typeof ack !== "function") return;
    const { room, content } = (payload ?? {}) as { room?: unknown; content?: unknown };
    if (typeof room !== "string" || typeof content !== "string" || !socket.data.rooms.has(room)) {
      ack({ error: "forbidden" });
      return;
    }
    const createdAt = Date.now();
    const row = store.store(room, user, content, createdAt);
    io.to(room).emit("message", { id: row.id, room, sender: user, seq: row.seq, content, createdAt });
    ack({ id: row.id, seq: row.seq });
  });
});

await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
const { port } = httpServer.address() as AddressInfo;

const roomSize = (room: string) => io.of("/").adapter.rooms.get(room)?.size ?? 0;
startControl({
  url: `http://127.0.0.1:${port}`,
  info: store.info,
  count: ({ rooms = [], users = [] }) =>
    rooms.reduce((sum, room) => sum + roomSize(room), 0) + users.reduce((sum, user) => sum + roomSize(userRoom(user)), 0),
  stored: store.stored,
  stop: async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
    store.close();
  },
});
