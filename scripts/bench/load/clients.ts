// The load generator's side of each system under test, behind one interface, so a scenario is
// written once. Each member is its own connection, as a separate device would be.
//   project:  sendMessage as an HTTP POST over keep-alive connections, or (sendOver "ws") as a
//             mutation on the member's graphql-ws connection; graphql-ws subscriptions (the
//             protocol spoken directly over `ws`: connection_init, subscribe, next, complete).
//   socketio: socket.io-client over WebSocket only; "send" with an acknowledgement.
//   ws:       a plain WebSocket; JSON in, an {ack, seq} frame back.
import { createHmac } from "node:crypto";
import { Agent, request } from "node:http";
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import type { SendTransport, SystemName } from "../spec.js";

/** A subscriber's view of one delivered message. */
export type OnDelivery = (room: string, seq: number, content: string) => void;

export interface Member {
  /** Sends a message to a room the member is in; resolves with its seq once acknowledged. */
  send(room: string, content: string): Promise<number>;
  close(): void;
}

export interface SystemClient {
  readonly system: SystemName;
  /** Makes the users known to the server (the project creates users on their first request). */
  signIn(users: string[]): Promise<void>;
  createPair(a: string, b: string): Promise<string>;
  createGroup(members: string[]): Promise<string>;
  /** Opens a connection for `user`, subscribed to `rooms`; deliveries go to onDelivery. */
  connectMember(user: string, rooms: string[], onDelivery: OnDelivery, onClose: () => void): Promise<Member>;
  /** Opens an idle connection for `user` with one per-user subscription (project: viewerEvents). */
  connectIdle(user: string, onClose: () => void): Promise<{ close(): void }>;
  /** Checks, before the run, that the server speaks its protocol to its official client. */
  verify?(): Promise<void>;
  close(): void;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** An HS256 JWT with the claims signToken (src/auth/authenticate.ts) writes, signed here with
 * node:crypto so that minting 10,000 of them costs the load generator next to nothing. */
export function signJwt(secret: string, sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ name: sub, staff: false, sub, iat: now, exp: now + 24 * 3600 }));
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

async function inBatches<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  });
  await Promise.all(lanes);
}

