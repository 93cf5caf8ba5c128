// The project under test: the real createChatServer, configured from the environment exactly as
// `npm start` (src/main.ts) is. The load generator sets DATABASE_URL, DATA_DIR, JWT_SECRET,
// REDIS_URL, LOG_LEVEL and high rate limits, and starts this file from the bench's compiled copy
// with plain node (no TypeScript loader in the measured process).
import { createChatServer } from "../../../src/chat-server.js";
import { startControl } from "./control.js";

const server = await createChatServer();
const { url } = await server.start();

const info: Record<string, string> = {};
if (server.config.DATABASE_URL.startsWith("file:")) {
  info.database = "SQLite (Prisma, better-sqlite3 adapter)";
  // What the connection Prisma's adapter opened actually runs with.
  for (const pragma of ["journal_mode", "synchronous"]) {
    const rows = await server.db.$queryRawUnsafe<Array<Record<string, unknown>>>(`PRAGMA ${pragma}`);
    info[pragma] = String(Object.values(rows[0] ?? {})[0]);
  }
} else {
  info.database = "PostgreSQL (Prisma, pg adapter)";
}
info.events = server.config.REDIS_URL ? "Redis pub/sub" : "in process";
info.notifications = String(server.config.ENABLE_NOTIFICATIONS);

startControl({
  url,
  info,
  count: ({ rooms = [], users = [] }) =>
    rooms.reduce((sum, room) => sum + server.realtime.listenerCount(room), 0) +
    users.reduce((sum, user) => sum + server.realtime.userListenerCount(user), 0),
  stored: (rooms) => server.db.message.count({ where: { roomId: { in: rooms } } }),
  stop: () => server.stop(),
});
