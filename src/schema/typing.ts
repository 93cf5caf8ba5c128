// setTyping: an ephemeral event for whoever may send in the room. Never stored.
import { viewerOf } from "../context.js";
import { RateLimitedError } from "../errors.js";
import { LIMITS } from "../limits.js";
import { RateLimiter } from "../rate-limit.js";
import { builder } from "./builder.js";

// Per process: a user typing in a room is announced at most once per interval per instance.
const typingLimiter = new RateLimiter(1, LIMITS.typingIntervalMs);

builder.mutationField("setTyping", (t) =>
  t.boolean({
    description: `Tells the room's other members that the viewer is typing. At most one per ${LIMITS.typingIntervalMs} ms per room.`,
    args: { roomId: t.arg.id({ required: true }) },
    authScopes: (_root, args) => ({ canSendTo: String(args.roomId) }),
    resolve: async (_root, args, context) => {
      const [, room] = await context.gate.send(String(args.roomId));
      const viewerId = viewerOf(context).id;
      const wait = typingLimiter.take(`${room.id}:${viewerId}`);
      if (wait > 0) throw new RateLimitedError("Typing is announced at most once a second.", wait);
      context.realtime.publishRoom({ kind: "TYPING", roomId: room.id, userId: viewerId });
      return true;
    },
  }),
);
