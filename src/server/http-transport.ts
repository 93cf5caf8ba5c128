// The transport of one HTTP request (queries, mutations, SSE subscriptions): what a subscription
// streamed over SSE may do to its response.
import type { ServerResponse } from "node:http";
import type { Transport } from "../context.js";

/** How long a slow SSE consumer has to read what was sent before it is disconnected: as long as
 * ws waits for a WebSocket's close handshake. */
const SLOW_CONSUMER_GRACE_MS = 30_000;

export class HttpTransport implements Transport {
  /** An SSE subscription keeps its request open as long as it streams. */
  readonly subscriptionsAreConnections = true;

  constructor(
    /** Node's response under Yoga's; absent when Yoga runs without a Node server. */
    private readonly response: ServerResponse | undefined,
    readonly credentialsExpireAt: Date | undefined,
  ) {}

  /** The subscription has already failed (its queue dropped what it held, RESYNC_REQUIRED): that
   * error and the end of the stream follow what the client has not read yet. A client that does
   * not read them within the grace period is disconnected instead of held open for ever. */
  disconnectSlowConsumer(): void {
    const response = this.response;
    if (!response || response.writableFinished) return;
    const cutOff = setTimeout(() => response.destroy(), SLOW_CONSUMER_GRACE_MS);
    cutOff.unref();
    response.once("close", () => clearTimeout(cutOff));
  }
}
