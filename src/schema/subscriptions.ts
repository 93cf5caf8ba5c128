// Subscriptions (messageAdded, roomEvents, viewerEvents), their event types, and setTyping.
// Subscribe-time access is checked by the scopes (authorizeOnSubscribe); after that the realtime
// hub decides per event from its in-memory membership, without asking the database.
import type { Context } from "../context.js";
import { viewerOf } from "../context.js";
import { ChatError } from "../errors.js";
import type { Room } from "../generated/sqlite/client.js";
import type { LoadedMessage } from "../db/loaders.js";
import type { EventQueue } from "../realtime/event-queue.js";
import { openRoomStream, openViewerStream, type StreamEvent } from "../realtime/room-stream.js";
import { builder } from "./builder.js";
import { MessageRef, RoomRef, UserRef } from "./refs.js";
import { intArg } from "./validate.js";

const EVENT_KINDS = [
  "MESSAGE_ADDED",
  "MESSAGE_EDITED",
  "MESSAGES_DELETED",
  "REACTION_CHANGED",
  "READ_RECEIPT",
  "DELIVERY_ACK",
  "TYPING",
  "MEMBERS_ADDED",
  "MEMBERS_REMOVED",
  "ROOM_UPDATED",
  "ROOM_DELETED",
  "RESET",
  "ADDED_TO_ROOM",
  "REMOVED_FROM_ROOM",
  "NOTIFICATION_ADDED",
  "PRESENCE_CHANGED",
] as const;

/** What each kind means to a client; keyed by kind so a new kind cannot go undescribed. */
const EVENT_KIND_DESCRIPTIONS: Record<(typeof EVENT_KINDS)[number], string> = {
  MESSAGE_ADDED: "A message was sent (MessageAddedEvent).",
  MESSAGE_EDITED: "A message's content changed (MessageEditedEvent).",
  MESSAGES_DELETED: "Messages were deleted (MessagesDeletedEvent).",
  REACTION_CHANGED: "A reaction was added, replaced or removed (ReactionChangedEvent).",
  READ_RECEIPT: "A member read messages (ReadReceiptEvent).",
  DELIVERY_ACK: "A member's client received messages (DeliveryAckEvent).",
  TYPING: "A member is typing (TypingEvent).",
  MEMBERS_ADDED: "Users joined or were added (MembersAddedEvent).",
  MEMBERS_REMOVED: "Users left or were removed (MembersRemovedEvent).",
  ROOM_UPDATED: "The room's settings, roles or grants changed (RoomUpdatedEvent).",
  ROOM_DELETED: "The room was deleted (RoomDeletedEvent).",
  RESET: "Too many messages were missed to replay; reload through `messages` (RoomResetEvent).",
  ADDED_TO_ROOM: "The viewer was added to a room (AddedToRoomEvent).",
  REMOVED_FROM_ROOM: "The viewer left or was removed from a room (RemovedFromRoomEvent).",
  NOTIFICATION_ADDED: "The viewer got a notification (NotificationAddedEvent).",
  PRESENCE_CHANGED: "A member came online or went offline (PresenceChangedEvent).",
};

const ChatEventKindEnum = builder.enumType("ChatEventKind", {
  description: "What happened. RESET: too many messages were missed to replay; reload through `messages`.",
  values: Object.fromEntries(EVENT_KINDS.map((kind) => [kind, { description: EVENT_KIND_DESCRIPTIONS[kind] }])) as Record<
    (typeof EVENT_KINDS)[number],
    { description: string }
  >,
});

type Kind = (typeof EVENT_KINDS)[number];
type EventOf<K extends Kind> = Extract<StreamEvent, { kind: K }>;

const ChatEventRef = builder.interfaceRef<StreamEvent>("ChatEvent").implement({
  description: "Something that happened in a room, or to the viewer.",
  resolveType: (event) =>
    ({
      MESSAGE_ADDED: "MessageAddedEvent",
      MESSAGE_EDITED: "MessageEditedEvent",
      MESSAGES_DELETED: "MessagesDeletedEvent",
      REACTION_CHANGED: "ReactionChangedEvent",
      READ_RECEIPT: "ReadReceiptEvent",
      DELIVERY_ACK: "DeliveryAckEvent",
      TYPING: "TypingEvent",
      MEMBERS_ADDED: "MembersAddedEvent",
      MEMBERS_REMOVED: "MembersRemovedEvent",
      ROOM_UPDATED: "RoomUpdatedEvent",
      ROOM_DELETED: "RoomDeletedEvent",
      RESET: "RoomResetEvent",
      ADDED_TO_ROOM: "AddedToRoomEvent",
      REMOVED_FROM_ROOM: "RemovedFromRoomEvent",
      NOTIFICATION_ADDED: "NotificationAddedEvent",
      PRESENCE_CHANGED: "PresenceChangedEvent",
    })[event.kind],
  fields: (t) => ({
    kind: t.field({ type: ChatEventKindEnum, description: "What happened; tells the event types apart.", resolve: (event) => event.kind }),
    roomId: t.id({ description: "The room it happened in.", resolve: (event) => event.roomId }),
  }),
});

