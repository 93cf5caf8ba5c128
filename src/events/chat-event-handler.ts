// The overridable event handler (README "Event handler"): one async method per thing an
// application reacts to, called after the change committed, once per change, on the instance
// that made it. The default does nothing; a method a subclass does not override costs nothing
// (event-dispatcher.ts queues nothing for it). The seed's counterpart was
// `EVENT_HANDLER_CLASS.create_chat_notification`.
//
// Every payload is plain data (strings, numbers, booleans, arrays, plain objects; times as ISO
// 8601 strings), so JSON.stringify(event) is a complete record of it.
import { isBrandedSubclass } from "../load-handler-class.js";
import type { Logger } from "../logger.js";

/** Marks ChatEventHandler and its subclasses, also across two copies of this package. */
export const CHAT_EVENT_HANDLER_BRAND = Symbol.for("realtime-chat-graphql.ChatEventHandler");

/** Marks the default (no-op) methods, so overrides are recognised across copies of the package. */
const NO_OP = Symbol.for("realtime-chat-graphql.ChatEventHandler.noOp");

/** What every event carries. */
export interface ChatEventBase {
  /** Unique per event (a UUID); named in every log line about it. */
  id: string;
  /** When the change committed, as an ISO 8601 string. */
  occurredAt: string;
}

export interface ChatEventAttachment {
  id: string;
  url: string;
  mediaType: "IMAGE" | "VIDEO" | "AUDIO" | "FILE";
  mimeType: string;
  size: number;
  caption: string | null;
  metadata: unknown;
}

/** A message as it was stored. */
export interface ChatEventMessage {
  id: string;
  roomId: string;
  /** Its position in the room: strictly increasing. */
  seq: number;
  senderId: string;
  /** Sanitised HTML. */
  content: string;
  createdAt: string;
  replyToId: string | null;
  forwardedFromId: string | null;
  clientMsgId: string | null;
  attachments: ChatEventAttachment[];
}

/** A room's public description (settings that decide nothing about access are left out). */
export interface ChatEventRoom {
  id: string;
  kind: "ONE_TO_ONE" | "GROUP" | "CHANNEL";
  /** Null for one-to-one chats. */
  name: string | null;
  description: string | null;
  avatarUrl: string | null;
  creatorId: string | null;
  isPublic: boolean;
  locked: boolean;
  /** Null only when a custom PermissionHandler handed over a room object without it. */
  createdAt: string | null;
}

/** A member of the room other than the sender. */
export interface MessageRecipient {
  userId: string;
  /** Connected to some instance (a subscription open) when the event was handled. False when the
   * presence store could not be asked: an application then errs towards pushing. */
  online: boolean;
}

export interface MessageSentEvent extends ChatEventBase {
  message: ChatEventMessage;
  room: ChatEventRoom;
  /** Every member of the room but the sender, read when the event is handled. */
  recipients: MessageRecipient[];
}

export interface ChatEventNotification {
  id: string;
  /** REPLY: someone replied to the user's message; REACTION: someone reacted to it. */
  kind: "REPLY" | "REACTION";
  /** Who is notified: the author of the message replied or reacted to. */
  userId: string;
  roomId: string;
  /** REPLY: the reply; REACTION: the message reacted to. */
  messageId: string;
  /** Who replied or reacted. */
  actorId: string;
  createdAt: string;
}

export interface NotificationCreatedEvent extends ChatEventBase {
  notification: ChatEventNotification;
}

export interface MembersChangedEvent extends ChatEventBase {
  room: ChatEventRoom;
  /** Users who became members (addMember(s), joinRoom). */
  added: string[];
  /** Users who stopped being members (removeMember(s), leaveRoom). */
  removed: string[];
  /** Who made the change (the user themselves for joinRoom and leaveRoom). */
  by: string;
}

export interface RoomCreatedEvent extends ChatEventBase {
  room: ChatEventRoom;
  /** Every member it was created with, the creator first. */
  memberIds: string[];
  by: string;
}

export interface RoomDeletedEvent extends ChatEventBase {
  roomId: string;
  /** The room as it was before the deletion. */
  room: ChatEventRoom;
  /** Who were members when it was deleted. */
  formerMembers: string[];
  /** Who deleted it (deleteRoom), or the last member who left or was removed. */
  by: string;
}

/** What a ChatEventHandler's constructor receives. */
export interface ChatEventHandlerServices {
  /** The server's logger, bound to `component: "event-handler"`. */
  log: Logger;
}

/** The methods, by name: a contract (README "Event handler"). */
export const CHAT_EVENT_METHODS = [
  "onMessageSent",
  "onNotificationCreated",
  "onMembersChanged",
  "onRoomCreated",
  "onRoomDeleted",
] as const;

export type ChatEventMethod = (typeof CHAT_EVENT_METHODS)[number];

/**
 * Subclass it and override the methods you need; register the subclass as EVENT_HANDLER (or the
 * `eventHandler` option). One instance per server, made once at start. Each call is bounded by
 * EVENT_HANDLER_TIMEOUT_MS; what it throws is logged with the event id and never reaches the user
 * who made the change.
 */
export class ChatEventHandler {
  static readonly [CHAT_EVENT_HANDLER_BRAND] = true;
  protected readonly log: Logger;

  constructor(services: ChatEventHandlerServices) {
    this.log = services.log;
  }

  /** A message was sent (not for an idempotent retry that returned an earlier message). New-message
   * notifications are not stored rows: this is the event for them. */
  async onMessageSent(_event: MessageSentEvent): Promise<void> {}

  /** A REPLY or REACTION notification was stored for a user. */
  async onNotificationCreated(_event: NotificationCreatedEvent): Promise<void> {}

  /** Members were added to or removed from an existing room. */
  async onMembersChanged(_event: MembersChangedEvent): Promise<void> {}

  /** A room was created (a one-to-one chat only when it did not exist yet). */
  async onRoomCreated(_event: RoomCreatedEvent): Promise<void> {}

  /** A room was deleted: by deleteRoom, or because its last member left or was removed. */
  async onRoomDeleted(_event: RoomDeletedEvent): Promise<void> {}
}

for (const method of CHAT_EVENT_METHODS) {
  Object.defineProperty(ChatEventHandler.prototype[method], NO_OP, { value: true });
}

export type ChatEventHandlerClass = new (services: ChatEventHandlerServices) => ChatEventHandler;

export function isChatEventHandlerClass(value: unknown): value is ChatEventHandlerClass {
  return isBrandedSubclass(value, ChatEventHandler, CHAT_EVENT_HANDLER_BRAND);
}

/** Does the handler do something on this method (i.e. did a subclass override the no-op)? */
export function handles(handler: ChatEventHandler, method: ChatEventMethod): boolean {
  const implementation = (handler as unknown as Record<string, unknown>)[method];
  return typeof implementation === "function" && !(implementation as unknown as Record<symbol, unknown>)[NO_OP];
}
