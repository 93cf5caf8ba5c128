// Our adapter between `ws` sockets and graphql-ws's protocol core (makeServer), in place of
// graphql-ws/use/ws, so that we control what a connection costs and how frames are written:
// - send writes without waiting for the write callback (a client that stops reading is caught by
//   bufferedAmount in onNext, or by the keep-alive ping it does not answer, and closed with
//   4509), and splices shared payloads in (shared-frames);
// - nothing of the HTTP upgrade request is kept, the socket listeners are shared functions, and
//   the open sockets are tracked here (ws's clientTracking adds a closure per socket);
// - one keep-alive timer for all sockets (keep-alive.ts), and per connection only plain timers
//   that call shared functions (no closures, nothing kept once they are done): the wait for
//   connection_init, which graphql-ws would keep for the connection's whole life, and the token's
//   expiry;
// - frames written to one socket in the same turn of the event loop leave in one system call
//   (WriteBatches);
// - errors from ws and graphql-ws go to our logger as JSON lines (never to the console), and the
//   client learns no details (1011).
import { CloseCode as ProtocolCloseCode, handleProtocols, type Server, type WebSocket as ProtocolSocket } from "graphql-ws";
import type { Socket } from "node:net";
import type { RawData, WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../logger.js";
import { deadlineAt, type Deadline } from "./deadline.js";
import { startKeepAlive } from "./keep-alive.js";
import type { SharedFrames } from "./shared-frames.js";

/** graphql-ws's code for a failure of ours: the client may retry. */
const INTERNAL_ERROR = 1011;

/** What the hooks may do to the connection they serve. */
export interface WsConnection {
  /** Bytes queued for the client and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Closes the socket; its operations end once the client answered (or the socket dropped). */
  close(code: number, reason: string): void;
  /** Closes the socket with `code` and ends its operations now, not after the close handshake:
   * the client receives nothing more either way. */
  disconnect(code: number, reason: string): void;
  /** disconnect() at `at`, unless the connection ended before. */
  disconnectAt(at: Date, code: number, reason: string): void;
  /** Writes a frame we built ourselves (not graphql-ws); false when the socket is not open. */
  sendFrame(frame: string): boolean;
}

export interface WsAdapterOptions<Extra> {
  log: Logger;
  frames: SharedFrames;
  /** A connection that sent no connection_init this long after opening is closed with 4408, as
   * graphql-ws does (make its server with connectionInitWaitTimeout: 0, so that it does not). */
  connectionInitWaitMs: number;
  /** Milliseconds between keep-alive pings. */
  keepAliveMs: number;
  /** A connection that did not answer a keep-alive ping by the next one. */
  unanswered(connection: WsConnection): void;
  /** The per-connection state graphql-ws hands to every hook as ctx.extra. */
  extra(connection: WsConnection): Extra;
}

type Closed = (code?: number, reason?: string) => Promise<void>;

/** Holds each socket's writes until the end of the current turn, then writes them together: a
 * mutation's result and its completion, or the events a group commit delivered to one subscriber,
 * become one writev instead of one each. Socket writes are system calls, and on this kind of VM
 * they cost more than everything else a small delivery does. */
class WriteBatches {
  private readonly held = new Set<Socket>();
  private scheduled = false;

  hold(socket: Socket): void {
    if (this.held.has(socket)) return;
    socket.cork();
    this.held.add(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
  }

  private readonly release = () => {
    this.scheduled = false;
    for (const socket of this.held) socket.uncork();
    this.held.clear();
  };
}

/** The TCP socket under a ws WebSocket (ws keeps it as `_socket`; absent once closed). */
const tcpSocketOf = (socket: WebSocket) => (socket as unknown as { _socket?: Socket | null })._socket ?? null;

/** The connection_init wait ran out (setTimeout's argument: no closure per connection). */
function initWaitOver(connection: ProtocolConnection): void {
  connection.initWait = null;
  connection.close(ProtocolCloseCode.ConnectionInitialisationTimeout, "Connection initialisation timeout");
}

/** disconnectAt()'s moment came (a shared function: no closure per connection). */
function expiryReached(connection: ProtocolConnection): void {
  connection.expire();
}

/** One socket as graphql-ws's protocol core sees it. */
class ProtocolConnection implements ProtocolSocket, WsConnection {
  private receive: ((data: string) => Promise<void>) | null = null;
  private closed: Closed | null = null;
  /** Until connection_init arrives (then released). */
  initWait: NodeJS.Timeout | null = null;
  /** disconnectAt()'s deadline, close code and reason. */
  private expiry: Deadline | null = null;
  private expiryCode = 0;
  private expiryReason = "";

  constructor(
    private readonly socket: WebSocket,
    private readonly frames: SharedFrames,
    private readonly batches: WriteBatches,
    private readonly log: Logger,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  open(server: Server<unknown>, extra: unknown, connectionInitWaitMs: number): void {
    this.initWait = setTimeout(initWaitOver, connectionInitWaitMs, this);
    this.initWait.unref();
    this.closed = (server as Server<typeof extra>).opened(this, extra);
  }

  disconnect(code: number, reason: string): void {
    this.socket.close(code, reason);
    this.finish(code, reason);
  }

  disconnectAt(at: Date, code: number, reason: string): void {
    if (!this.closed) return;
    this.expiry?.clear();
    this.expiryCode = code;
    this.expiryReason = reason;
    this.expiry = deadlineAt(at, expiryReached, this);
  }

  expire(): void {
    this.expiry = null;
    if (this.closed) this.disconnect(this.expiryCode, this.expiryReason);
  }

  /** Tells graphql-ws the connection is over (once): it ends every operation of the socket. */
  finish(code: number, reason: string): void {
    const closed = this.closed;
    this.closed = null;
    if (this.initWait) clearTimeout(this.initWait);
    this.initWait = null;
    this.expiry?.clear();
    this.expiry = null;
    closed?.(code, reason).catch((error: unknown) => {
      this.log.error({ err: error }, "graphql-ws: failed to close a connection");
    });
  }

  send(data: string): void {
    // Always complete the frame: it takes the payload parked for it, even if the socket is gone.
    const frame = this.frames.complete(data);
    if (this.socket.readyState !== this.socket.OPEN) return;
    // graphql-ws answers an operation with `next` then `complete`: one write for both.
    const tcp = tcpSocketOf(this.socket);
    if (tcp) this.batches.hold(tcp);
    this.socket.send(frame);
  }

  /** A frame of ours, written at once: deliveries to many sockets gain nothing from waiting. */
  sendFrame(frame: string): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    this.socket.send(frame);
    return true;
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(receive: (data: string) => Promise<void>): void {
    this.receive = receive;
  }

  handle(data: RawData): void {
    // Finished (disconnected) while the socket still closes: nothing may start anymore, or it
    // would outlive the connection's end.
    if (!this.closed) return;
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      return this.close(ProtocolCloseCode.BadRequest, "Invalid message received");
    }
    if (this.initWait && (message as { type?: unknown } | null)?.type === "connection_init") {
      clearTimeout(this.initWait);
      this.initWait = null;
    }
    // graphql-ws's handler keeps its argument for as long as the operation runs (a subscription's
    // whole life). Its parseMessage takes a parsed message too (data: unknown), so the handler
    // holds the message object it needs anyway, not the raw text beside it.
    this.receive?.(message as string).catch((error: unknown) => {
      this.log.error({ err: error }, "graphql-ws: failed to handle a message");
      this.close(INTERNAL_ERROR, "Internal server error");
    });
  }
}

export interface ServedGraphqlWs {
  /** The open sockets (the WebSocketServer is made with clientTracking off: see below). */
  sockets(): WebSocket[];
  /** Stops the keep-alive timer. */
  dispose(): void;
}

/** Serves graphql-ws on every connection of `wss`, which must be made with `clientTracking: false`:
 * ws would track each socket with a close listener of its own (a closure and a listener array per
 * connection); the adapter keeps the set itself, from the close listener it has anyway. */
export function serveGraphqlWs<Extra>(
  wss: WebSocketServer,
  server: Server<Extra>,
  options: WsAdapterOptions<Extra>,
): ServedGraphqlWs {
  const { log, frames } = options;
  if (wss.options.clientTracking) throw new Error("serveGraphqlWs needs a WebSocketServer made with clientTracking: false");
  const connections = new Map<WebSocket, ProtocolConnection>();
  const batches = new WriteBatches();
  const keepAlive = startKeepAlive(
    () => connections.keys(),
    options.keepAliveMs,
    (socket) => {
      const connection = connections.get(socket);
      if (connection) options.unanswered(connection);
    },
  );
  wss.options.handleProtocols = handleProtocols;

  function onMessage(this: WebSocket, data: RawData) {
    connections.get(this)?.handle(data);
  }
  function onError(this: WebSocket, error: Error & { code?: string }) {
    // A frame ws refused (1009 past maxPayload, 1007 invalid UTF-8, 1002 ...): ws has already
    // closed the socket. The client's doing, so one short line, without ws's stack.
    if (error.code?.startsWith("WS_ERR_")) return log.warn({ wsError: error.code }, `websocket: ${error.message}`);
    log.warn({ err: error }, `websocket: ${error.message}`);
    if (this.readyState === this.OPEN) this.close(INTERNAL_ERROR, "Internal server error");
  }
  function onClose(this: WebSocket, code: number, reason: Buffer) {
    connections.get(this)?.finish(code, String(reason));
    connections.delete(this);
  }

  // The HTTP server's errors are re-emitted here; unheard, they would crash the process.
  wss.on("error", (error) => {
    log.error({ err: error }, `websocket server: ${error.message}`);
    for (const socket of connections.keys()) socket.close(INTERNAL_ERROR, "Internal server error");
  });
  wss.on("connection", (socket) => {
    const connection = new ProtocolConnection(socket, frames, batches, log);
    connections.set(socket, connection);
    socket.on("error", onError);
    socket.on("message", onMessage);
    // `on`, not `once`: once() wraps each listener in a bound function per socket; close fires once anyway.
    socket.on("close", onClose);
    keepAlive.watch(socket);
    connection.open(server, options.extra(connection), options.connectionInitWaitMs);
  });

  return {
    sockets: () => [...connections.keys()],
    dispose: () => keepAlive.stop(),
  };
}
