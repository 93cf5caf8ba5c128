// setTyping: an ephemeral event for whoever may send in the room. Never stored.
import { viewerOf } from "../context.js";
import { LIMITS } from "../limits.js";
import { builder } from "./builder.js";

builder.mutationField("setTyping", (t) =>
  t.boolean({
    description: `Tells the room's other members that the viewer is typing. At most one per ${LIMITS.typingIntervalMs} ms per room.`,
    args: { roomId: t.arg.id({ required: true, description: "The room the viewer is typing in." }) },
    authScopes: (_root, args) => ({ canSendTo: String(args.roomId) }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.send(String(args.roomId));
      const viewerId = viewerOf(context).id;
      context.realtime.publishRoom({ kind: "TYPING", roomId: room.id, userId: viewerId });
      return true;
    },
  }),
);