/** Defines one event type implementing ChatEvent. */
function eventType<K extends Kind>(kind: K, name: string, description: string, fields: (t: any) => Record<string, any> = () => ({})) {
  return builder.objectRef<EventOf<K>>(name).implement({
    description,
    interfaces: [ChatEventRef],
    isTypeOf: (event) => (event as StreamEvent).kind === kind,
    fields,
  });
}

const messageField = (t: any, description: string) =>
  t.field({
    type: MessageRef,
    nullable: true,
    description,
    // The hub's payload carries sender, room, attachments and reactions: its fields read no rows.
    resolve: (event: { message?: LoadedMessage | null }) => event.message ?? null,
  });
const userField = (t: any, description: string) =>
  t.field({
    type: UserRef,
    nullable: true,
    description,
    resolve: (event: { userId: string }, _args: unknown, context: Context) => context.loaders.user.load(event.userId),
  });
const roomField = (t: any, description: string) =>
  t.field({
    type: RoomRef,
    nullable: true,
    description,
    resolve: (event: { room?: Room | null }) => event.room ?? null,
  });

eventType("MESSAGE_ADDED", "MessageAddedEvent", "A message was sent.", (t) => ({
  seq: t.int({ description: "The message's seq; resume from it with afterSeq.", resolve: (event: EventOf<"MESSAGE_ADDED">) => event.seq }),
  message: messageField(t, "The message; null if it was deleted before delivery."),
}));
eventType("MESSAGE_EDITED", "MessageEditedEvent", "A message's content changed.", (t) => ({
  message: messageField(t, "The edited message."),
}));
eventType("MESSAGES_DELETED", "MessagesDeletedEvent", "Messages were deleted.", (t) => ({
  messageIds: t.idList({ description: "The deleted messages.", resolve: (event: EventOf<"MESSAGES_DELETED">) => event.messageIds }),
}));
eventType("REACTION_CHANGED", "ReactionChangedEvent", "A user added, replaced or removed a reaction.", (t) => ({
  user: userField(t, "Who reacted."),
  message: messageField(t, "The message with its reactions now."),
}));
eventType("READ_RECEIPT", "ReadReceiptEvent", "A user read messages.", (t) => ({
  user: userField(t, "Who read them."),
  messageIds: t.idList({ description: "The messages newly marked read.", resolve: (event: EventOf<"READ_RECEIPT">) => event.messageIds }),
}));
eventType("DELIVERY_ACK", "DeliveryAckEvent", "A user's client received messages.", (t) => ({
  user: userField(t, "Whose client received them."),
  messageIds: t.idList({ description: "The messages newly acknowledged.", resolve: (event: EventOf<"DELIVERY_ACK">) => event.messageIds }),
}));
eventType("TYPING", "TypingEvent", "A user is typing (never stored; not sent back to the typist).", (t) => ({
  user: userField(t, "Who is typing."),
}));
eventType("MEMBERS_ADDED", "MembersAddedEvent", "Users joined or were added.", (t) => ({
  userIds: t.idList({ description: "The new members.", resolve: (event: EventOf<"MEMBERS_ADDED">) => event.userIds }),
  room: roomField(t, "The room now."),
}));
eventType("MEMBERS_REMOVED", "MembersRemovedEvent", "Users left or were removed. A removed viewer's stream ends after it.", (t) => ({
  userIds: t.idList({ description: "The former members.", resolve: (event: EventOf<"MEMBERS_REMOVED">) => event.userIds }),
  room: roomField(t, "The room now; null if it is gone."),
}));
eventType("ROOM_UPDATED", "RoomUpdatedEvent", "The room's settings changed.", (t) => ({
  room: roomField(t, "The room now."),
}));
eventType("ROOM_DELETED", "RoomDeletedEvent", "The room was deleted; the stream ends after it.");
eventType("RESET", "RoomResetEvent", "Too many messages were missed to replay them: reload through `messages`.", (t) => ({
  latestSeq: t.int({ description: "The room's newest seq now; reload history up to it.", resolve: (event: EventOf<"RESET">) => event.latestSeq }),
}));
eventType("ADDED_TO_ROOM", "AddedToRoomEvent", "The viewer was added to a room; its events follow.", (t) => ({
  room: roomField(t, "The room."),
}));
eventType("REMOVED_FROM_ROOM", "RemovedFromRoomEvent", "The viewer left or was removed from a room, or it was deleted; its events stop.", (t) => ({
  roomDeleted: t.boolean({
    description: "The room itself was deleted.",
    resolve: (event: EventOf<"REMOVED_FROM_ROOM">) => event.roomDeleted,
  }),
}));
eventType("NOTIFICATION_ADDED", "NotificationAddedEvent", "The viewer got a notification (a reaction to their message).", (t) => ({
  notificationId: t.id({ description: "The new notification; read it through `notifications`.", resolve: (event: EventOf<"NOTIFICATION_ADDED">) => event.notificationId }),
}));

