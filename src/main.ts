// `npm start`: the only module that reads process-wide state to start, and exits the process.
import { createChatServer } from "./chat-server.js";

async function main(): Promise<void> {
  const server = await createChatServer();
  const { url } = await server.start();
  console.log(`realtime-chat-graphql listening on ${url}`);
  console.log(`database: ${server.config.DATABASE_URL.startsWith("file:") ? server.config.DATABASE_URL : "postgresql"}`);
  if (server.generatedSecretFile) {
    console.log(
      `JWT_SECRET is unset: tokens are signed with the development secret in ${server.generatedSecretFile}.\n` +
        "Mint a token with: npm run token -- <userId> [--staff]",
    );
  }
  server.log.info({ url }, "listening");
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal }, "shutting down");
    server.stop().then(
      () => {
        server.log.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        server.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `failed to start: ${error.message}` : error);
  process.exit(1);
});
