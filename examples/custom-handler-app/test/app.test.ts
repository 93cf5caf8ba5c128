// The application's own test: its policy holds through the GraphQL API.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { signToken, type ChatServer } from "realtime-chat-graphql";
import { startApp } from "../src/server.js";

const secret = "example-secret";
let server: ChatServer;
let url: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "custom-handler-app-"));
  ({ server, url } = await startApp({ PORT: 0, DATA_DIR: dir, DATABASE_URL: `file:${join(dir, "chat.db")}`, JWT_SECRET: secret, LOG_LEVEL: "silent" }));
});
afterAll(() => server.stop());

async function gql(userId: string, query: string, variables: Record<string, unknown> = {}, staff = false) {
  const token = await signToken(secret, { sub: userId, staff });
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ extensions: { code: string } }> };
}

it("refuses messages in archived rooms and lets staff read any room", async () => {
  await gql("bob", "{ viewer { id } }");
  const created = await gql("ann", `mutation { createGroupChat(input: { name: "team", participantIds: ["bob"] }) { id } }`);
  const roomId = created.data.createGroupChat.id;
  const send = `mutation($r: ID!) { sendMessage(input: { roomId: $r, content: "hi" }) { id } }`;
  expect((await gql("bob", send, { r: roomId })).errors).toBeUndefined();

  await gql("ann", `mutation($r: ID!) { updateRoom(roomId: $r, input: { preferences: { archived: true } }) { id } }`, { r: roomId });
  expect((await gql("bob", send, { r: roomId })).errors?.[0]?.extensions.code).toBe("FORBIDDEN");

  const read = `query($r: ID!) { room(id: $r) { name } }`;
  // To an outsider the room is as missing as one that does not exist.
  expect((await gql("eve", read, { r: roomId })).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
  expect((await gql("mod", read, { r: roomId }, true)).data).toEqual({ room: { name: "team" } });
  // Staff read the room, so they are told why they may not post in it.
  expect((await gql("mod", send, { r: roomId }, true)).errors?.[0]?.extensions.code).toBe("FORBIDDEN");
});