function waitOpen(socket: WebSocket, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("WebSocket did not open in time")), timeoutMs);
    socket.once("open", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The project

const SEND = "mutation($i: SendMessageInput!) { sendMessage(input: $i) { id seq } }";
/** The fields the baselines put in their message payload: id, seq, content, time, sender. */
const MESSAGE_ADDED = "subscription($r: ID!) { messageAdded(roomId: $r) { id seq content createdAt sender { id } } }";
const VIEWER_EVENTS = "subscription { viewerEvents { kind roomId } }";

interface GraphQLResponse {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

class ProjectClient implements SystemClient {
  private readonly tokens = new Map<string, string>();
  private readonly http: URL;
  private readonly wsUrl: string;
  // Keep-alive connections, as many as there are concurrent senders.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, scheduling: "fifo" });

  constructor(
    url: string,
    private readonly secret: string,
    private readonly sendOver: SendTransport,
    readonly system: "project" | "graphql" = "project",
  ) {
    this.http = new URL(url);
    this.wsUrl = url.replace(/^http/, "ws");
  }

  private token(user: string): string {
    let token = this.tokens.get(user);
    if (!token) this.tokens.set(user, (token = signJwt(this.secret, user)));
    return token;
  }

  private post(user: string, query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
    const body = JSON.stringify({ query, variables });
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.http.hostname,
          port: this.http.port,
          path: this.http.pathname,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            authorization: `Bearer ${this.token(user)}`,
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString()) as GraphQLResponse);
            } catch (error) {
              reject(new Error(`HTTP ${res.statusCode}: ${(error as Error).message}`));
            }
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", reject);
      req.end(body);
    });
  }

  private async ok(user: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const result = await this.post(user, query, variables);
    if (result.errors?.length || !result.data) throw new Error(`${user}: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  async signIn(users: string[]): Promise<void> {
    await inBatches(users, 8, async (user) => void (await this.ok(user, "{ viewer { id } }")));
  }

  async createPair(a: string, b: string): Promise<string> {
    const data = await this.ok(a, "mutation($u: ID!) { createOneToOneChat(userId: $u) { id } }", { u: b });
    return data.createOneToOneChat.id as string;
  }

  async createGroup(members: string[]): Promise<string> {
    const [creator, ...others] = members;
    const data = await this.ok(creator!, "mutation($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }", {
      i: { name: "bench fan-out", participantIds: others, maxParticipants: Math.max(100, members.length) },
    });
    return data.createGroupChat.id as string;
  }

  /** A graphql-ws connection: resolves once the server acknowledged connection_init. */
  private async connect(user: string, onMessage: (message: any) => void, onClose: () => void): Promise<WebSocket> {
    const socket = new WebSocket(this.wsUrl, "graphql-transport-ws", { perMessageDeflate: false });
    await waitOpen(socket);
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no connection_ack in time")), 60_000);
      socket.once("close", (code, reason) => {
        clearTimeout(timer);
        reject(new Error(`closed ${code} ${reason}`));
      });
      socket.on("message", (data) => {
        const message = JSON.parse(String(data));
        if (message.type === "connection_ack") {
          clearTimeout(timer);
          resolve();
        } else if (message.type === "ping") socket.send('{"type":"pong"}');
        else onMessage(message);
      });
    });
    socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${this.token(user)}` } }));
    await acked;
    socket.on("close", onClose);
    return socket;
  }

  async connectMember(user: string, rooms: string[], onDelivery: OnDelivery, onClose: () => void): Promise<Member> {
    // Sends over the socket: operation ids "s<n>", answered by one "next" and a "complete".
    const pending = new Map<string, { resolve(seq: number): void; reject(error: Error): void }>();
    let nextSend = 0;
    const socket = await this.connect(
      user,
      (message) => {
        const sending = pending.get(message.id);
        if (sending) {
          if (message.type === "complete") return;
          pending.delete(message.id);
          const seq = message.payload?.data?.sendMessage?.seq;
          if (message.type === "next" && typeof seq === "number") sending.resolve(seq);
          else sending.reject(new Error(JSON.stringify(message.payload)));
        } else if (String(message.id).startsWith("s") && message.type === "complete") {
          // The completion after a send's result.
        } else if (message.type === "next") {
          const added = message.payload?.data?.messageAdded;
          if (added) onDelivery(rooms[Number(message.id)]!, added.seq, added.content);
          else console.error(`bench: ${user} got ${JSON.stringify(message.payload)}`);
        } else if (message.type === "error" || message.type === "complete") {
          console.error(`bench: subscription of ${user} ended: ${JSON.stringify(message)}`);
        }
      },
      onClose,
    );
    rooms.forEach((room, index) =>
      socket.send(JSON.stringify({ type: "subscribe", id: String(index), payload: { query: MESSAGE_ADDED, variables: { r: room } } })),
    );
    socket.on("close", () => {
      for (const sending of pending.values()) sending.reject(new Error("connection closed"));
      pending.clear();
    });
    return {
      send: async (room, content) => {
        if (this.sendOver === "ws") {
          const id = `s${nextSend++}`;
          const answered = new Promise<number>((resolve, reject) => pending.set(id, { resolve, reject }));
          socket.send(JSON.stringify({ type: "subscribe", id, payload: { query: SEND, variables: { i: { roomId: room, content } } } }));
          return answered;
        }
        const result = await this.post(user, SEND, { i: { roomId: room, content } });
        const seq = result.data?.sendMessage?.seq;
        if (typeof seq !== "number") throw new Error(JSON.stringify(result.errors ?? result));
        return seq;
      },
      close: () => socket.close(),
    };
  }

  async connectIdle(user: string, onClose: () => void): Promise<{ close(): void }> {
    const socket = await this.connect(user, () => {}, onClose);
    socket.send(JSON.stringify({ type: "subscribe", id: "v", payload: { query: VIEWER_EVENTS } }));
    return { close: () => socket.close() };
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Socket.IO + better-sqlite3
//
// The members speak the Socket.IO wire protocol (Engine.IO 4 over WebSocket, Socket.IO 5 packets)
// directly over `ws`: the server does exactly the same work as for socket.io-client, while the
// load generator spends about half the CPU per message, so it is not what limits the baseline on
// two cores. Before each run the official socket.io-client sends one message through the same
// server (verify), so this stays a real Socket.IO server speaking to real clients.

interface SocketIoMessage {
  room: string;
  seq: number;
  content: string;
}

/** One Socket.IO connection to the default namespace, over a plain WebSocket. */
class SocketIoWire {
  private nextAck = 0;
  private readonly acks = new Map<number, { resolve: (args: unknown[]) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {}

  static async connect(url: string, auth: Record<string, unknown>, onEvent: (name: string, data: any) => void, onClose: () => void) {
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    const wire = new SocketIoWire(socket);
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Socket.IO connect timed out")), 60_000);
      socket.on("message", (data) => {
        const text = String(data);
        switch (text[0]) {
          case "0": // Engine.IO open: join the default namespace with our auth payload.
            socket.send(`40${JSON.stringify(auth)}`);
            return;
          case "2": // Engine.IO ping from the server.
            socket.send("3");
            return;
          case "4":
            break;
          default:
            return;
        }
        const type = text[1];
        if (type === "0") {
          clearTimeout(timer);
          resolve();
        } else if (type === "4") {
          clearTimeout(timer);
          reject(new Error(`Socket.IO connect refused: ${text.slice(2)}`));
        } else if (type === "2") {
          const [name, payload] = JSON.parse(text.slice(2)) as [string, unknown];
          onEvent(name, payload);
        } else if (type === "3") {
          const bracket = text.indexOf("[");
          const id = Number(text.slice(2, bracket));
          const waiter = wire.acks.get(id);
          wire.acks.delete(id);
          waiter?.resolve(JSON.parse(text.slice(bracket)) as unknown[]);
        } else if (type === "1") {
          socket.close();
        }
      });
      socket.once("error", reject);
    });
    await waitOpen(socket);
    await connected;
    socket.on("close", () => {
      for (const waiter of wire.acks.values()) waiter.reject(new Error("connection closed"));
      wire.acks.clear();
      onClose();
    });
    return wire;
  }

  /** Emits an event with an acknowledgement; resolves with the ack's first argument. */
  emitWithAck(name: string, data: unknown): Promise<unknown> {
    const id = this.nextAck++;
    return new Promise((resolve, reject) => {
      this.acks.set(id, { resolve: (args) => resolve(args[0]), reject });
      this.socket.send(`42${id}${JSON.stringify([name, data])}`);
    });
  }

  close(): void {
    this.socket.close();
  }
}

