// Baseline 3: the same chat as the Socket.IO baseline, spoken as GraphQL: what a hand-rolled
// GraphQL chat server costs before it has any of this project's features. graphql-js executes the
// operations the project's bench client sends (same documents, same variables), graphql-ws's own
// `useServer` over `ws` carries them, and subscriptions are the textbook kind: one async iterator
// and one execution per subscriber and event. Like the Socket.IO baseline it trusts the client
// for its identity (the token's `sub`, read without checking the signature), keeps rooms and
// membership in memory, inserts with the same prepared statement (WAL, synchronous = NORMAL),
// emits only after the commit, and has no permissions, limits, notifications or read models.
// It tells how much of the gap between the project and Socket.IO is GraphQL itself.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, graphql, parse, validate, type DocumentNode, type GraphQLError, type GraphQLFieldConfig, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { openBaselineStore } from "./baseline-store.js";
import { startControl } from "./control.js";

const store = openBaselineStore("graphql-floor-baseline.db");

const schema: GraphQLSchema = buildSchema(`
  type User { id: ID! }
  type Room { id: ID! }
  type Message { id: ID! roomId: ID! seq: Int! content: String! createdAt: String! sender: User! }
  type ViewerEvent { kind: String! roomId: ID }
  input SendMessageInput { roomId: ID! content: String! clientMsgId: String }
  input CreateGroupChatInput { name: String! participantIds: [ID!]! maxParticipants: Int }
  type Query { viewer: User }
  type Mutation {
    createOneToOneChat(userId: ID!): Room!
    createGroupChat(input: CreateGroupChatInput!): Room!
    sendMessage(input: SendMessageInput!): Message!
  }
  type Subscription { messageAdded(roomId: ID!): Message! viewerEvents: ViewerEvent! }
`);

// A type, not an interface: graphql-ws wants a context assignable to Record<PropertyKey, unknown>.
type Context = { user: string | null };
interface StoredMessage {
  id: string;
  roomId: string;
  seq: number;
  content: string;
  createdAt: string;
  sender: { id: string };
}

/** A subscriber's events, pulled by graphql-ws one at a time. */
class Feed<T> implements AsyncIterableIterator<T> {
  private readonly queued: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private done = false;

  constructor(private readonly onEnd: () => void) {}

