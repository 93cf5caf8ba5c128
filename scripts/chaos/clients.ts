// The clients of `npm run chaos`, and what each saw.
//   Subscriber: a graphql-ws connection (the protocol spoken directly over `ws`) with one room
//     subscription, `roomEvents` or `messageAdded`. Whenever its socket closes it reconnects (to the
//     next instance, as a client behind a load balancer would) and resumes with afterSeq = the last
//     seq it has. It counts what it receives: duplicates (a seq or a message content seen before)
//     and reorderings (a seq lower than the last).
//   Sender: writes a message at a steady pace into its outbox, and sends the outbox over HTTP one
//     message at a time with a clientMsgId each, retrying a send that got no answer (on the next
//     instance) with the same clientMsgId until it is acknowledged.
import WebSocket from "ws";
import { signJwt } from "../bench/load/clients.js";

const ROOM_EVENTS =
  "subscription($r: ID!, $a: Int) { roomEvents(roomId: $r, afterSeq: $a) { kind " +
  "... on MessageAddedEvent { message { seq content } } ... on RoomResetEvent { latestSeq } } }";
const MESSAGE_ADDED = "subscription($r: ID!, $a: Int) { messageAdded(roomId: $r, afterSeq: $a) { seq content } }";
const SEND = "mutation($i: SendMessageInput!) { sendMessage(input: $i) { seq } }";

export type SubscriptionField = "roomEvents" | "messageAdded";

export class Tokens {
  private readonly tokens = new Map<string, string>();
  constructor(private readonly secret: string) {}
  for(user: string): string {
    let token = this.tokens.get(user);
    if (!token) this.tokens.set(user, (token = signJwt(this.secret, user)));
    return token;
  }
}

