// Operations the tests share, sent through GraphQL like a client would. Each throws when the
// server answers with errors, so a test reads as the scenario it sets up.
import type { TestServer } from "./server.js";

export async function ok<T = Record<string, any>>(
  server: TestServer,
  userId: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const result = await server.gql<T>(userId, query, variables);
  if (result.errors?.length) {
    throw new Error(`${userId}: ${JSON.stringify(result.errors)} for ${query.trim().slice(0, 80)}`);
  }
  return result.data as T;
}

/** The `extensions.code` of the first error, or "OK" when there is none. */
export async function codeOf(
  server: TestServer,
  userId: string | null,
  query: string,
  variables?: Record<string, unknown>,
): Promise<string> {
  const result = await server.gql(userId, query, variables);
  return result.errors?.[0]?.extensions?.code ?? "OK";
}

/** Makes each user known to the server (users exist once they have signed in). */
export async function signIn(server: TestServer, ...userIds: string[]): Promise<void> {
  for (const userId of userIds) await ok(server, userId, "{ viewer { id } }");
}

export async function createChat(server: TestServer, userId: string, otherId: string): Promise<string> {
  const data = await ok(server, userId, `mutation($u: ID!) { createOneToOneChat(userId: $u) { id } }`, { u: otherId });
  return data.createOneToOneChat.id;
}

export async function createGroup(
  server: TestServer,
  creatorId: string,
  participantIds: string[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const data = await ok(server, creatorId, `mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }`, {
    input: { name: "group", participantIds, ...extra },
  });
  return data.createGroupChat.id;
}

export async function createChannel(
  server: TestServer,
  creatorId: string,
  subscriberIds: string[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const data = await ok(server, creatorId, `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`, {
    input: { name: "channel", subscriberIds, ...extra },
  });
  return data.createChannel.id;
}

/** Sends a message as `userId`; `extra` adds SendMessageInput fields. Returns its id and seq. */
export async function sendMessage(
  server: TestServer,
  userId: string,
  roomId: string,
  content = "hello",
  extra: Record<string, unknown> = {},
): Promise<{ id: string; seq: number }> {
  const data = await ok(server, userId, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }`, {
    input: { roomId, content, ...extra },
  });
  return data.sendMessage;
}