class SocketIoClient implements SystemClient {
  readonly system = "socketio" as const;
  private rooms = 0;

  constructor(private readonly url: string) {}

  async signIn(): Promise<void> {}

  async createPair(): Promise<string> {
    return `room-${++this.rooms}`;
  }

  async createGroup(): Promise<string> {
    return `room-${++this.rooms}`;
  }

  /** One message through the official socket.io-client: the server must deliver it and ack it. */
  async verify(): Promise<void> {
    const socket: Socket = io(this.url, {
      transports: ["websocket"],
      auth: { user: "verify", rooms: ["verify-room"] },
      forceNew: true,
      reconnection: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      });
      const delivered = new Promise<SocketIoMessage>((resolve) => socket.once("message", resolve));
      const ack = (await socket.timeout(10_000).emitWithAck("send", { room: "verify-room", content: "hello" })) as { seq?: number };
      const message = await delivered;
      if (ack.seq !== 1 || message.seq !== 1 || message.content !== "hello") {
        throw new Error(`unexpected answer ${JSON.stringify({ ack, message })}`);
      }
    } finally {
      socket.disconnect();
    }
  }

  async connectMember(user: string, rooms: string[], onDelivery: OnDelivery, onClose: () => void): Promise<Member> {
    const wire = await SocketIoWire.connect(
      this.url,
      { user, rooms },
      (name, message: SocketIoMessage) => {
        if (name === "message") onDelivery(message.room, message.seq, message.content);
      },
      onClose,
    );
    return {
      send: async (room, content) => {
        const ack = (await wire.emitWithAck("send", { room, content })) as { seq?: number; error?: string };
        if (typeof ack?.seq !== "number") throw new Error(ack?.error ?? "no seq");
        return ack.seq;
      },
      close: () => wire.close(),
    };
  }

  async connectIdle(user: string, onClose: () => void): Promise<{ close(): void }> {
    return SocketIoWire.connect(this.url, { user, rooms: [] }, () => {}, onClose);
  }

  close(): void {}
}

