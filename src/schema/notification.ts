// The Notification type and the `notifications` query: what happened to the viewer while away.
import type { Notification } from "../generated/sqlite/client.js";
import { viewerOf } from "../context.js";
import { LIMITS } from "../limits.js";
import { builder } from "./builder.js";
import { afterTimeCursor, connectionRef, decodeCursor, forwardPage, isActivityCursor, timeCursor } from "./connection.js";
import { MessageRef, RoomRef } from "./refs.js";
import { pageSizeArg } from "./validate.js";

export const NotificationTypeEnum = builder.enumType("NotificationType", {
  description: "Why a notification was created.",
  values: {
    NEW_MESSAGE: { description: "A message was posted in one of the viewer's rooms." },
    REPLY: { description: "A reply was posted in one of the viewer's rooms." },
    REACTION: { description: "Someone reacted to the viewer's message." },
  } as const,
});

const NotificationRef = builder.objectRef<Notification>("Notification").implement({
  description: "A pending notification of the viewer; acknowledgeDelivery or deleting its message clears it.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The notification's id." }),
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
      const rows = await context.db.notification.findMany({
        where: {
          userId,
          message: { isDeleted: false },
          // A former member must not read the messages of a room through old notifications.
          room: { members: { some: { userId } } },
          ...afterTimeCursor(after, "createdAt", "id", "desc"),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: first + 1,
      });
      return forwardPage(rows, first, (row) => timeCursor(row.createdAt, row.id), after !== null);
    },
  }),
);
