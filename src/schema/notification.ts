// The Notification type and the `notifications` query: what happened to the viewer while away.
import { viewerOf } from "../context.js";
import { notificationsPage, type NotificationRow } from "../db/notifications.js";
import { LIMITS } from "../limits.js";
import { builder } from "./builder.js";
import { connectionRef, decodeCursor, forwardPage, isActivityCursor, timeCursor } from "./connection.js";
import { MessageRef, RoomRef } from "./refs.js";
import { pageSizeArg } from "./validate.js";

export const NotificationTypeEnum = builder.enumType("NotificationType", {
  description: "Why a notification was created.",
  values: {
    NEW_MESSAGE: { description: "A message was posted in one of the viewer's rooms." },
    REPLY: { description: "Someone replied to the viewer's message (other members see the reply as NEW_MESSAGE)." },
    REACTION: { description: "Someone reacted to the viewer's message." },
  } as const,
});

const NotificationRef = builder.objectRef<NotificationRow>("Notification").implement({
  description: "A pending notification of the viewer; acknowledgeDelivery or deleting its message clears it.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The notification's id (for NEW_MESSAGE, the message's id)." }),
    type: t.expose("type", { type: NotificationTypeEnum, description: "Why it was created." }),
    message: t.field({
      type: MessageRef,
      description: "The new message, reply, or message reacted to.",
      resolve: async ({ messageId }, _args, context) => (await context.loaders.message.load(messageId))!,
    }),
    room: t.field({
      type: RoomRef,
      description: "The room of the message.",
      resolve: async ({ roomId }, _args, context) => (await context.loaders.room.load(roomId))!,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
  }),
});

const NotificationConnection = connectionRef("Notification", NotificationRef, "Notifications, newest first.");

builder.queryField("notifications", (t) =>
  t.field({
    type: NotificationConnection,
    description:
      "The viewer's pending notifications, newest first. Those of deleted messages and of rooms the viewer " +
      "has left are left out.",
    args: {
      first: t.arg.int({
        required: false,
        description: `Page size, at most ${LIMITS.pageSize} (default ${LIMITS.defaultPageSize}).`,
      }),
      after: t.arg.string({ required: false, description: "pageInfo.endCursor of the previous page." }),
    },
    authScopes: { authenticated: true },
    resolve: async (_root, args, context) => {
      const userId = viewerOf(context).id;
      const first = pageSizeArg(args.first, "first");
      const after = args.after ? decodeCursor(args.after, "after", isActivityCursor) : null;
      // A former member must not read the messages of a room through old notifications: only
      // rooms the viewer is in count.
      const rows = await notificationsPage(context.db, userId, {
        take: first + 1,
        after: after && { at: new Date(after[0]), id: after[1] },
        newMessages: context.config.ENABLE_NOTIFICATIONS,
      });
      return forwardPage(rows, first, (row) => timeCursor(row.createdAt, row.id), after !== null);
    },
  }),
);
