// Posts every event to a URL as JSON, signed so the receiver can tell it came from this server.
//
// Register it, compiled to JavaScript (the server loads the module with plain Node), with
// EVENT_HANDLER="./dist/webhook-sender.js#WebhookSender", and set CHAT_WEBHOOK_URL and
// CHAT_WEBHOOK_SECRET (or subclass it and pass the options).
//
// Each POST carries:
//   X-Chat-Event:      the method (onMessageSent, ...)
//   X-Chat-Event-Id:   the event id: the same on every retry, so a receiver drops duplicates by it
//   X-Chat-Timestamp:  seconds since 1970 when this attempt was signed
//   X-Chat-Signature:  "sha256=" + hex HMAC-SHA256(secret, `${timestamp}.${body}`)
// A receiver recomputes the HMAC over the raw body (verifyWebhookSignature below), compares in
// constant time, and refuses a timestamp older than a few minutes, so a captured request cannot be
// replayed later.
//
// The handler's methods only start a delivery: retries wait seconds, and the server gives each
// handler call EVENT_HANDLER_TIMEOUT_MS. Deliveries in flight are bounded; past the bound new
// events are dropped, counted and logged.
import { createHmac, timingSafeEqual } from "node:crypto";
import {
  ChatEventHandler,
  type ChatEventBase,
  type ChatEventHandlerServices,
  type ChatEventMethod,
  type MembersChangedEvent,
  type MessageSentEvent,
  type NotificationCreatedEvent,
  type RoomCreatedEvent,
  type RoomDeletedEvent,
} from "realtime-chat-graphql";

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Tries per event, the first included. @default 5 */
  maxAttempts?: number;
  /** Back-off before the second try; doubles each time, with full jitter. @default 500 */
  baseDelayMs?: number;
  /** Longest wait between two tries. @default 30000 */
  maxDelayMs?: number;
  /** Deliveries (with their retries) at once; more are dropped. @default 100 */
  maxInFlight?: number;
  /** Longest one POST may take. @default 10000 */
  requestTimeoutMs?: number;
}

export function webhookOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookOptions {
  const url = env.CHAT_WEBHOOK_URL;
  const secret = env.CHAT_WEBHOOK_SECRET;
  if (!url || !secret) throw new Error("WebhookSender needs CHAT_WEBHOOK_URL and CHAT_WEBHOOK_SECRET");
  return { url, secret };
}

/** The signature of one attempt: what the X-Chat-Signature header holds. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** A receiver's check: the signature matches the raw body, and the timestamp is recent. */
export function verifyWebhookSignature(input: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): boolean {
  const timestamp = Number(input.timestamp);
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(input.secret, timestamp, input.body));
  const given = Buffer.from(input.signature ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Worth trying again: the network failed, the receiver is overloaded or broken. */
class Retryable extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WebhookSender extends ChatEventHandler {
  private readonly options: Required<WebhookOptions>;
  private inFlight = 0;
  /** Events dropped because maxInFlight deliveries were under way. */
  dropped = 0;
  /** Events given up on after maxAttempts or a refusal (4xx). */
  failed = 0;

  constructor(services: ChatEventHandlerServices, options: WebhookOptions = webhookOptionsFromEnv()) {
    super(services);
    this.options = {
      maxAttempts: 5,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      maxInFlight: 100,
      requestTimeoutMs: 10_000,
      ...options,
    };
  }

  override async onMessageSent(event: MessageSentEvent): Promise<void> {
    this.deliver("onMessageSent", event);
  }

  override async onNotificationCreated(event: NotificationCreatedEvent): Promise<void> {
    this.deliver("onNotificationCreated", event);
  }

  override async onMembersChanged(event: MembersChangedEvent): Promise<void> {
    this.deliver("onMembersChanged", event);
  }

  override async onRoomCreated(event: RoomCreatedEvent): Promise<void> {
    this.deliver("onRoomCreated", event);
  }

  override async onRoomDeleted(event: RoomDeletedEvent): Promise<void> {
    this.deliver("onRoomDeleted", event);
  }

  /** Starts a delivery without waiting for it (see the top of the file). */
  private deliver(method: ChatEventMethod, event: ChatEventBase): void {
    if (this.inFlight >= this.options.maxInFlight) {
      this.dropped++;
      this.log.warn({ eventId: event.id, method, dropped: this.dropped }, "webhook: too many deliveries in flight, event dropped");
      return;
    }
    this.inFlight++;
    void this.deliverWithRetries(method, event).finally(() => this.inFlight--);
  }

  private async deliverWithRetries(method: ChatEventMethod, event: ChatEventBase): Promise<void> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.options;
    const body = JSON.stringify({ type: method, event });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.post(method, event.id, body);
        return;
      } catch (error) {
        if (!(error instanceof Retryable) || attempt >= maxAttempts) {
          this.failed++;
          this.log.error({ err: error, eventId: event.id, method, attempt }, "webhook: delivery failed, giving up");
          return;
        }
        // Exponential back-off with full jitter: retries of many events spread out instead of
        // hitting a recovering receiver together.
        await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  private async post(method: ChatEventMethod, eventId: string, body: string): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-chat-event": method,
          "x-chat-event-id": eventId,
          "x-chat-timestamp": String(timestamp),
          "x-chat-signature": signWebhook(this.options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
    } catch (error) {
      throw new Retryable(`webhook: ${(error as Error).message}`);
    }
    // The body is not needed; reading it lets the connection be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 500 || response.status === 429) throw new Retryable(`webhook: receiver answered ${response.status}`);
    if (!response.ok) throw new Error(`webhook: receiver refused with ${response.status}`);
  }
}

export default WebhookSender;