interface GraphQLResponse {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export async function post(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  try {
    return JSON.parse(text) as GraphQLResponse;
  } catch {
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
}

function countInto(counts: Map<string, number>, kind: string): void {
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
}

export class Subscriber {
  /** Seqs received, each once. */
  readonly delivered = new Set<number>();
  private readonly contents = new Set<string>();
  lastSeq = 0;
  duplicated = 0;
  outOfOrder = 0;
  resets = 0;
  connects = 0;
  errors = new Map<string, number>();
  private socket: WebSocket | null = null;
  private running = false;
  private nextInstance: number;

  constructor(
    readonly user: string,
    readonly room: string,
    readonly field: SubscriptionField,
    private readonly urls: () => string[],
    private readonly token: string,
    firstInstance: number,
  ) {
    this.nextInstance = firstInstance;
  }

  /** Connects and subscribes; resolves once the first connection is acknowledged (or failed). */
  start(): Promise<void> {
    this.running = true;
    return this.connect();
  }

  private count(kind: string): void {
    countInto(this.errors, kind);
  }

  private connect(): Promise<void> {
    const urls = this.urls();
    const url = urls[this.nextInstance++ % urls.length]!.replace(/^http/, "ws");
    const socket = new WebSocket(url, "graphql-transport-ws", { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.socket = socket;
    return new Promise<void>((settled) => {
      socket.on("open", () => {
        socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${this.token}` } }));
      });
      socket.on("message", (data) => {
        const message = JSON.parse(String(data));
        if (message.type === "connection_ack") {
          this.connects += 1;
          const query = this.field === "roomEvents" ? ROOM_EVENTS : MESSAGE_ADDED;
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables: { r: this.room, a: this.lastSeq } } }));
          settled();
        } else if (message.type === "ping") socket.send('{"type":"pong"}');
        else if (message.type === "next") this.receive(message.payload);
        else if (message.type === "error") {
          this.count(`subscribe error ${JSON.stringify(message.payload).slice(0, 80)}`);
          socket.close();
        } else if (message.type === "complete") socket.close();
      });
      socket.on("error", () => {});
      socket.on("close", (code) => {
        settled();
        if (this.socket !== socket) return;
        this.socket = null;
        if (code !== 1000 && code !== 1001 && code !== 1006) this.count(`close ${code}`);
        // Reconnect at once after a server said it is going away (1001: another instance may be
        // up); after anything else a moment later, with jitter, so that a thousand clients do not
        // retry in lockstep while a dependency is down.
        if (this.running) setTimeout(() => this.running && void this.connect(), code === 1001 ? 0 : 100 + Math.random() * 400);
      });
    });
  }

  private receive(payload: GraphQLResponse): void {
    if (payload.errors?.length) {
      const code = payload.errors[0]!.extensions?.code ?? "error";
      if (code === "RESYNC_REQUIRED") this.resets += 1;
      else this.count(`result error ${code}`);
      return;
    }
    const data = payload.data ?? {};
    const event = this.field === "roomEvents" ? data.roomEvents : { message: data.messageAdded };
    if (event?.latestSeq !== undefined) {
      // A reset: more were missed than the server replays. Counted, and resumed from there.
      this.resets += 1;
      this.lastSeq = Math.max(this.lastSeq, event.latestSeq);
      return;
    }
    const message = event?.message as { seq: number; content: string } | undefined;
    if (!message) return;
    if (this.delivered.has(message.seq) || this.contents.has(message.content)) {
      this.duplicated += 1;
      return;
    }
    if (message.seq < this.lastSeq) this.outOfOrder += 1;
    this.delivered.add(message.seq);
    this.contents.add(message.content);
    this.lastSeq = Math.max(this.lastSeq, message.seq);
  }

  /** Drops the connection as a network fault would (no close handshake); it reconnects. */
  drop(): void {
    this.socket?.terminate();
  }

  stop(): void {
    this.running = false;
    this.socket?.terminate();
    this.socket = null;
  }
}

export class Sender {
  sent = 0;
  acknowledged = 0;
  retries = 0;
  failedFinally = 0;
  /** seq → content of every acknowledged send. */
  readonly acks = new Map<number, string>();
  errors = new Map<string, number>();
  /** Messages written but not acknowledged yet, sent one at a time in order (as a chat app's
   * outbox does): during an outage they wait here instead of piling up as requests. */
  private readonly outbox: Array<{ clientMsgId: string; content: string }> = [];
  private draining: Promise<void> | null = null;
  private nextInstance: number;
  private timer: NodeJS.Timeout | null = null;
  private giveUpAt = Infinity;

  constructor(
    readonly user: string,
    readonly room: string,
    private readonly urls: () => string[],
    private readonly token: string,
    firstInstance: number,
  ) {
    this.nextInstance = firstInstance;
  }

  /** Writes one message every `intervalMs`. */
  start(intervalMs: number): void {
    // Spread the senders' first sends over one interval.
    this.timer = setTimeout(() => {
      this.timer = setInterval(() => this.write(), intervalMs);
      this.write();
    }, Math.random() * intervalMs);
  }

  private count(kind: string): void {
    countInto(this.errors, kind);
  }

  private write(): void {
    const n = ++this.sent;
    const clientMsgId = `${this.user}-${n}`;
    this.outbox.push({ clientMsgId, content: `${clientMsgId} ${Date.now()}` });
    this.draining ??= this.drain().finally(() => (this.draining = null));
  }

  private async drain(): Promise<void> {
    for (let next = this.outbox[0]; next; next = this.outbox[0]) {
      await this.deliver(next.clientMsgId, next.content);
      this.outbox.shift();
    }
  }

  /** Sends until acknowledged (the same clientMsgId each time, on the next instance), or until
   * the sender gives up after stop(). */
  private async deliver(clientMsgId: string, content: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > this.giveUpAt) {
        this.failedFinally += 1;
        return;
      }
      const urls = this.urls();
      const url = urls[this.nextInstance++ % urls.length]!;
      try {
        const result = await post(url, this.token, SEND, { i: { roomId: this.room, content, clientMsgId } });
        const seq = result.data?.sendMessage?.seq as number | undefined;
        if (seq !== undefined) {
          this.acknowledged += 1;
          const earlier = this.acks.get(seq);
          if (earlier !== undefined && earlier !== content) this.count("two messages acknowledged with one seq");
          this.acks.set(seq, content);
          return;
        }
        this.count(`error ${result.errors?.[0]?.extensions?.code ?? "no data"}`);
      } catch (error) {
        this.count(`transport ${(error as Error).name === "TimeoutError" ? "timeout" : "failure"}`);
      }
      this.retries += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
    }
  }

  /** Stops writing new messages; resolves when the outbox is sent (or given up after `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.giveUpAt = Date.now() + graceMs;
    while (this.draining) await this.draining;
  }
}
