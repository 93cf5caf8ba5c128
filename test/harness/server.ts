// Starts a real server on a free port against a fresh database, with helpers to mint tokens and
// send GraphQL over HTTP. Every server started here is stopped by stopTestServers().
import { randomBytes } from "node:crypto";
import { signToken } from "../../src/auth/authenticate.js";
import { createChatServer, type ChatServer, type ChatServerOptions } from "../../src/chat-server.js";
import { RATE_LIMIT_DEFAULTS } from "../../src/config.js";
import type { Provider } from "../../src/db/client.js";
import { createTestDatabase, dropTestDatabases, type TestDatabase } from "./databases.js";

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

export interface TestServer {
  server: ChatServer;
  database: TestDatabase;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  origin: string;
  secret: string;
  token(userId: string, options?: { staff?: boolean; name?: string }): Promise<string>;
  /** POSTs a GraphQL operation as `userId` (anonymous when null). */
  gql<T = Record<string, any>>(
    userId: string | null,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
}

const running: ChatServer[] = [];

/** Write budgets no test reaches by accident. */
export const UNLIMITED_WRITES = Object.fromEntries(
  Object.keys(RATE_LIMIT_DEFAULTS).map((key) => [key, 1_000_000]),
) as Record<keyof typeof RATE_LIMIT_DEFAULTS, number>;

export async function startTestServer(
  provider: Provider,
  options: ChatServerOptions & { database?: TestDatabase } = {},
): Promise<TestServer> {
  const { database: given, ...serverOptions } = options;
  const database = given ?? (await createTestDatabase(provider));
  const secret = randomBytes(16).toString("hex");
  const server = await createChatServer({
    PORT: 0,
    HOST: "127.0.0.1",
    DATA_DIR: database.dir,
    DATABASE_URL: database.url,
    JWT_SECRET: secret,
    // Tests write quickly; those about rate limits pass low values.
    ...UNLIMITED_WRITES,
    // Counters in a shared Redis are this server's alone unless a test passes the same prefix.
    RATE_LIMIT_KEY_PREFIX: `test:ratelimit:${randomBytes(8).toString("hex")}:`,
    // Presence likewise (instances of one test share it by passing the same prefix).
    PRESENCE_KEY_PREFIX: `test:presence:${randomBytes(8).toString("hex")}:`,
    // A user whose test closed their connections would go offline while a later test of the file
    // watches a room they are in: tests about presence pass a short grace, the others see no departures.
    PRESENCE_GRACE_MS: 600_000,
    // Quiet unless a test asks for logs (LOG_LEVEL, or its own `logger`).
    LOG_LEVEL: "silent",
    ...serverOptions,
  });
  running.push(server);
  const { url } = await server.start();
  const tokens = new Map<string, string>();
  const token: TestServer["token"] = async (userId, tokenOptions = {}) => {
    const key = JSON.stringify([userId, tokenOptions]);
    let value = tokens.get(key);
    if (!value) {
      value = await signToken(secret, { sub: userId, name: tokenOptions.name, staff: tokenOptions.staff });
      tokens.set(key, value);
    }
    return value;
  };
  return {
    server,
    database,
    url,
    origin: new URL(url).origin,
    secret,
    token,
    async gql(userId, query, variables) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (userId !== null) headers.authorization = `Bearer ${await token(userId)}`;
      const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as GraphQLResponse<any>;
    },
  };
}

export async function stopTestServers(): Promise<void> {
  const stopped = running.splice(0);
  await Promise.all(stopped.map((server) => server.stop()));
  await Promise.all(
    stopped.flatMap(({ config }) =>
      config.REDIS_URL ? [config.RATE_LIMIT_KEY_PREFIX, config.PRESENCE_KEY_PREFIX].map((prefix) => deleteRedisKeys(config.REDIS_URL!, prefix)) : [],
    ),
  );
  await dropTestDatabases();
}

/** Removes a test's rate-limit counters (they would expire within a minute) and presence entries
 * from a shared Redis. */
async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  // One try: a test may point REDIS_URL at nothing on purpose.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) keys.push(...(batch as string[]));
    if (keys.length > 0) await redis.del(...keys);
  } catch {
    // Unreachable: there is nothing to clean up.
  } finally {
    redis.disconnect();
  }
}
