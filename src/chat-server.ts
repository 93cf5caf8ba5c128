// createChatServer: wires configuration, database, authentication and the GraphQL server.
// It has no side effects until start(); main.ts is the only place that exits the process.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createJwtAuthenticate, type Authenticate } from "./auth/authenticate.js";
import { resolveJwtSecret } from "./auth/jwt-secret.js";
import { loadConfig, type Config } from "./config.js";
import { createContext } from "./context.js";
import { createDb, type Db } from "./db/client.js";
import { migrateDatabase } from "./db/migrate.js";
import { createUserUpserter } from "./db/users.js";
import { loadPermissionHandler } from "./permissions/load-handler.js";
import type { PermissionHandlerClass } from "./permissions/permission-handler.js";
import { createMemoryBus, createRedisBus } from "./realtime/event-bus.js";
import { RealtimeHub } from "./realtime/hub.js";
import { startGraphqlWs } from "./server/graphql-ws.js";
import { createChatYoga } from "./server/yoga.js";

/** Largest graphql-ws message a client may send: chat operations are small. */
const WS_MAX_PAYLOAD_BYTES = 64 * 1024;
/** Unsent bytes after which a socket counts as a slow consumer. */
const WS_MAX_BUFFERED_BYTES = 1024 * 1024;

export interface ChatServerOptions extends Partial<Config> {
  /** Replaces the JWT check: return the caller's identity, null if anonymous, or throw. */
  authenticate?: Authenticate;
  /** The PermissionHandler subclass, or a "<module>#<Export>" string; wins over PERMISSION_HANDLER. */
  permissionHandler?: PermissionHandlerClass | string;
  /** Apply pending migrations in start(). @default true */
  migrate?: boolean;
}

export interface ChatServer {
  readonly config: Readonly<Config>;
  readonly db: Db;
  /** The registered PermissionHandler class (one instance is made per request). */
  readonly Handler: PermissionHandlerClass;
  readonly yoga: ReturnType<typeof createChatYoga>;
  /** Publishes and streams room events (in process, or across instances through Redis). */
  readonly realtime: RealtimeHub;
  readonly httpServer: Server;
  /** Set when the JWT secret was generated into DATA_DIR because JWT_SECRET is unset. */
  readonly generatedSecretFile: string | undefined;
  /** Migrates the database and listens; resolves with the GraphQL endpoint's URL. */
  start(): Promise<{ url: string }>;
  /** Stops accepting connections, closes open ones and the database. */
  stop(): Promise<void>;
}

export async function createChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const { authenticate: customAuthenticate, permissionHandler, migrate = true, ...overrides } = options;
  const config = loadConfig(overrides);
  // A handler that cannot be loaded stops the start here, before anything listens.
  const Handler = await loadPermissionHandler(permissionHandler ?? config.PERMISSION_HANDLER);
  const jwt = customAuthenticate ? undefined : resolveJwtSecret(config);
  const authenticate = customAuthenticate ?? createJwtAuthenticate(jwt!.secret);
  const db = await createDb(config.DATABASE_URL);
  const upsertUser = createUserUpserter(db);

  const bus = config.REDIS_URL
    ? await createRedisBus({ url: config.REDIS_URL, onError: (error) => console.error(`redis: ${error.message}`) })
    : createMemoryBus();
  const realtime = new RealtimeHub(bus, db);
  const services = { db, config, Handler, realtime };
  const viewerFor = async (input: Parameters<Authenticate>[0]) => {
    const identity = await authenticate(input);
    return identity ? upsertUser(identity) : null;
  };

  const yoga = createChatYoga({
    createContext: async (request) => createContext(services, await viewerFor({ request })),
    createSocketContext: (viewer, transport) => createContext(services, viewer, transport),
  });
  const httpServer = createServer(yoga);
  let webSockets: { close(): Promise<void> } | null = null;

  return {
    config,
    db,
    Handler,
    yoga,
    realtime,
    httpServer,
    generatedSecretFile: jwt?.generatedFile,
    async start() {
      if (migrate) await migrateDatabase(config.DATABASE_URL);
      webSockets = startGraphqlWs({
        httpServer,
        yoga,
        authenticate: viewerFor,
        maxPayload: WS_MAX_PAYLOAD_BYTES,
        maxBufferedBytes: WS_MAX_BUFFERED_BYTES,
      });
      await new Promise<void>((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(config.PORT, config.HOST, () => {
          httpServer.off("error", reject);
          resolve();
        });
      });
      const { port } = httpServer.address() as AddressInfo;
      const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
      return { url: `http://${host}:${port}/graphql` };
    },
    async stop() {
      // Sockets first: their subscriptions complete and clients hear 1001 (going away).
      await webSockets?.close();
      webSockets = null;
      if (httpServer.listening) {
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
      }
      await realtime.close();
      await db.$disconnect();
    },
  };
}
