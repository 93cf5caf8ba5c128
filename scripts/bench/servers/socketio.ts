// Baseline 1: a chat server built the common hand-rolled way, Socket.IO 4 over WebSocket plus
// better-sqlite3. A client says who it is and which rooms it is in when it connects and joins
// them (no token check, membership kept in memory). A "send" inserts the row with a prepared
// statement that also assigns the room's next seq, in WAL mode with synchronous = NORMAL (what
// the project's SQLite connection runs with); only after that commit is the message emitted to
// the room (sender's socket included) and the sender acknowledged.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Server, type Socket } from "socket.io";
import { startControl } from "./control.js";

const db = new Database(join(process.env.BENCH_DATA_DIR ?? ".", "socketio-baseline.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(`CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  room TEXT NOT NULL,
  sender TEXT NOT NULL,
  seq INTEGER NOT NULL,
  content TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (room, seq)
)`);
// One statement, one implicit transaction: the seq is the room's highest plus one (found through
// the unique index), and the row is committed when get() returns.
const insert = db.prepare<[string, string, string, string, number], { id: number; seq: number }>(
  `INSERT INTO messages (room, sender, seq, content, created_at)
   VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE room = ?), ?, ?)
   RETURNING id, seq`,
);

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
    const row = insert.get(room, user, room, content, createdAt)!;
    io.to(room).emit("message", { id: row.id, room, sender: user, seq: row.seq, content, createdAt });
    ack({ id: row.id, seq: row.seq });
  });
});

await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
const { port } = httpServer.address() as AddressInfo;

const countStored = db.prepare<[string], { n: number }>(
  "SELECT count(*) AS n FROM messages WHERE room IN (SELECT value FROM json_each(?))",
);

const roomSize = (room: string) => io.of("/").adapter.rooms.get(room)?.size ?? 0;
startControl({
  url: `http://127.0.0.1:${port}`,
  info: {
    database: "SQLite (better-sqlite3, prepared statement)",
    journal_mode: String(db.pragma("journal_mode", { simple: true })),
    synchronous: String(db.pragma("synchronous", { simple: true })),
  },
  count: ({ rooms = [], users = [] }) =>
    rooms.reduce((sum, room) => sum + roomSize(room), 0) + users.reduce((sum, user) => sum + roomSize(userRoom(user)), 0),
  stored: (rooms) => countStored.get(JSON.stringify(rooms))!.n,
  stop: async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
    db.close();
  },
});
