// sendMessage: the input it takes (content, attachments, reply or forward), what is checked
// before anything is stored, and the send itself: allowed on the room's current accessVersion,
// stored in a group commit, and handed to local subscribers without a read back.
import type { Prisma, Room } from "../generated/sqlite/client.js";
import type { Context } from "../context.js";
import { viewerOf } from "../context.js";
import { isBlankContent, sanitizeContent } from "../content/sanitize.js";
import type { LoadedMessage } from "../db/loaders.js";
import * as messages from "../db/messages.js";
import { BadUserInputError, ConflictError, ForbiddenError } from "../errors.js";
import { LIMITS } from "../limits.js";
import { announceMessageSent } from "../realtime/publish.js";
import { builder } from "./builder.js";
import { MediaTypeEnum } from "./message.js";
import { MessageRef } from "./refs.js";
import { intArg, jsonObjectArg, textArg, urlArg } from "./validate.js";

/** The seed's attachment MIME allow-list (27 types). */
export const ALLOWED_MIME_TYPES: ReadonlySet<string> = new Set([
  "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/heic",
  "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/wav", "audio/opus",
  "video/mp4", "video/quicktime", "video/webm", "video/ogg", "video/x-msvideo", "video/x-matroska",
  "application/pdf", "application/msword",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "text/plain", "text/csv",
]);

/** The MIME prefix each media type needs; FILE takes any allowed type. */
const MEDIA_PREFIX: Record<"IMAGE" | "VIDEO" | "AUDIO" | "FILE", string> = {
  IMAGE: "image/",
  VIDEO: "video/",
  AUDIO: "audio/",
  FILE: "",
};

const MAX_SIZE = 2 ** 31 - 1;

const AttachmentInput = builder.inputType("AttachmentInput", {
  description: "A file hosted elsewhere, to attach to a new message.",
  fields: (t) => ({
    url: t.string({ required: true, description: `An http(s) URL of at most ${LIMITS.urlLength} characters.` }),
    mediaType: t.field({
      type: MediaTypeEnum,
      required: true,
      description: "Must agree with mimeType: IMAGE image/*, VIDEO video/*, AUDIO audio/*, FILE any.",
    }),
    mimeType: t.string({
      required: true,
      description: "One of 27 allowed types: common images, audio and video, office documents, PDF, text, CSV.",
    }),
    size: t.int({ required: false, description: "Bytes, 0 or more. Default 0." }),
    caption: t.string({ required: false, description: `At most ${LIMITS.captionLength} characters.` }),
    metadata: t.field({ type: "JSON", required: false, description: "A JSON object (width, duration, ...)." }),
  }),
});

type AttachmentArgs = typeof AttachmentInput.$inferInput;

const SendMessageInput = builder.inputType("SendMessageInput", {
  description: "A new message. The sender is the viewer; the server sets seq, flags and timestamps.",
  fields: (t) => ({
    roomId: t.id({ required: true, description: "The room to post in." }),
    content: t.string({
      required: true,
      description:
        `HTML of at most ${LIMITS.contentLength} characters, sanitised. ` +
        "May be empty only with attachments; must be empty for a forward.",
    }),
    clientMsgId: t.string({
      required: false,
      description: `The sender's idempotency key (at most ${LIMITS.clientMsgIdLength} characters): ` +
        "sending it again to the same room returns the first message.",
    }),
    replyToId: t.id({ required: false, description: "A message the sender may read. Not with forwardFromId." }),
    forwardFromId: t.id({
      required: false,
      description: "Forward this message (one the sender may read): its content and attachments are copied.",
    }),
    attachments: t.field({
      type: [AttachmentInput],
      required: { list: false, items: true },
      description: `At most ${LIMITS.attachmentsPerMessage}. Not with forwardFromId.`,
    }),
  }),
});

type SendArgs = typeof SendMessageInput.$inferInput;

/** Sanitised content, and whether it shows nothing. The limit holds for what is stored too:
 * sanitising escapes text (`&` becomes `&amp;`), so content within the limit as sent can grow
 * past it. Checking as sent first bounds the sanitiser's work. */
export function contentArg(value: string): { content: string; blank: boolean } {
  const content = sanitizeContent(textArg(value, "content", LIMITS.contentLength)).trim();
  if (content.length > LIMITS.contentLength) {
    throw new BadUserInputError(
      `content may be at most ${LIMITS.contentLength} characters once sanitised (it would be ${content.length}: ` +
        "characters such as & and < are stored as entities).",
      "content",
    );
  }
  return { content, blank: isBlankContent(content) };
}

function attachmentArg(input: AttachmentArgs, index: number): messages.NewAttachment {
  const field = `attachments[${index}]`;
  // MIME types are case-insensitive; stored in lower case.
  const mimeType = input.mimeType.trim().toLowerCase();
  if (!ALLOWED_MIME_TYPES.has(mimeType)) {
    throw new BadUserInputError(`"${mimeType.slice(0, 100)}" is not an allowed type.`, `${field}.mimeType`);
  }
  if (!mimeType.startsWith(MEDIA_PREFIX[input.mediaType])) {
    throw new BadUserInputError(`${mimeType} is not of media type ${input.mediaType}.`, `${field}.mimeType`);
  }
  return {
    url: urlArg(input.url, `${field}.url`),
    mediaType: input.mediaType,
    mimeType,
    size: intArg(input.size ?? 0, `${field}.size`, 0, MAX_SIZE),
    caption: (input.caption && textArg(input.caption, `${field}.caption`, LIMITS.captionLength)) || null,
    metadata: (input.metadata == null
      ? {}
      : jsonObjectArg(input.metadata, `${field}.metadata`)) as Prisma.InputJsonObject,
  };
}

