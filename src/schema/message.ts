// The Message type, its attachments and reactions, and the `messages` history query.
import type { Attachment, Message } from "../generated/sqlite/client.js";
import type { LoadedMessage } from "../db/loaders.js";
import type { Context } from "../context.js";
import { viewerOf } from "../context.js";
import { builder } from "./builder.js";
import { connectionRef, decodeCursor, encodeCursor, isSeqCursor, type Connection } from "./connection.js";
import { MessageRef, RoomRef, UserRef } from "./refs.js";
import { pageSizeArg } from "./validate.js";

export const MediaTypeEnum = builder.enumType("MediaType", {
  description: "What an attachment holds. Video notes count as video, voice notes as audio.",
  values: {
    IMAGE: { description: "A picture (image/* MIME types)." },
    VIDEO: { description: "A video or video note (video/* MIME types)." },
    AUDIO: { description: "Audio or a voice note (audio/* MIME types)." },
    FILE: { description: "Any other allowed file, such as a document." },
  } as const,
});

const AttachmentRef = builder.objectRef<Attachment>("Attachment").implement({
  description: "A file hosted elsewhere, attached to a message.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The attachment's id." }),
    url: t.exposeString("url", { description: "Where the file is hosted (http or https)." }),
    mediaType: t.expose("mediaType", { type: MediaTypeEnum, description: "What the file holds." }),
    mimeType: t.exposeString("mimeType", { description: "The file's MIME type, in lower case." }),
    size: t.exposeInt("size", { description: "Bytes." }),
    caption: t.exposeString("caption", { nullable: true, description: "Text shown with the file; null when none." }),
    metadata: t.expose("metadata", { type: "JSON", description: "Width, height, duration, waveform, ..." }),
  }),
});

interface ReactionCount {
  content: string;
  count: number;
  reactedByViewer: boolean;
}

const ReactionCountRef = builder.objectRef<ReactionCount>("ReactionCount").implement({
  description: "How many users reacted to a message with one reaction.",
  fields: (t) => ({
    content: t.exposeString("content", { description: "The reaction, e.g. an emoji." }),
    count: t.exposeInt("count", { description: "How many users reacted with it." }),
    reactedByViewer: t.exposeBoolean("reactedByViewer", { description: "The viewer is one of them." }),
  }),
});

/** What a message row carries beside its columns when the send or the hub loaded it whole
 * (LoadedMessage): its fields then read no rows and build no loaders. Rows from Prisma carry none. */
const carried = (message: Message) => message as Partial<LoadedMessage>;

const reactionsOf = (message: Message, context: Context) =>
  carried(message).reactions ?? context.loaders.reactions.load(message.id);

/** A message the viewer may read, or null: replies and forwards may point into other rooms. */
async function readableMessage(context: Context, id: string | null): Promise<Message | null> {
  if (!id) return null;
  const message = await context.loaders.message.load(id);
  if (!message || message.isDeleted) return null;
  return (await context.gate.allows(context.gate.messages([message.id]))) ? message : null;
}

