// The process's one SQLite connection, shared by Prisma and the hot path. Prisma's better-sqlite3
// adapter opens the connection itself and keeps it as `client`; this wraps the adapter factory to
// capture that connection, and to put Prisma's interactive transactions behind the same WriteLock
// the hot path's batches take. (A second connection to the file would deadlock: better-sqlite3
// waits for a busy database synchronously, blocking the event loop the lock holder needs.)
import type { Database } from "better-sqlite3";
import { WriteLock } from "./write-lock.js";

/** The parts of Prisma's driver adapter interfaces this wrapper touches. */
interface Transaction {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}
interface Adapter {
  client: Database;
  startTransaction(isolationLevel?: string): Promise<Transaction>;
}
interface AdapterFactory {
  connect(): Promise<unknown>;
}

export interface SqliteConnection {
  /** Held by every writing transaction on the connection, Prisma's and the hot path's. */
  readonly lock: WriteLock;
  /** The open connection; throws before Prisma connected. */
  database(): Database;
}

/** Ends the lock's hold when Prisma ends the transaction, however it ends. */
function releasingOnEnd(transaction: Transaction, release: () => void): Transaction {
  return new Proxy(transaction, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "commit" && key !== "rollback") return typeof value === "function" ? value.bind(target) : value;
      return async () => {
        try {
          await (value as () => Promise<void>).call(target);
        } finally {
          release();
        }
      };
    },
  });
}

function lockingTransactions(adapter: Adapter, lock: WriteLock): Adapter {
  return new Proxy(adapter, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "startTransaction") return typeof value === "function" ? value.bind(target) : value;
      return async (isolationLevel?: string) => {
        const release = await lock.acquire();
        try {
          return releasingOnEnd(await target.startTransaction(isolationLevel), release);
        } catch (error) {
          release();
          throw error;
        }
      };
    },
  });
}

/** Wraps Prisma's adapter factory; hand the returned factory to PrismaClient. */
export function shareSqliteConnection<F extends AdapterFactory>(factory: F): { factory: F; connection: SqliteConnection } {
  const lock = new WriteLock();
  let current: Database | null = null;
  const wrapped = new Proxy(factory, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "connect") return typeof value === "function" ? value.bind(target) : value;
      return async () => {
        const adapter = (await target.connect()) as Adapter;
        current = adapter.client;
        return lockingTransactions(adapter, lock);
      };
    },
  });
  return {
    factory: wrapped,
    connection: {
      lock,
      database() {
        if (!current?.open) throw new Error("the SQLite connection is not open (Database.open() first)");
        return current;
      },
    },
  };
}
