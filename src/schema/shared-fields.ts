// The fields a subscription event may be executed with once for all of its subscribers: each
// resolves to the same value for every viewer the hub lets the event through to. A subscription
// whose selection stays inside this list shares one execution and one serialised payload per
// event (src/execution/); any other field makes it run per subscriber. Secure by default: a new
// field is per subscriber until someone adds it here, having checked that its resolver does not
// read context.viewer, context.gate or anything else about the viewer.
//
// Never list a field about the viewer (viewerReaction, readByViewer, reactedByViewer, viewerRole,
// viewerCan, unreadCount, peer), one whose visibility depends on the viewer's permissions
// (replyTo, forwardedFrom), or one with auth scopes (lastMessage, members, preferences, creator,
// admins, moderators: shown to members only): the analysis refuses fields with scopes or
// arguments anyway, but the list is the contract.

/** The two fields every ChatEvent has, plus the event type's own. */
const event = (...fields: string[]) => ["kind", "roomId", ...fields];

const ROOM = ["id", "kind", "name", "description", "avatarUrl", "createdAt", "updatedAt", "lastActivityAt", "memberCount"];

/** Concrete object type → fields shared by every viewer allowed to receive the event. */
export const SHARED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // The root fields: their arguments pick the stream (and are part of the sharing key), their
  // scopes run per subscriber at subscribe time; the resolvers only pass the event on.
  Subscription: ["messageAdded", "roomEvents", "viewerEvents"],

  MessageAddedEvent: event("seq", "message"),
  MessageEditedEvent: event("message"),
  MessagesDeletedEvent: event("messageIds"),
  ReactionChangedEvent: event("user", "message"),
  ReadReceiptEvent: event("user", "messageIds"),
  DeliveryAckEvent: event("user", "messageIds"),
  TypingEvent: event("user"),
  MembersAddedEvent: event("userIds", "room"),
  MembersRemovedEvent: event("userIds", "room"),
  RoomUpdatedEvent: event("room"),
  RoomDeletedEvent: event(),
  RoomResetEvent: event("latestSeq"),
  AddedToRoomEvent: event("room"),
  RemovedFromRoomEvent: event("roomDeleted"),
  NotificationAddedEvent: event("notificationId"),
  // `user` only: User.online and User.lastSeenAt have scopes (canSeePresence), so selecting them
  // makes the event run per subscriber.
  PresenceChangedEvent: event("user"),

  // Not replyTo / forwardedFrom (null for a viewer who may not read the source), viewerReaction,
  // readByViewer. `reactions` is shared only with ReactionCount's viewer-free fields.
  Message: [
    "id", "seq", "content", "clientMsgId", "sender", "room", "createdAt", "editedAt", "isEdited",
    "isForwarded", "attachments", "reactions", "readCount", "deliveredCount",
  ],
  ReactionCount: ["content", "count"],
  Attachment: ["id", "url", "mediaType", "mimeType", "size", "caption", "metadata"],
  User: ["id", "username", "displayName", "isStaff"],

  // Not lastMessage, members, preferences, creator, admins, moderators (scopes), viewerRole,
  // viewerCan, unreadCount; not OneToOneChat.peer.
  GroupChat: [...ROOM, "locked", "joinApprovalRequired", "maxParticipants"],
  Channel: [...ROOM, "isPublic", "maxSubscribers"],
  OneToOneChat: [...ROOM, "participants"],
};
