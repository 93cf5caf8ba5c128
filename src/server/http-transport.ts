// The transport of one HTTP request (queries, mutations, SSE subscriptions): what a subscription
// streamed over SSE may do to its response.
import type { ServerResponse } from "node:http";
import type { Transport } from "../context.js";

export class HttpTransport implements Transport {
  constructor(
    /** Node's response under Yoga's; absent when Yoga runs without a Node server. */
    private readonly response: ServerResponse | undefined,
    readonly credentialsExpireAt: Date | undefined,
  ) {}

  disconnectSlowConsumer(): void {}
}