  push(value: T): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else this.queued.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queued.length > 0) return Promise.resolve({ value: this.queued.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.onEnd();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

const members = new Map<string, Set<string>>();
const roomFeeds = new Map<string, Set<Feed<unknown>>>();
const userFeeds = new Map<string, Set<Feed<unknown>>>();
let roomCount = 0;

function subscribeTo<T>(feeds: Map<string, Set<Feed<unknown>>>, key: string): Feed<T> {
  let set = feeds.get(key);
  if (!set) feeds.set(key, (set = new Set()));
  const feed: Feed<T> = new Feed<T>(() => set!.delete(feed as Feed<unknown>));
  set.add(feed as Feed<unknown>);
  return feed;
}

function viewer(context: Context): string {
  if (!context.user) throw new Error("not signed in");
  return context.user;
}

function newRoom(memberIds: string[]): { id: string } {
  const id = `room-${++roomCount}`;
  members.set(id, new Set(memberIds));
  return { id };
}

type Field = GraphQLFieldConfig<unknown, Context, any>;
const resolvers: Record<string, Record<string, Partial<Field>>> = {
  Query: { viewer: { resolve: (_root, _args, context) => ({ id: viewer(context) }) } },
  Mutation: {
    createOneToOneChat: { resolve: (_root, { userId }, context) => newRoom([viewer(context), String(userId)]) },
    createGroupChat: {
      resolve: (_root, { input }, context) => newRoom([viewer(context), ...(input.participantIds as string[])]),
    },
    sendMessage: {
      resolve: (_root, { input }, context): StoredMessage => {
        const user = viewer(context);
        const roomId = String(input.roomId);
        if (!members.get(roomId)?.has(user)) throw new Error("forbidden");
        const createdAt = new Date();
        const row = store.store(roomId, user, input.content, createdAt.getTime());
        const message = { id: String(row.id), roomId, seq: row.seq, content: input.content, createdAt: createdAt.toISOString(), sender: { id: user } };
        for (const feed of roomFeeds.get(roomId) ?? []) feed.push(message);
        return message;
      },
    },
  },
  Subscription: {
    messageAdded: {
      subscribe: (_root, { roomId }, context) => {
        if (!members.get(String(roomId))?.has(viewer(context))) throw new Error("forbidden");
        return subscribeTo(roomFeeds, String(roomId));
      },
      resolve: (message) => message,
    },
    viewerEvents: {
      subscribe: (_root, _args, context) => subscribeTo(userFeeds, viewer(context)),
      resolve: (event) => event,
    },
  },
};
for (const [typeName, fields] of Object.entries(resolvers)) {
  const type = schema.getType(typeName) as unknown as { getFields(): Record<string, Partial<Field>> };
  for (const [name, config] of Object.entries(fields)) Object.assign(type.getFields()[name]!, config);
}

/** The `sub` of a bearer token, trusted as the Socket.IO baseline trusts its handshake. */
function userOf(authorization: unknown): string | null {
  if (typeof authorization !== "string") return null;
  const payload = authorization.replace(/^Bearer /, "").split(".")[1];
  if (!payload) return null;
  const sub = (JSON.parse(Buffer.from(payload, "base64url").toString()) as { sub?: unknown }).sub;
  return typeof sub === "string" ? sub : null;
}

async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const { query, variables } = JSON.parse(Buffer.concat(chunks).toString() || "{}") as { query?: string; variables?: Record<string, unknown> };
  const result = await graphql({
    schema,
    source: query ?? "",
    variableValues: variables,
    contextValue: { user: userOf(request.headers.authorization) } satisfies Context,
  });
  const body = JSON.stringify(result);
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

const httpServer = createServer((request, response) => {
  handleHttp(request, response).catch(() => {
    response.writeHead(400);
    response.end();
  });
});
// graphql-ws parses and validates every operation unless told otherwise; any server that cares
// keeps the checked documents (the project does too, through Yoga's parser and validation cache).
const checkedDocuments = new Map<string, DocumentNode>();
function checkedDocument(query: string): DocumentNode | readonly GraphQLError[] {
  const known = checkedDocuments.get(query);
  if (known) return known;
  const document = parse(query);
  const errors = validate(schema, document);
  if (errors.length > 0) return errors;
  if (checkedDocuments.size < 1000) checkedDocuments.set(query, document);
  return document;
}

const wsServer = new WebSocketServer({ server: httpServer, perMessageDeflate: false, maxPayload: 64 * 1024 });
useServer<Record<string, unknown>, Context>(
  {
    schema,
    context: (ctx) => ({ user: userOf(ctx.connectionParams?.Authorization) }),
    onSubscribe: (ctx, _id, payload) => {
      const document = checkedDocument(payload.query);
      if (!("kind" in document)) return document;
      return {
        schema,
        document,
        variableValues: payload.variables,
        operationName: payload.operationName,
        contextValue: { user: userOf(ctx.connectionParams?.Authorization) },
      };
    },
  },
  wsServer,
);

await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
const { port } = httpServer.address() as AddressInfo;

startControl({
  url: `http://127.0.0.1:${port}/graphql`,
  info: store.info,
  count: ({ rooms = [], users = [] }) =>
    rooms.reduce((sum, room) => sum + (roomFeeds.get(room)?.size ?? 0), 0) +
    users.reduce((sum, user) => sum + (userFeeds.get(user)?.size ?? 0), 0),
  stored: store.stored,
  stop: async () => {
    for (const client of wsServer.clients) client.terminate();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    store.close();
  },
});
