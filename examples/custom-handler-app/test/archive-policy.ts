// The application's policy through GraphQL over HTTP, against a server at `url` that signs
// tokens with `secret`: archived rooms are read-only, staff read every room, and everything
// else follows the default rules.
import { expect } from "vitest";
import { signToken } from "realtime-chat-graphql";

async function gql(url: string, secret: string, userId: string, query: string, variables: Record<string, unknown> = {}, staff = false) {
  const token = await signToken(secret, { sub: userId, staff });
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ extensions: { code: string } }> };
}

export async function expectArchivePolicy(url: string, secret: string) {
  const as = (userId: string, query: string, variables: Record<string, unknown> = {}, staff = false) =>
    gql(url, secret, userId, query, variables, staff);
  await as("bob", "{ viewer { id } }");
  const created = await as("ann", `mutation { createGroupChat(input: { name: "team", participantIds: ["bob"] }) { id } }`);
  const roomId = created.data.createGroupChat.id as string;
  const send = `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "hi" }) { id } }`;
  const read = `query($r: ID!) { room(id: $r) { name } }`;
  // The default rules: members send; to an outsider the room is as missing as one that does not exist.
  expect((await as("bob", send, { r: roomId })).errors).toBeUndefined();
  expect((await as("eve", read, { r: roomId })).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
  // The handler: staff read any room, so they are told why they may not post in it (members only).
  expect((await as("mod", read, { r: roomId }, true)).data).toEqual({ room: { name: "team" } });
  expect((await as("mod", send, { r: roomId }, true)).errors?.[0]?.extensions.code).toBe("FORBIDDEN");
  // The handler: nobody sends to an archived room, not even a member.
  await as("ann", `mutation($r: ID!) { updateRoom(roomId: $r, input: { preferences: { archived: true } }) { id } }`, { r: roomId });
  expect((await as("bob", send, { r: roomId })).errors?.[0]?.extensions.code).toBe("FORBIDDEN");
}
