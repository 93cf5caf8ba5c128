// graphql-ws on the same port and path as HTTP. The token travels in the connection parameters
// and is checked once at connect; every operation then runs through Yoga's envelop (the same
// plugins, masking and context as HTTP). Sockets that fall behind are closed (SlowConsumer).
import type { Server } from "node:http";
import type { ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { AuthenticateInput } from "../auth/authenticate.js";
import type { Context, Transport } from "../context.js";
import type { User } from "../generated/sqlite/client.js";
import { CloseCode } from "./close-codes.js";
import type { ChatYoga } from "./yoga.js";

export interface GraphqlWsOptions {
  httpServer: Server;
  yoga: ChatYoga;
  /** The viewer for connection parameters; throws or returns null to refuse the connection. */
  authenticate(input: AuthenticateInput): Promise<User | null>;
  /** Largest message a client may send, in bytes. */
  maxPayload: number;
  /** A socket with more unsent bytes than this is closed as a slow consumer. */
  maxBufferedBytes: number;
}

interface ConnectionExtra extends Record<PropertyKey, unknown> {
  viewer?: User;
}

/** The per-operation arguments we hand to graphql-ws, carrying Yoga's execute and subscribe. */
type EnvelopedArgs = ExecutionArgs & { rootValue: { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown } };

export function startGraphqlWs(options: GraphqlWsOptions): { close(): Promise<void> } {
  const { yoga } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: yoga.graphqlEndpoint, maxPayload: options.maxPayload });

  const disposable = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket as WebSocket;
        try {
          const viewer = await options.authenticate({ connectionParams: ctx.connectionParams ?? {} });
          if (viewer) {
            ctx.extra.viewer = viewer;
            return true;
          }
        } catch {
          // Refused below, like a missing token.
        }
        socket.close(CloseCode.Unauthorized, "Unauthorized");
        return false;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const socket = ctx.extra.socket as WebSocket;
        const transport: Transport = {
          disconnectSlowConsumer: () => socket.close(CloseCode.SlowConsumer, "Slow consumer: resume with afterSeq"),
        };
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          graphqlWs: { viewer: ctx.extra.viewer ?? null, transport },
          params: payload,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const args: EnvelopedArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        return args;
      },
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args) as never,
      onNext: (ctx) => {
        const socket = ctx.extra.socket as WebSocket;
        if (socket.bufferedAmount > options.maxBufferedBytes) {
          socket.close(CloseCode.SlowConsumer, "Slow consumer: resume with afterSeq");
        }
      },
    },
    wss,
  );

  return {
    async close() {
      for (const client of wss.clients) client.close(CloseCode.GoingAway, "Server shutting down");
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The context Yoga builds for a graphql-ws operation (see server/yoga.ts). */
export interface GraphqlWsInitialContext {
  viewer: User | null;
  transport: Transport;
}

export type { Context };