// ---------------------------------------------------------------------------------------------
// Bare ws

class BareWsClient implements SystemClient {
  readonly system = "ws" as const;
  private rooms = 0;

  constructor(private readonly url: string) {}

  async signIn(): Promise<void> {}

  async createPair(): Promise<string> {
    return `room-${++this.rooms}`;
  }

  async createGroup(): Promise<string> {
    return `room-${++this.rooms}`;
  }

  private async open(user: string, rooms: string[], onMessage: (message: any) => void, onClose: () => void): Promise<WebSocket> {
    const query = new URLSearchParams({ user, rooms: rooms.join(",") });
    const socket = new WebSocket(`${this.url}/?${query}`, { perMessageDeflate: false });
    await waitOpen(socket);
    socket.on("message", (data) => onMessage(JSON.parse(String(data))));
    socket.on("close", onClose);
    return socket;
  }

  async connectMember(user: string, rooms: string[], onDelivery: OnDelivery, onClose: () => void): Promise<Member> {
    let nextId = 0;
    const pending = new Map<number, { resolve: (seq: number) => void; reject: (error: Error) => void }>();
    const socket = await this.open(
      user,
      rooms,
      (message) => {
        if (message.ack !== undefined) {
          const waiter = pending.get(message.ack);
          pending.delete(message.ack);
          if (typeof message.seq === "number") waiter?.resolve(message.seq);
          else waiter?.reject(new Error(message.error ?? "no seq"));
        } else onDelivery(message.room, message.seq, message.content);
      },
      () => {
        for (const waiter of pending.values()) waiter.reject(new Error("connection closed"));
        pending.clear();
        onClose();
      },
    );
    return {
      send: (room, content) =>
        new Promise<number>((resolve, reject) => {
          const id = ++nextId;
          pending.set(id, { resolve, reject });
          socket.send(JSON.stringify({ id, room, content }));
        }),
      close: () => socket.close(),
    };
  }

  async connectIdle(user: string, onClose: () => void): Promise<{ close(): void }> {
    const socket = await this.open(user, [], () => {}, onClose);
    return { close: () => socket.close() };
  }

  close(): void {}
}

export function createSystemClient(system: SystemName, url: string, secret: string, sendOver: SendTransport): SystemClient {
  if (system === "project") return new ProjectClient(url, secret, sendOver);
  if (system === "socketio") return new SocketIoClient(url);
  // The bare GraphQL server answers the project's own documents; it is sent to over its socket,
  // as Socket.IO is.
  if (system === "graphql") return new ProjectClient(url, secret, "ws", "graphql");
  return new BareWsClient(url);
}

export { inBatches };
