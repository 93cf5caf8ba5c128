// `npm start`: the only module that reads process-wide state to start, and exits the process.
import { createChatServer } from "./chat-server.js";
import { endLogOutput } from "./logger.js";

/** Longest wait for the last log lines to be written before the process exits. */
const LOG_FLUSH_MS = 500;

// Output goes to whoever started the process; once they are gone (their end of the pipe closed),
// a write fails with EPIPE. An unheard 'error' event would crash the process in the middle of
// whatever it was doing (a shutdown, say): there is no one left to tell, so nothing is done.
const ignoreOutputError = () => {};
process.stdout.on("error", ignoreOutputError);
process.stderr.on("error", ignoreOutputError);

async function main(): Promise<void> {
  const server = await createChatServer();
  const { url } = await server.start();
  console.log(`realtime-chat-graphql listening on ${url}`);
  console.log(`database: ${server.config.DATABASE_URL.startsWith("file:") ? server.config.DATABASE_URL : "postgresql"}`);
  if (server.generatedSecretFile) {
    console.log(
      `JWT_SECRET is unset: tokens are signed with the development secret in ${server.generatedSecretFile}.\n` +
        // npx finds the command both in a clone of this repository and in an application that
        // installed the package (which has no `token` script of its own).
        "Mint a token with: npx realtime-chat-graphql token <userId> [--staff]",
    );
  }
  server.log.info({ url }, "listening");
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal }, "shutting down");
    // stop() spends the timeout on clients and requests; should anything still hang (a database
    // that does not answer, say), the process ends anyway when it is over.
    const timeoutMs = server.config.SHUTDOWN_TIMEOUT_MS;
    const deadlineAt = Date.now() + timeoutMs;
    // The last log lines get what is left of the timeout, up to LOG_FLUSH_MS.
    const exit = (code: number) =>
      endLogOutput(server.log, Math.min(LOG_FLUSH_MS, Math.max(0, deadlineAt - Date.now()))).finally(() => process.exit(code));
    const deadline = setTimeout(() => {
      server.log.error({ signal, timeoutMs }, "shutdown timed out; exiting");
      void exit(1);
    }, timeoutMs);
    server.stop().then(
      () => {
        clearTimeout(deadline);
        server.log.info("stopped");
        return exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        server.log.error({ err: error }, "shutdown failed");
        return exit(1);
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
