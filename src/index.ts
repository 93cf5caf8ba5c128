// The package entry: the public API only. Everything exported here is a contract.
export { createChatServer, type ChatServer, type ChatServerOptions } from "./chat-server.js";
export { loadConfig, ConfigError, type Config } from "./config.js";
// Operations: the JSON logger a server writes to (pass your own as `logger`).
export { createLogger, type Logger, type LoggerOptions, type LogDestination } from "./logger.js";
export type { Authenticate, AuthenticateInput, Identity } from "./auth/authenticate.js";
export { signToken } from "./auth/authenticate.js";
export { migrateDatabase, MigrationError } from "./db/migrate.js";
export type { Db } from "./db/client.js";
// ChatServer.presence: who is online (README "Presence").
export type { Presence, PresenceChange } from "./presence/presence.js";
export {
  ChatError,
  UnauthenticatedError,
  ForbiddenError,
  NotFoundError,
  BadUserInputError,
  ConflictError,
  type ErrorCode,
} from "./errors.js";

// The permission system (see README "Permissions"): subclass PermissionHandler and register it.
export {
  PermissionHandler,
  isPermissionHandlerClass,
  type PermissionHandlerClass,
} from "./permissions/permission-handler.js";
export {
  PermissionHelpers,
  DEFAULT_ADMIN_NAMES,
  type AdminAction,
  type AdminNames,
  type MemberRole,
  type PermPhrase,
  type PermissionHandlerContext,
  type SendMessageData,
} from "./permissions/permission-helpers.js";
export { loadPermissionHandler, PermissionHandlerLoadError } from "./permissions/load-handler.js";
export { getModel, getObjectOr404, withDb, type ModelName } from "./permissions/models.js";
export type { Message, Room, RoomKind, RoomPermission, User } from "./generated/sqlite/client.js";

// The event handler (see README "Event handler"): subclass ChatEventHandler and register it.
export {
  ChatEventHandler,
  isChatEventHandlerClass,
  CHAT_EVENT_METHODS,
  type ChatEventHandlerClass,
  type ChatEventHandlerServices,
  type ChatEventMethod,
  type ChatEventBase,
  type ChatEventMessage,
  type ChatEventAttachment,
  type ChatEventRoom,
  type ChatEventNotification,
  type MessageRecipient,
  type MessageSentEvent,
  type NotificationCreatedEvent,
  type MembersChangedEvent,
  type RoomCreatedEvent,
  type RoomDeletedEvent,
} from "./events/chat-event-handler.js";
export { loadEventHandler, EventHandlerLoadError } from "./events/load-event-handler.js";
export { HandlerLoadError } from "./load-handler-class.js";