eventType(
  "PRESENCE_CHANGED",
  "PresenceChangedEvent",
  "A member of the room came online or went offline (after PRESENCE_GRACE_MS without a connection). " +
    "Sent once per change on each subscription of a room the viewer shares with them.",
  (t) => ({
    user: userField(t, "Whose presence changed: read `online` and `lastSeenAt` on it."),
  }),
);

function streamOptions(context: Context) {
  return {
    hub: context.realtime,
    db: context.db,
    viewerId: viewerOf(context).id,
    replayLimit: context.config.RESUME_REPLAY_LIMIT,
    bufferLimit: context.config.SUBSCRIPTION_BUFFER_LIMIT,
    // Bound, not a closure over the context: every open stream keeps it.
    onOverflow: context.transport.disconnectSlowConsumer.bind(context.transport),
  };
}

/** A subscription streamed over SSE is one of the viewer's connections while it streams (over
 * graphql-ws, the connection counts as a whole: see graphql-ws-hooks.ts). */
async function countedAsConnection(context: Context, opening: Promise<EventQueue<StreamEvent>>) {
  const stream = await opening;
  const userId = viewerOf(context).id;
  if (context.transport.subscriptionsAreConnections && context.presence.connect(userId)) {
    stream.onEnd(() => context.presence.disconnect(userId));
  }
  return stream;
}

const AFTER_SEQ = {
  required: false,
  description: "The last seq the client has: first every later message (or one reset past the replay limit), then live.",
} as const;

const checkedAfterSeq = (value: number | null | undefined) =>
  value === null || value === undefined ? null : intArg(value, "afterSeq", 0, 2 ** 31 - 1);

builder.subscriptionType({ description: "Live events. Over graphql-ws (WebSocket) or SSE on /graphql." });

builder.subscriptionFields((t) => ({
  messageAdded: t.field({
    type: MessageRef,
    nullable: true,
    description:
      "New messages of one room in seq order. A resume past the replay limit yields one error with " +
      "extensions.code RESYNC_REQUIRED (and latestSeq), then live messages.",
    args: { roomId: t.arg.id({ required: true, description: "The room; the viewer must be a member." }), afterSeq: t.arg.int(AFTER_SEQ) },
    authScopes: (_root, args) => ({ roomMember: String(args.roomId) }),
    subscribe: (_root, args, context) =>
      countedAsConnection(
        context,
        openRoomStream({ ...streamOptions(context), roomId: String(args.roomId), afterSeq: checkedAfterSeq(args.afterSeq), messagesOnly: true }),
      ),
    resolve: (event: StreamEvent) => {
      if (event.kind === "RESET") {
        throw new ChatError("RESYNC_REQUIRED", "Too many messages were missed; reload through messages.", {
          latestSeq: event.latestSeq,
        });
      }
      return event.kind === "MESSAGE_ADDED" && event.message ? event.message : null;
    },
  }),
  roomEvents: t.field({
    type: ChatEventRef,
    description: "Everything that happens in one room, message events in seq order.",
    args: { roomId: t.arg.id({ required: true, description: "The room; the viewer must be a member." }), afterSeq: t.arg.int(AFTER_SEQ) },
    authScopes: (_root, args) => ({ roomMember: String(args.roomId) }),
    subscribe: (_root, args, context) =>
      countedAsConnection(
        context,
        openRoomStream({ ...streamOptions(context), roomId: String(args.roomId), afterSeq: checkedAfterSeq(args.afterSeq), messagesOnly: false }),
      ),
    resolve: (event: StreamEvent) => event,
  }),
  viewerEvents: t.field({
    type: ChatEventRef,
    description: "One stream for everything the viewer may see: events of all their rooms, being added or removed, notifications.",
    authScopes: { authenticated: true },
    subscribe: (_root, _args, context) => countedAsConnection(context, openViewerStream(streamOptions(context))),
    resolve: (event: StreamEvent) => event,
  }),
}));
