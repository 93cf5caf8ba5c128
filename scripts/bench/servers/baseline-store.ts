// The message table of the baselines that store (Socket.IO and bare graphql-ws): one prepared
// statement per send that assigns the room's next seq (found through the unique index) and
// commits when it returns, in WAL mode with synchronous = NORMAL, as the project's SQLite
// connection runs. Both baselines store exactly the same way, so their difference is the protocol.
import { join } from "node:path";
import Database from "better-sqlite3";

export interface BaselineStore {
  /** Stores one message; its id and seq once committed. */
  store(room: string, sender: string, content: string, createdAt: number): { id: number; seq: number };
  /** Messages stored in these rooms. */
  stored(rooms: string[]): number;
  /** The database and the pragmas it runs with, for the bench's report. */
  info: Record<string, string>;
  close(): void;
}

export function openBaselineStore(fileName: string): BaselineStore {
  const db = new Database(join(process.env.BENCH_DATA_DIR ?? ".", fileName));
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
  const insert = db.prepare<[string, string, string, string, number], { id: number; seq: number }>(
    `INSERT INTO messages (room, sender, seq, content, created_at)
     VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE room = ?), ?, ?)
     RETURNING id, seq`,
  );
  const countStored = db.prepare<[string], { n: number }>(
    "SELECT count(*) AS n FROM messages WHERE room IN (SELECT value FROM json_each(?))",
  );
  return {
    store: (room: string, sender: string, content: string, createdAt: number) => insert.get(room, sender, room, content, createdAt)!,
    stored: (rooms: string[]) => countStored.get(JSON.stringify(rooms))!.n,
    info: {
      database: "SQLite (better-sqlite3, prepared statement)",
      journal_mode: String(db.pragma("journal_mode", { simple: true })),
      synchronous: String(db.pragma("synchronous", { simple: true })),
    },
    close: () => db.close(),
  };
}
