// Limits on everything a client controls. Documented in the README ("Limits"); a value past a
// limit is refused with BAD_USER_INPUT and changes nothing.
export const LIMITS = {
  /** Characters of message content, both as sent and as stored (sanitising escapes `&` and `<`
   * into entities, so what is stored can be longer than what was sent). */
  contentLength: 10_000,
  /** Characters of a group or channel name. */
  nameLength: 64,
  /** Characters of a room description. */
  descriptionLength: 2_000,
  /** Characters of a reaction. */
  reactionLength: 128,
  /** Ids in one list argument (userIds, messageIds, participantIds, ...). */
  idsPerList: 100,
  /** Attachments of one message. */
  attachmentsPerMessage: 10,
  /** Characters of a client message id. */
  clientMsgIdLength: 128,
  /** Characters of an avatar or attachment URL. */
  urlLength: 2_048,
  /** Characters of an attachment caption. */
  captionLength: 1_024,
  /** Bytes of room preferences or attachment metadata, as JSON. */
  jsonBytes: 8_192,
  /** Levels of nesting of room preferences or attachment metadata (the object itself is 1). */
  jsonDepth: 32,
  /** Items of one page (messages, rooms, channels, notifications). */
  pageSize: 100,
  /** Default page size when `first`/`last` is omitted. */
  defaultPageSize: 50,
  /** Largest allowed maxParticipants of a group. */
  maxGroupParticipants: 1_000,
  /** Largest allowed maxSubscribers of a channel. */
  maxChannelSubscribers: 100_000,
  /** Shortest interval between two setTyping of one user in one room. */
  typingIntervalMs: 1_000,
} as const;

/** Defaults of the seed package. */
export const DEFAULT_MAX_PARTICIPANTS = 100;
export const DEFAULT_MAX_SUBSCRIBERS = 300;
