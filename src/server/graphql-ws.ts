// graphql-ws on the same port and path as HTTP. The token travels in the connection parameters
// and is checked once at connect; every operation then runs through Yoga's envelop (the same
// plugins, masking and context as HTTP). Sockets that fall behind are closed (SlowConsumer).
// The protocol is graphql-ws's (makeServer) with our hooks (graphql-ws-hooks.ts); ws-adapter.ts
// connects it to `ws` sockets.
import type { Server } from "node:http";
import { makeServer } from "graphql-ws";
import { WebSocketServer } from "ws";
import type { Logger } from "../logger.js";
import { CloseCode } from "./close-codes.js";
import { ConnectionState, disconnectSlowConsumer, graphqlWsHooks, type GraphqlWsHookOptions } from "./graphql-ws-hooks.js";
import { SharedFrames } from "./shared-frames.js";
import { serveGraphqlWs } from "./ws-adapter.js";

export interface GraphqlWsOptions extends Omit<GraphqlWsHookOptions, "frames"> {
  httpServer: Server;
  /** Largest message a client may send, in bytes; ws closes the socket with 1009 past it. */
  maxPayload: number;
  /** Where errors of ws and graphql-ws are logged. */
  log: Logger;
  /** Milliseconds between keep-alive pings; a client that did not answer one by the next is closed
   * as a slow consumer. @default 12000 (graphql-ws's default for ws) */
  keepAliveMs?: number;
}

/** How long a new connection may take to send connection_init (graphql-ws's default). */
const CONNECTION_INIT_WAIT_MS = 3_000;

/** How long a shutting-down server waits for clients to answer its close frame. */
const CLOSE_HANDSHAKE_MS = 3_000;

export interface GraphqlWsServer {
  /** Closes every socket with 1001 and waits for the close handshakes, until `cutOffAt` (epoch ms)
   * at the latest; then cuts off the clients that did not answer. */
  close(cutOffAt?: number): Promise<void>;
}

export function startGraphqlWs(options: GraphqlWsOptions): GraphqlWsServer {
  const { httpServer, yoga, maxPayload } = options;
  // The adapter tracks its sockets itself (see serveGraphqlWs).
  const wss = new WebSocketServer({ server: httpServer, path: yoga.graphqlEndpoint, maxPayload, clientTracking: false });
  const frames = new SharedFrames();
  // The adapter waits for connection_init itself: graphql-ws's own timer would stay referenced
  // for the connection's whole life (about 160 bytes per idle connection).
  const server = makeServer({ ...graphqlWsHooks({ ...options, frames }), connectionInitWaitTimeout: 0 });
  const adapter = serveGraphqlWs(wss, server, {
    log: options.log,
    frames,
    connectionInitWaitMs: CONNECTION_INIT_WAIT_MS,
    keepAliveMs: options.keepAliveMs ?? 12_000,
    unanswered: disconnectSlowConsumer,
    extra: (connection) => new ConnectionState(connection, options.maxBufferedBytes),
  });

  return {
    async close(cutOffAt = Infinity) {
      const open = adapter.sockets();
      for (const client of open) client.close(CloseCode.GoingAway, "Server shutting down");
      // Wait for the close handshakes, so subscriptions have ended; cut off a client that does not answer.
      const wait = Math.max(0, Math.min(CLOSE_HANDSHAKE_MS, cutOffAt - Date.now()));
      const cutOff = setTimeout(() => open.forEach((client) => client.terminate()), wait);
      await Promise.all(
        open.map(
          (client) => client.readyState !== client.CLOSED && new Promise((done) => client.once("close", done)),
        ),
      );
      clearTimeout(cutOff);
      adapter.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
