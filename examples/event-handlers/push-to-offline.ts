// Push notifications for the members who would not see a message otherwise: on each message,
// every recipient who is not online gets one push (the sender never does). Online recipients
// already received it through their subscriptions.
//
// Register it, compiled to JavaScript (the server loads the module with plain Node), with
// EVENT_HANDLER="./dist/push-to-offline.js#PushToOffline"; a real application passes its push service (APNs, FCM, Web Push...) in a subclass's constructor.
import { ChatEventHandler, type ChatEventHandlerServices, type MessageSentEvent } from "realtime-chat-graphql";

export interface PushNotification {
  userId: string;
  title: string;
  body: string;
  /** What the app opens when the push is tapped. */
  data: { roomId: string; messageId: string };
}

export interface PushService {
  send(push: PushNotification): Promise<void>;
}

/** Records what it was asked to push instead of pushing: for tests and trying things out. */
export class FakePushService implements PushService {
  readonly sent: PushNotification[] = [];

  async send(push: PushNotification): Promise<void> {
    this.sent.push(push);
  }
}

/** Longest body shown in a push, in characters. */
const BODY_LENGTH = 120;

/** The text of sanitised HTML content, shortened for a push. */
function preview(event: MessageSentEvent): string {
  const text = event.message.content
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return event.message.attachments.length > 0 ? "Sent an attachment" : "New message";
  return text.length > BODY_LENGTH ? `${text.slice(0, BODY_LENGTH - 1)}…` : text;
}

export class PushToOffline extends ChatEventHandler {
  constructor(
    services: ChatEventHandlerServices,
    private readonly push: PushService = new FakePushService(),
  ) {
    super(services);
  }

  override async onMessageSent(event: MessageSentEvent): Promise<void> {
    const { message, room, recipients } = event;
    const title = room.name ?? "New message";
    const body = preview(event);
    const offline = recipients.filter((recipient) => !recipient.online);
    // One failed push must not cost the others theirs; each failure is logged with the event id.
    const results = await Promise.allSettled(
      offline.map(({ userId }) => this.push.send({ userId, title, body, data: { roomId: room.id, messageId: message.id } })),
    );
    results.forEach((result, index) => {
      if (result.status === "rejected") {
        this.log.error({ err: result.reason, eventId: event.id, userId: offline[index]!.userId }, "push failed");
      }
    });
  }
}

export default PushToOffline;
