// Starts the chat server with this application's handler. `npm start` in this folder runs it.
import { fileURLToPath } from "node:url";
import { createChatServer, type ChatServerOptions } from "realtime-chat-graphql";
import { ArchivePermissionHandler } from "./permissions.js";

export async function startApp(options: ChatServerOptions = {}) {
  const server = await createChatServer({ ...options, permissionHandler: ArchivePermissionHandler });
  const { url } = await server.start();
  return { server, url };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startApp();
  console.log(`chat with archived rooms listening on ${url}`);
}
