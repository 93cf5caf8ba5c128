// The package entry: the public API only. Everything exported here is a contract.
export { createChatServer, type ChatServer, type ChatServerOptions } from "./chat-server.js";
export { loadConfig, ConfigError, type Config } from "./config.js";
export type { Authenticate, AuthenticateInput, Identity } from "./auth/authenticate.js";
export { signToken } from "./auth/authenticate.js";
export { migrateDatabase, MigrationError } from "./db/migrate.js";
export type { Db } from "./db/client.js";
export {
  ChatError,
  UnauthenticatedError,
  ForbiddenError,
  NotFoundError,
  BadUserInputError,
  ConflictError,
  type ErrorCode,
} from "./errors.js";