/** Refuses a reply or forward source the sender cannot read; missing or deleted is NOT_FOUND, and
 * so is one in a room the sender may not know exists. */
async function requireReadable(context: Context, messageId: string): Promise<void> {
  if (!(await context.gate.admitsMessages([messageId]))) {
    throw new ForbiddenError("You may not access the message you reply to or forward.");
  }
}

/** The whitelisted message to store: only these fields reach the database. */
async function newMessage(context: Context, roomId: string, input: SendArgs): Promise<Omit<messages.NewMessage, "accessVersion">> {
  const replyToId = input.replyToId == null ? null : String(input.replyToId);
  const forwardFromId = input.forwardFromId == null ? null : String(input.forwardFromId);
  if (replyToId && forwardFromId) {
    throw new BadUserInputError("A message can be a reply or a forward, not both.", "forwardFromId");
  }
  const clientMsgId =
    input.clientMsgId == null ? null : textArg(input.clientMsgId, "clientMsgId", LIMITS.clientMsgIdLength, true);
  let content = "";
  let attachments: messages.NewAttachment[] = [];
  if (forwardFromId) {
    if (input.content !== "" || input.attachments != null) {
      throw new BadUserInputError("A forward copies its source: send no content or attachments.", "content");
    }
  } else {
    const given = input.attachments ?? [];
    if (given.length > LIMITS.attachmentsPerMessage) {
      const max = LIMITS.attachmentsPerMessage;
      throw new BadUserInputError(`attachments may hold at most ${max} items.`, "attachments");
    }
    attachments = given.map(attachmentArg);
    const checked = contentArg(input.content);
    if (checked.blank && attachments.length === 0) {
      throw new BadUserInputError("content must not be empty.", "content");
    }
    content = checked.content;
  }
  const source = replyToId ?? forwardFromId;
  if (source) await requireReadable(context, source);
  return {
    roomId,
    senderId: viewerOf(context).id,
    content,
    clientMsgId,
    replyToId,
    forwardFromId,
    attachments,
    notify: context.config.ENABLE_NOTIFICATIONS,
  };
}

/** How often a send whose room's permissions changed meanwhile is decided again. */
const STALE_RETRIES = 3;

/** Stores the message under the permission decided on the room's current accessVersion: when a
 * change commits between the check and the insert, the check runs again (and may refuse). */
async function storeAllowed(context: Context, roomId: string, input: SendArgs): Promise<{ sent: messages.SentMessage; room: Room }> {
  let [, room] = await context.gate.sendMessage(roomId);
  const message = await newMessage(context, room.id, input);
  for (let attempt = 0; ; attempt++) {
    try {
      // A handler may return a room object without a version: then nothing can be compared.
      const accessVersion = typeof room.accessVersion === "number" ? room.accessVersion : null;
      return { sent: await messages.sendMessage(context.database, { ...message, accessVersion }), room };
    } catch (error) {
      if (!(error instanceof messages.StaleAccessError)) throw error;
      if (attempt === STALE_RETRIES) throw new ConflictError("The room's permissions keep changing; try again.");
    }
    const check = context.gate.sendAgain(roomId);
    if (!(await context.gate.admits(check))) throw new ForbiddenError("You may not send messages to this room.");
    [, room] = await check;
  }
}

/** What subscribers on this instance are handed, so the hub need not read back what was just written. */
function deliveredPayload(context: Context, sent: messages.SentMessage, room: Room): LoadedMessage | undefined {
  if (!sent.attachments) return undefined;
  const { message } = sent;
  const roomNow = { ...room, lastSeq: message.seq, lastMessageId: message.id, lastActivityAt: message.createdAt, updatedAt: message.createdAt };
  return { ...message, attachments: sent.attachments, reactions: [], sender: viewerOf(context), room: roomNow };
}

builder.mutationFields((t) => ({
  sendMessage: t.field({
    type: MessageRef,
    description: "Posts a message (a reply, a forward, with attachments) and notifies the other members.",
    args: { input: t.arg({ type: SendMessageInput, required: true, description: "The message." }) },
    authScopes: (_root, args) => ({ canSendMessageTo: String(args.input.roomId) }),
    resolve: async (_root, { input }, context) => {
      const { sent, room } = await storeAllowed(context, String(input.roomId), input);
      // An idempotent retry (a known clientMsgId) created nothing: nothing to announce.
      if (sent.created) {
        const payload = deliveredPayload(context, sent, room);
        announceMessageSent(context, sent, room, payload);
        // Carries what was written (sender, room, attachments): its fields read nothing back.
        if (payload) return payload;
      }
      return sent.message;
    },
  }),
}));
