// Message mutations: edit, delete, reactions, read receipts and delivery (sending is in
// send-message.ts). Each declares its scope; the resolver checks the input and calls one data
// function of src/db/messages.ts.
import type { Message } from "../generated/sqlite/client.js";
import type { Context } from "../context.js";
import { viewerOf } from "../context.js";
import * as messages from "../db/messages.js";
import { NotFoundError } from "../errors.js";
import { LIMITS } from "../limits.js";
import { announceReaction } from "../realtime/publish.js";
import { builder } from "./builder.js";
import { MessageRef } from "./refs.js";
import { contentArg } from "./send-message.js";
import { idsArg, textArg } from "./validate.js";

/** A message as it is now: this request's loaders may hold it from before the change. */
async function reload(context: Context, messageId: string): Promise<Message> {
  context.loaders.message.clear(messageId);
  context.loaders.reactions.clear(messageId);
  const message = await context.loaders.message.load(messageId);
  if (!message) throw new NotFoundError();
  return message;
}

const reloadAll = (context: Context, ids: string[]) =>
  Promise.all(ids.map((id) => reload(context, id).catch(() => null))).then((rows) =>
    rows.filter((row): row is Message => row !== null),
  );

const messageIdsArg = (ids: ReadonlyArray<string | number>) => idsArg(ids.map(String), "messageIds", "message");

builder.mutationFields((t) => ({
  editMessage: t.field({
    type: MessageRef,
    description: "Replaces the content of a message the viewer sent, marking it edited. Not for forwards.",
    args: {
      messageId: t.arg.id({ required: true, description: "The message." }),
      content: t.arg.string({ required: true, description: "The new content; same rules as sendMessage." }),
    },
    authScopes: (_root, args) => ({ isSenderOf: [String(args.messageId)] }),
    resolve: async (_root, args, context) => {
      const { content, blank } = contentArg(args.content);
      const edited = await messages.editMessage(context.db, String(args.messageId), content, blank);
      context.realtime.publishRoom({ kind: "MESSAGE_EDITED", roomId: edited.roomId, messageId: edited.id });
      return edited;
    },
  }),
  deleteMessages: t.idList({
    description:
      "Deletes messages the viewer sent, all from one room, with their notifications. Returns their ids. " +
      "MESSAGE_SOFT_DELETE decides whether they are flagged or removed; either way they leave history.",
    args: {
      messageIds: t.arg.idList({ required: true, description: `At most ${LIMITS.idsPerList}, from one room.` }),
    },
    authScopes: (_root, args) => ({ isSenderOf: messageIdsArg(args.messageIds) }),
    resolve: async (_root, args, context) => {
      const ids = messageIdsArg(args.messageIds);
      const [, room] = await context.gate.sender(ids);
      const soft = context.config.MESSAGE_SOFT_DELETE;
      const { messageIds } = await messages.deleteMessages(context.db, room.id, ids, soft);
      if (messageIds.length > 0) context.realtime.publishRoom({ kind: "MESSAGES_DELETED", roomId: room.id, messageIds });
      return messageIds;
    },
  }),
  react: t.field({
    type: MessageRef,
    description: "Sets the viewer's one reaction to a message: another replaces it, the same again is a no-op.",
    args: {
      messageId: t.arg.id({ required: true, description: "The message." }),
      content: t.arg.string({ required: true, description: `1 to ${LIMITS.reactionLength} characters, trimmed.` }),
    },
    authScopes: (_root, args) => ({ canReadMessages: [String(args.messageId)] }),
    resolve: async (_root, args, context) => {
      const content = textArg(args.content, "content", LIMITS.reactionLength, true);
      const messageId = String(args.messageId);
      const notify = context.config.ENABLE_NOTIFICATIONS;
      const userId = viewerOf(context).id;
      announceReaction(context, await messages.react(context.db, messageId, userId, content, notify), userId);
      return reload(context, messageId);
    },
  }),
  removeReaction: t.field({
    type: MessageRef,
    description: "Removes the viewer's reaction to a message, if any.",
    args: { messageId: t.arg.id({ required: true, description: "The message." }) },
    authScopes: (_root, args) => ({ canReadMessages: [String(args.messageId)] }),
    resolve: async (_root, args, context) => {
      const messageId = String(args.messageId);
      const userId = viewerOf(context).id;
      announceReaction(context, await messages.removeReaction(context.db, messageId, userId), userId);
      return reload(context, messageId);
    },
  }),
  markRead: t.field({
    type: [MessageRef],
    description:
      "Marks messages read by the viewer (their own are skipped; again is harmless) and moves the viewer's " +
      "read position in each room forward, which lowers unreadCount. Returns the listed messages.",
    args: { messageIds: t.arg.idList({ required: true, description: `At most ${LIMITS.idsPerList}.` }) },
    authScopes: (_root, args) => ({ canReadMessages: messageIdsArg(args.messageIds) }),
    resolve: async (_root, args, context) => {
      const ids = messageIdsArg(args.messageIds);
      const userId = viewerOf(context).id;
      for (const { roomId, messageIds } of await messages.markRead(context.db, userId, ids)) {
        context.realtime.publishRoom({ kind: "READ_RECEIPT", roomId, messageIds, userId });
      }
      return reloadAll(context, ids);
    },
  }),
  acknowledgeDelivery: t.field({
    type: [MessageRef],
    description:
      "Acknowledges that messages reached the viewer's device (their own are skipped; again is harmless) and " +
      "clears the viewer's notifications of them. Returns the listed messages.",
    args: { messageIds: t.arg.idList({ required: true, description: `At most ${LIMITS.idsPerList}.` }) },
    authScopes: (_root, args) => ({ canReadMessages: messageIdsArg(args.messageIds) }),
    resolve: async (_root, args, context) => {
      const ids = messageIdsArg(args.messageIds);
      const userId = viewerOf(context).id;
      for (const { roomId, messageIds } of await messages.acknowledgeDelivery(context.db, userId, ids)) {
        context.realtime.publishRoom({ kind: "DELIVERY_ACK", roomId, messageIds, userId });
      }
      return reloadAll(context, ids);
    },
  }),
}));
