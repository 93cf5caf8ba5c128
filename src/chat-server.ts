// createChatServer: wires configuration, database, authentication and the GraphQL server.
// It has no side effects until start(); main.ts is the only place that exits the process.
import { createServer, type Server } from "node:http";
import { GraphQLError } from "graphql";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { createJwtAuthenticate, type Authenticate } from "./auth/authenticate.js";
import { resolveJwtSecret } from "./auth/jwt-secret.js";
import { loadConfig, type Config } from "./config.js";
import { createContext } from "./context.js";
import { refusedCredentials, SignInUnavailableError } from "./errors.js";
import { createDatabase, type Db, type QueryListener } from "./db/client.js";
import { SharedResults } from "./execution/shared-results.js";
import { migrateDatabase } from "./db/migrate.js";
import { createUserUpserter } from "./db/users.js";
import type { ChatEventHandler, ChatEventHandlerClass } from "./events/chat-event-handler.js";
import { EventDispatcher } from "./events/event-dispatcher.js";
import { loadEventHandler } from "./events/load-event-handler.js";
import { createLogger, currentRequestLog, type Logger } from "./logger.js";
import { loadPermissionHandler } from "./permissions/load-handler.js";
import { MemberAccessCache } from "./permissions/member-access-cache.js";
import type { PermissionHandlerClass } from "./permissions/permission-handler.js";
import { createMemoryPresence, type Presence, type PresenceChange } from "./presence/presence.js";
import { createRedisPresence } from "./presence/redis-store.js";
import { createRateLimits } from "./rate-limits.js";
import { createMemoryBus, createRedisBus } from "./realtime/event-bus.js";
import { presenceTopic } from "./realtime/events.js";
import { RealtimeHub } from "./realtime/hub.js";
import { startGraphqlWs, type GraphqlWsServer } from "./server/graphql-ws.js";
import { HttpTransport } from "./server/http-transport.js";
import { createChatMetrics } from "./server/metrics.js";
import { createChatYoga } from "./server/yoga.js";

/** The part of the shutdown timeout kept for closing Redis and the database. */
const CLOSE_RESERVE_MS = 1_000;

/** Unsent bytes after which a socket counts as a slow consumer. */
const WS_MAX_BUFFERED_BYTES = 1024 * 1024;

export interface ChatServerOptions extends Partial<Config> {
  /** Replaces the JWT check: return the caller's identity, null if anonymous, or throw. */
  authenticate?: Authenticate;
  /** The PermissionHandler subclass, or a "<module>#<Export>" string; wins over PERMISSION_HANDLER. */
  permissionHandler?: PermissionHandlerClass | string;
  /** The ChatEventHandler subclass, or a "<module>#<Export>" string; wins over EVENT_HANDLER. */
  eventHandler?: ChatEventHandlerClass | string;
  /** Apply pending migrations in start(). @default true */
  migrate?: boolean;
  /** A pino logger to write to instead of a new one on stdout at LOG_LEVEL (its own level applies). */
  logger?: Logger;
  /** Longest stop() takes, in ms: in-flight HTTP requests are cut a second before it. @default SHUTDOWN_TIMEOUT_MS */
  shutdownTimeoutMs?: number;
  /** Milliseconds between WebSocket keep-alive pings; a client that did not answer one by the next
   * is closed as a slow consumer (4509). @default 12000 */
  webSocketKeepAliveMs?: number;
  /** Called with every SQL statement sent and its duration in ms (query logging, or counting in tests). */
  onQuery?: QueryListener;
}

export interface ChatServer {
  readonly config: Readonly<Config>;
  readonly db: Db;
  /** The registered PermissionHandler class (one instance is made per request). */
  readonly Handler: PermissionHandlerClass;
  /** The server's one ChatEventHandler instance (README "Event handler"). */
  readonly eventHandler: ChatEventHandler;
  readonly yoga: ReturnType<typeof createChatYoga>;
  /** Publishes and streams room events (in process, or across instances through Redis). */
  readonly realtime: RealtimeHub;
  /** Who is online: this instance's connections, and every instance's through Redis (README "Presence"). */
  readonly presence: Presence;
  readonly httpServer: Server;
  /** The server's logger (JSON lines); request lines carry `reqId`. */
  readonly log: Logger;
  /** The Prometheus registry served at /metrics; an application may register its own metrics here. */
  readonly metrics: Registry;
  /** Set when the JWT secret was generated into DATA_DIR because JWT_SECRET is unset. */
  readonly generatedSecretFile: string | undefined;
  /** Migrates the database and listens; resolves with the GraphQL endpoint's URL. */
  start(): Promise<{ url: string }>;
  /** Graceful: stops accepting, closes WebSockets (1001), completes SSE subscriptions, lets in-flight
   * requests finish (until a second before shutdownTimeoutMs), then closes Redis and the database. */
  stop(): Promise<void>;
}

