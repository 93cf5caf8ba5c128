// Configuration: environment variables win over the config file, which wins over defaults.
// The variable names are a public contract (README "Configuration"); add, never rename.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface Config {
  /** TCP port of the HTTP and WebSocket server. @default 4000 */
  PORT: number;
  /** Interface to listen on. @default "127.0.0.1" */
  HOST: string;
  /** Folder for the embedded database and the generated development JWT secret. @default "./data" */
  DATA_DIR: string;
  /** `file:<path>` for SQLite or `postgresql://...` for PostgreSQL. @default "file:<DATA_DIR>/chat.db" */
  DATABASE_URL: string;
  /** Redis for fan-out across instances; unset keeps events in process. */
  REDIS_URL: string | undefined;
  /** HS256 secret for bearer tokens; unset makes `npm start` generate one into DATA_DIR. */
  JWT_SECRET: string | undefined;
  /** `<module path or package>#<ExportName>` of a PermissionHandler subclass; unset uses the default. */
  PERMISSION_HANDLER: string | undefined;
  /** `<module path or package>#<ExportName>` of a ChatEventHandler subclass; unset reacts to nothing. */
  EVENT_HANDLER: string | undefined;
  /** Longest one event handler call may take, in ms, before it is logged as timed out and abandoned. @default 10000 */
  EVENT_HANDLER_TIMEOUT_MS: number;
  /** Events waiting for the event handler; past it new ones are dropped and counted in /metrics. @default 10000 */
  EVENT_HANDLER_QUEUE_LIMIT: number;
  /** A user whose last connection closed stays online this long (ms): a reconnect within it is no change. @default 5000 */
  PRESENCE_GRACE_MS: number;
  /** With REDIS_URL: how long an instance's presence entries outlive its last heartbeat (ms), so the users
   * of an instance that died without shutdown go offline within it; at least 1000. @default 30000 */
  PRESENCE_TTL_MS: number;
  /** With REDIS_URL: prefix of the presence keys and of the channel presence changes travel on; the
   * instances of one deployment share it, deployments on one Redis each need their own. @default "chat:presence:" */
  PRESENCE_KEY_PREFIX: string;
  /** true: deleting a message flags it; false: the row is removed. @default false */
  MESSAGE_SOFT_DELETE: boolean;
  /** Create a notification per recipient for new messages, replies and reactions. @default true */
  ENABLE_NOTIFICATIONS: boolean;
  /** Most messages a subscription resumed with `afterSeq` replays; more missed sends one reset event. @default 500 */
  RESUME_REPLAY_LIMIT: number;
  /** Events buffered per subscription for a client that does not keep up; past it the client is cut off. @default 1000 */
  SUBSCRIPTION_BUFFER_LIMIT: number;
  /** "development" shows GraphQL field suggestions and error details; anything else hides them. @default "production" */
  NODE_ENV: string;
  /** Least severe log level written (fatal, error, warn, info, debug, trace, silent). @default "info" */
  LOG_LEVEL: string;
  /** Deepest selection nesting an operation may have. @default 12 */
  GRAPHQL_MAX_DEPTH: number;
  /** Most aliases in one operation. @default 15 */
  GRAPHQL_MAX_ALIASES: number;
  /** Most tokens in one GraphQL document. @default 2000 */
  GRAPHQL_MAX_TOKENS: number;
  /** Highest estimated cost of one operation. @default 5000 */
  GRAPHQL_MAX_COST: number;
  /** Largest HTTP request body and WebSocket message, in bytes. @default 65536 */
  MAX_REQUEST_BYTES: number;
  /** sendMessage calls per user per minute (across instances when REDIS_URL is set). @default 60 */
  RATE_LIMIT_MESSAGES_PER_MINUTE: number;
  /** react and removeReaction calls per user per minute. @default 120 */
  RATE_LIMIT_REACTIONS_PER_MINUTE: number;
  /** editMessage and deleteMessages calls per user per minute. @default 30 */
  RATE_LIMIT_EDITS_PER_MINUTE: number;
  /** createOneToOneChat, createGroupChat and createChannel calls per user per minute. @default 10 */
  RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE: number;
  /** updateRoom, deleteRoom and role and permission changes per user per minute. @default 30 */
  RATE_LIMIT_ROOM_ADMIN_PER_MINUTE: number;
  /** addMember(s), removeMember(s), joinRoom and leaveRoom calls per user per minute. @default 30 */
  RATE_LIMIT_MEMBERSHIP_PER_MINUTE: number;
  /** markRead and acknowledgeDelivery calls per user per minute. @default 600 */
  RATE_LIMIT_READ_MARKERS_PER_MINUTE: number;
  /** Prefix of the rate-limit counters' keys in Redis: deployments sharing one Redis need their own. @default "chat:ratelimit:" */
  RATE_LIMIT_KEY_PREFIX: string;
  /** Concurrent subscriptions on one WebSocket connection. @default 50 */
  MAX_SUBSCRIPTIONS_PER_CONNECTION: number;
  /** Longest a shutdown (SIGTERM, SIGINT) takes, in ms: `npm start` exits when it is reached. @default 10000 */
  SHUTDOWN_TIMEOUT_MS: number;
}