MessageRef.implement({
  description: "A message in a room.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The message's id (a UUID)." }),
    seq: t.exposeInt("seq", { description: "Position in the room: strictly increasing, assigned by the server." }),
    content: t.exposeString("content", { description: "Sanitised HTML (a small allow-list of tags)." }),
    clientMsgId: t.exposeString("clientMsgId", { nullable: true, description: "The sender's idempotency key." }),
    sender: t.field({
      type: UserRef,
      description: "Who sent it.",
      resolve: async (message, _args, context) => carried(message).sender ?? (await context.loaders.user.load(message.senderId))!,
    }),
    room: t.field({
      type: RoomRef,
      description: "The room it was sent to.",
      resolve: async (message, _args, context) => carried(message).room ?? (await context.loaders.room.load(message.roomId))!,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was sent." }),
    editedAt: t.expose("editedAt", { type: "DateTime", nullable: true, description: "When it was last edited; null if never." }),
    isEdited: t.exposeBoolean("isEdited", { description: "The sender changed its content after sending." }),
    isForwarded: t.exposeBoolean("isForwarded", { description: "A copy of another message (see forwardedFrom)." }),
    replyTo: t.field({
      type: MessageRef,
      nullable: true,
      description: "The message this replies to; null if deleted or not readable by the viewer.",
      resolve: (message, _args, context) => readableMessage(context, message.replyToId),
    }),
    forwardedFrom: t.field({
      type: MessageRef,
      nullable: true,
      description: "The original of a forward; null if deleted or not readable by the viewer.",
      resolve: (message, _args, context) => readableMessage(context, message.forwardedFromId),
    }),
    attachments: t.field({
      type: [AttachmentRef],
      description: "Files attached, in the order sent.",
      resolve: (message, _args, context) => carried(message).attachments ?? context.loaders.attachments.load(message.id),
    }),
    reactions: t.field({
      type: [ReactionCountRef],
      description: "Reactions grouped by content, most frequent first.",
      resolve: async (message, _args, context) => {
        // No viewer when an event is executed once for many subscribers (execution/): then
        // reactedByViewer is not selected (schema/shared-fields.ts), so false is never seen.
        const viewerId = context.viewer?.id;
        const counts = new Map<string, ReactionCount>();
        for (const reaction of await reactionsOf(message, context)) {
          const entry = counts.get(reaction.content) ?? { content: reaction.content, count: 0, reactedByViewer: false };
          entry.count += 1;
          entry.reactedByViewer ||= reaction.userId === viewerId;
          counts.set(reaction.content, entry);
        }
        return [...counts.values()].sort((a, b) => b.count - a.count || a.content.localeCompare(b.content));
      },
    }),
    viewerReaction: t.string({
      nullable: true,
      description: "The viewer's reaction, if any.",
      resolve: async (message, _args, context) => {
        const viewerId = viewerOf(context).id;
        return (await reactionsOf(message, context)).find((r) => r.userId === viewerId)?.content ?? null;
      },
    }),
    readCount: t.int({
      description: "Users other than the sender who marked it read.",
      resolve: (message, _args, context) =>
        context.db.readReceipt.count({ where: { messageId: message.id, userId: { not: message.senderId } } }),
    }),
    deliveredCount: t.int({
      description: "Users other than the sender who acknowledged delivery.",
      resolve: (message, _args, context) =>
        context.db.deliveryAck.count({ where: { messageId: message.id, userId: { not: message.senderId } } }),
    }),
    readByViewer: t.boolean({
      description: "The viewer marked it read (always true for the sender).",
      resolve: async (message, _args, context) => {
        const viewerId = viewerOf(context).id;
        if (message.senderId === viewerId) return true;
        return context.loaders.hasRead.load({ messageId: message.id, userId: viewerId });
      },
    }),
  }),
});

const MessageConnection = connectionRef("Message", MessageRef, "Messages of a room in sequence order.");

builder.queryField("messages", (t) =>
  t.field({
    type: MessageConnection,
    description:
      "A page of a room's history in `seq` order, ending just before `before` (or at the newest). " +
      "Deleted messages are left out. Page through older messages with `before: pageInfo.startCursor`.",
    args: {
      roomId: t.arg.id({ required: true, description: "The room; the viewer must be a member." }),
      last: t.arg.int({ required: false, description: "Page size, at most 100 (default 50)." }),
      before: t.arg.string({ required: false, description: "pageInfo.startCursor of the newer page; omit for the newest messages." }),
    },
    authScopes: (_root, args) => ({ roomMember: String(args.roomId) }),
    resolve: async (_root, args, context): Promise<Connection<Message>> => {
      const last = pageSizeArg(args.last, "last");
      const before = args.before ? decodeCursor(args.before, "before", isSeqCursor) : null;
      const rows = await context.db.message.findMany({
        where: { roomId: String(args.roomId), isDeleted: false, ...(before !== null && { seq: { lt: before } }) },
        orderBy: { seq: "desc" },
        take: last + 1,
      });
      const page = rows.slice(0, last).reverse();
      const edges = page.map((node) => ({ cursor: encodeCursor(node.seq), node }));
      return {
        edges,
        pageInfo: {
          hasPreviousPage: rows.length > last,
          hasNextPage: before !== null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);