export async function createChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const {
    authenticate: customAuthenticate,
    permissionHandler,
    eventHandler: eventHandlerOption,
    migrate = true,
    logger,
    shutdownTimeoutMs: shutdownTimeoutOption,
    onQuery,
    webSocketKeepAliveMs,
    ...overrides
  } = options;
  const config = loadConfig(overrides);
  const shutdownTimeoutMs = shutdownTimeoutOption ?? config.SHUTDOWN_TIMEOUT_MS;
  const log = logger ?? createLogger({ level: config.LOG_LEVEL });
  // A handler that cannot be loaded stops the start here, before anything listens.
  const Handler = await loadPermissionHandler(permissionHandler ?? config.PERMISSION_HANDLER);
  const EventHandler = await loadEventHandler(eventHandlerOption ?? config.EVENT_HANDLER);
  const eventLog = log.child({ component: "event-handler" });
  // One instance per server, made once: a constructor that throws stops the start too.
  const eventHandler = new EventHandler({ log: eventLog });
  const jwt = customAuthenticate ? undefined : resolveJwtSecret(config);
  const authenticate = customAuthenticate ?? createJwtAuthenticate(jwt!.secret);
  const database = await createDatabase(config.DATABASE_URL, onQuery);
  const { db } = database;
  const upsertUser = createUserUpserter(db);

  // ioredis retries every few seconds while Redis is away: log each distinct error once.
  let redisError = "";
  const onRedisError = (error: Error) => {
    if (error.message !== redisError) log.warn({ err: error }, `redis: ${error.message}`);
    redisError = error.message;
  };
  const onRedisReady = () => {
    if (redisError) log.info("redis: connected again");
    redisError = "";
  };
  const bus = config.REDIS_URL
    ? await createRedisBus({ url: config.REDIS_URL, onError: onRedisError, onReady: onRedisReady })
    : createMemoryBus();
  // One set of rate limits per server, shared by all its requests and sockets (in Redis when set).
  const limits = await createRateLimits(config, { onRedisError, onRedisReady });
  const realtime = new RealtimeHub(
    bus,
    db,
    (message, error) => log.error({ err: error }, message),
    presenceTopic(config.PRESENCE_KEY_PREFIX),
  );
  const presenceOptions = {
    graceMs: config.PRESENCE_GRACE_MS,
    announce: async ({ userId, online, at }: PresenceChange) => {
      // Stored before it is announced: subscribers read it back with the event. Once per change.
      if (!online) {
        await db.user
          .updateMany({ where: { id: userId }, data: { lastSeenAt: at } })
          .catch((error: unknown) => log.warn({ err: error }, `presence: lastSeenAt of ${userId} not stored`));
      }
      realtime.publishPresence({ userId, online, lastSeenAt: at.toISOString() });
    },
    // Redis away: once per distinct error, as for the other Redis clients.
    log: (message: string, error: unknown) =>
      config.REDIS_URL ? onRedisError(new Error(`${message}: ${(error as Error)?.message ?? error}`)) : log.warn({ err: error }, message),
  };
  const presence = config.REDIS_URL
    ? await createRedisPresence({
        ...presenceOptions,
        url: config.REDIS_URL,
        prefix: config.PRESENCE_KEY_PREFIX,
        ttlMs: config.PRESENCE_TTL_MS,
        onRedisError,
        onRedisReady,
      })
    : createMemoryPresence(presenceOptions);
  const metrics = createChatMetrics({
    watchedRooms: () => realtime.watchedRooms,
    eventQueueLength: () => events.queueLength,
  });
  const events = new EventDispatcher({
    handler: eventHandler,
    db,
    onlineAmong: (userIds) => presence.onlineAmong(userIds),
    timeoutMs: config.EVENT_HANDLER_TIMEOUT_MS,
    queueLimit: config.EVENT_HANDLER_QUEUE_LIMIT,
    notifications: config.ENABLE_NOTIFICATIONS,
    log: eventLog,
    metrics: { calls: metrics.eventHandlerCalls, dropped: metrics.eventHandlerDropped },
  });
  let stopping: Promise<void> | null = null;
  const services = {
    database,
    memberAccess: new MemberAccessCache(),
    config,
    Handler,
    realtime,
    events,
    limits,
    presence,
    log,
  };
  const signIn = async (input: Parameters<Authenticate>[0]) => {
    const identity = await authenticate(input);
    if (!identity) return null;
    try {
      return { viewer: await upsertUser(identity), expiresAt: identity.expiresAt };
    } catch (error) {
      // Refused claims stay UNAUTHENTICATED; a failing database is no reason to drop the token.
      if (error instanceof GraphQLError) throw error;
      throw new SignInUnavailableError(error);
    }
  };

  const sharedResults = new SharedResults();
  const yoga = createChatYoga({
    config,
    // HTTP: the request's logger (useRequestLog); graphql-ws: a new id per operation.
    createContext: async (request, response) => {
      const signedIn = await signIn({ request }).catch(refusedCredentials);
      const transport = new HttpTransport(response, signedIn?.expiresAt);
      return createContext(services, signedIn?.viewer ?? null, transport, currentRequestLog());
    },
    createEventContext: () => createContext(services, null),
    sharedResults,
    log,
    metrics,
    readiness: {
      checks: {
        database: () => db.$queryRaw`SELECT 1`,
        ...(config.REDIS_URL ? { redis: () => realtime.ping() } : {}),
      },
      log,
      isStopping: () => stopping !== null,
    },
    // /demo hands out tokens only while the secret is the generated development one.
    demo: { devTokenSecret: jwt?.generatedFile ? jwt.secret : undefined },
  });
  const httpServer = createServer(yoga);
  let webSockets: GraphqlWsServer | null = null;

  return {
    config,
    db,
    Handler,
    eventHandler,
    yoga,
    realtime,
    presence,
    httpServer,
    log,
    metrics: metrics.registry,
    generatedSecretFile: jwt?.generatedFile,
    async start() {
      if (migrate) await migrateDatabase(config.DATABASE_URL);
      await database.open();
      webSockets = startGraphqlWs({
        httpServer,
        yoga,
        authenticate: signIn,
        // A new request id (and logger) per operation, made if something is logged.
        createContext: (viewer, transport) => createContext(services, viewer, transport),
        // A larger message closes the socket with 1009 (ws); chat operations are small.
        maxPayload: config.MAX_REQUEST_BYTES,
        maxSubscriptions: config.MAX_SUBSCRIPTIONS_PER_CONNECTION,
        maxBufferedBytes: WS_MAX_BUFFERED_BYTES,
        keepAliveMs: webSocketKeepAliveMs,
        sharedResults,
        presence,
        log,
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
    stop() {
      stopping ??= (async () => {
        // What is still in flight then is cut, leaving a moment to close Redis and the database.
        const cutOffAt = Date.now() + shutdownTimeoutMs - Math.min(CLOSE_RESERVE_MS, shutdownTimeoutMs / 4);
        // From here /ready answers 503, and no new connection is accepted.
        const closed = httpServer.listening
          ? new Promise<void>((resolve) => httpServer.close(() => resolve()))
          : Promise.resolve();
        // Sockets first: clients hear 1001 (going away) and resume elsewhere; their subscriptions end.
        await webSockets?.close(cutOffAt);
        webSockets = null;
        // SSE subscriptions complete, which ends their responses.
        realtime.endStreams();
        // In-flight requests finish; keep-alive connections close once idle; past the timeout, all do.
        const idle = setInterval(() => httpServer.closeIdleConnections(), 100);
        const cutOff = setTimeout(() => httpServer.closeAllConnections(), Math.max(0, cutOffAt - Date.now()));
        httpServer.closeIdleConnections();
        await closed;
        clearInterval(idle);
        clearTimeout(cutOff);
        // Every change that will be made is made: the handler gets what time is left to catch up
        // (while presence still answers for its recipients).
        await events.close(Math.max(0, cutOffAt - Date.now()));
        // Users left without a connection go offline now, announced while the bus still works.
        await presence.close();
        await realtime.close();
        await limits.close();
        await database.close();
      })();
      return stopping;
    },
  };
}