export type ConfigKey = keyof Config;

type Source = Record<string, unknown>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The file named by CHAT_CONFIG, else ./chat.config.json when it exists. */
function readConfigFile(env: NodeJS.ProcessEnv, cwd: string): Source {
  const named = env.CHAT_CONFIG;
  const path = resolve(cwd, named ?? "chat.config.json");
  if (!existsSync(path)) {
    if (named) throw new ConfigError(`CHAT_CONFIG names ${path}, which does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const known = new Set<string>(CONFIG_KEYS);
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`config file ${path}: unknown key "${key}"`);
  }
  return parsed as Source;
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
  "PORT",
  "HOST",
  "DATA_DIR",
  "DATABASE_URL",
  "REDIS_URL",
  "JWT_SECRET",
  "PERMISSION_HANDLER",
  "EVENT_HANDLER",
  "EVENT_HANDLER_TIMEOUT_MS",
  "EVENT_HANDLER_QUEUE_LIMIT",
  "PRESENCE_GRACE_MS",
  "PRESENCE_TTL_MS",
  "PRESENCE_KEY_PREFIX",
  "MESSAGE_SOFT_DELETE",
  "ENABLE_NOTIFICATIONS",
  "RESUME_REPLAY_LIMIT",
  "SUBSCRIPTION_BUFFER_LIMIT",
  "NODE_ENV",
  "LOG_LEVEL",
  "GRAPHQL_MAX_DEPTH",
  "GRAPHQL_MAX_ALIASES",
  "GRAPHQL_MAX_TOKENS",
  "GRAPHQL_MAX_COST",
  "MAX_REQUEST_BYTES",
  "RATE_LIMIT_MESSAGES_PER_MINUTE",
  "RATE_LIMIT_REACTIONS_PER_MINUTE",
  "RATE_LIMIT_EDITS_PER_MINUTE",
  "RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE",
  "RATE_LIMIT_ROOM_ADMIN_PER_MINUTE",
  "RATE_LIMIT_MEMBERSHIP_PER_MINUTE",
  "RATE_LIMIT_READ_MARKERS_PER_MINUTE",
  "RATE_LIMIT_KEY_PREFIX",
  "MAX_SUBSCRIPTIONS_PER_CONNECTION",
  "SHUTDOWN_TIMEOUT_MS",
];

/** The write budgets' settings (calls per user per minute) and their defaults. */
export const RATE_LIMIT_DEFAULTS = {
  RATE_LIMIT_MESSAGES_PER_MINUTE: 60,
  RATE_LIMIT_REACTIONS_PER_MINUTE: 120,
  RATE_LIMIT_EDITS_PER_MINUTE: 30,
  RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE: 10,
  RATE_LIMIT_ROOM_ADMIN_PER_MINUTE: 30,
  RATE_LIMIT_MEMBERSHIP_PER_MINUTE: 30,
  RATE_LIMIT_READ_MARKERS_PER_MINUTE: 600,
} as const satisfies Partial<Record<ConfigKey, number>>;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function pick(key: ConfigKey, env: NodeJS.ProcessEnv, file: Source): unknown {
  const fromEnv = env[key];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return file[key];
}

function asString(key: ConfigKey, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ConfigError(`${key} must be a string`);
  return value;
}

function asPort(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const port = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

function asCount(key: ConfigKey, value: unknown, max: number, min = 1): number | undefined {
  if (value === undefined || value === null) return undefined;
  const count = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(count) || count < min || count > max) {
    throw new ConfigError(`${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return count;
}

function asBoolean(key: ConfigKey, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ConfigError(`${key} must be true or false, got ${JSON.stringify(value)}`);
}

function asLogLevel(value: string): string {
  if (!LOG_LEVELS.includes(value)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${value}"`);
  return value;
}

function checkDatabaseUrl(url: string): string {
  if (url.startsWith("file:") || /^postgres(ql)?:\/\//.test(url)) return url;
  throw new ConfigError(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL)`);
}

/**
 * Builds the configuration from the environment, the config file and the defaults.
 * `overrides` (from `createChatServer`) win over all three.
 */
export function loadConfig(
  overrides: Partial<Config> = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Readonly<Config> {
  const file = readConfigFile(env, cwd);
  const get = (key: ConfigKey) => (key in overrides ? overrides[key] : pick(key, env, file));
  const dataDir = asString("DATA_DIR", get("DATA_DIR")) ?? "./data";
  const perMinute = (key: keyof typeof RATE_LIMIT_DEFAULTS) => asCount(key, get(key), 1_000_000) ?? RATE_LIMIT_DEFAULTS[key];
  const config: Config = {
    PORT: asPort(get("PORT")) ?? 4000,
    HOST: asString("HOST", get("HOST")) ?? "127.0.0.1",
    DATA_DIR: dataDir,
    DATABASE_URL: checkDatabaseUrl(
      asString("DATABASE_URL", get("DATABASE_URL")) ?? `file:${dataDir.replace(/\/$/, "")}/chat.db`,
    ),
    REDIS_URL: asString("REDIS_URL", get("REDIS_URL")),
    JWT_SECRET: asString("JWT_SECRET", get("JWT_SECRET")),
    PERMISSION_HANDLER: asString("PERMISSION_HANDLER", get("PERMISSION_HANDLER")),
    EVENT_HANDLER: asString("EVENT_HANDLER", get("EVENT_HANDLER")),
    EVENT_HANDLER_TIMEOUT_MS: asCount("EVENT_HANDLER_TIMEOUT_MS", get("EVENT_HANDLER_TIMEOUT_MS"), 600_000) ?? 10_000,
    EVENT_HANDLER_QUEUE_LIMIT: asCount("EVENT_HANDLER_QUEUE_LIMIT", get("EVENT_HANDLER_QUEUE_LIMIT"), 1_000_000) ?? 10_000,
    PRESENCE_GRACE_MS: asCount("PRESENCE_GRACE_MS", get("PRESENCE_GRACE_MS"), 600_000) ?? 5_000,
    // Under a second, instances would take each other's late heartbeats for deaths.
    PRESENCE_TTL_MS: asCount("PRESENCE_TTL_MS", get("PRESENCE_TTL_MS"), 3_600_000, 1_000) ?? 30_000,
    PRESENCE_KEY_PREFIX: asString("PRESENCE_KEY_PREFIX", get("PRESENCE_KEY_PREFIX")) ?? "chat:presence:",
    MESSAGE_SOFT_DELETE: asBoolean("MESSAGE_SOFT_DELETE", get("MESSAGE_SOFT_DELETE")) ?? false,
    ENABLE_NOTIFICATIONS: asBoolean("ENABLE_NOTIFICATIONS", get("ENABLE_NOTIFICATIONS")) ?? true,
    RESUME_REPLAY_LIMIT: asCount("RESUME_REPLAY_LIMIT", get("RESUME_REPLAY_LIMIT"), 100_000) ?? 500,
    SUBSCRIPTION_BUFFER_LIMIT: asCount("SUBSCRIPTION_BUFFER_LIMIT", get("SUBSCRIPTION_BUFFER_LIMIT"), 1_000_000) ?? 1_000,
    NODE_ENV: asString("NODE_ENV", get("NODE_ENV")) ?? "production",
    LOG_LEVEL: asLogLevel(asString("LOG_LEVEL", get("LOG_LEVEL")) ?? "info"),
    GRAPHQL_MAX_DEPTH: asCount("GRAPHQL_MAX_DEPTH", get("GRAPHQL_MAX_DEPTH"), 1_000) ?? 12,
    GRAPHQL_MAX_ALIASES: asCount("GRAPHQL_MAX_ALIASES", get("GRAPHQL_MAX_ALIASES"), 1_000) ?? 15,
    GRAPHQL_MAX_TOKENS: asCount("GRAPHQL_MAX_TOKENS", get("GRAPHQL_MAX_TOKENS"), 1_000_000) ?? 2_000,
    GRAPHQL_MAX_COST: asCount("GRAPHQL_MAX_COST", get("GRAPHQL_MAX_COST"), 10_000_000) ?? 5_000,
    MAX_REQUEST_BYTES: asCount("MAX_REQUEST_BYTES", get("MAX_REQUEST_BYTES"), 100 * 1024 * 1024) ?? 65_536,
    RATE_LIMIT_MESSAGES_PER_MINUTE: perMinute("RATE_LIMIT_MESSAGES_PER_MINUTE"),
    RATE_LIMIT_REACTIONS_PER_MINUTE: perMinute("RATE_LIMIT_REACTIONS_PER_MINUTE"),
    RATE_LIMIT_EDITS_PER_MINUTE: perMinute("RATE_LIMIT_EDITS_PER_MINUTE"),
    RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE: perMinute("RATE_LIMIT_ROOM_CREATIONS_PER_MINUTE"),
    RATE_LIMIT_ROOM_ADMIN_PER_MINUTE: perMinute("RATE_LIMIT_ROOM_ADMIN_PER_MINUTE"),
    RATE_LIMIT_MEMBERSHIP_PER_MINUTE: perMinute("RATE_LIMIT_MEMBERSHIP_PER_MINUTE"),
    RATE_LIMIT_READ_MARKERS_PER_MINUTE: perMinute("RATE_LIMIT_READ_MARKERS_PER_MINUTE"),
    RATE_LIMIT_KEY_PREFIX: asString("RATE_LIMIT_KEY_PREFIX", get("RATE_LIMIT_KEY_PREFIX")) ?? "chat:ratelimit:",
    MAX_SUBSCRIPTIONS_PER_CONNECTION: asCount("MAX_SUBSCRIPTIONS_PER_CONNECTION", get("MAX_SUBSCRIPTIONS_PER_CONNECTION"), 100_000) ?? 50,
    SHUTDOWN_TIMEOUT_MS: asCount("SHUTDOWN_TIMEOUT_MS", get("SHUTDOWN_TIMEOUT_MS"), 600_000) ?? 10_000,
  };
  return Object.freeze(config);
}
