// The server as `npm start` runs it: src/main.ts in a child process (through tsx's loader) with
// its output piped here, and enough of a TestServer to use the harness clients and fixtures on it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { signToken } from "../../src/auth/authenticate.js";
import type { TestServer } from "./server.js";

const root = resolve(".");
const tsxLoader = pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href;

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
}

/** Starts the server with `env` (and PATH, HOME, PORT=0) in `cwd` (a new temporary folder by
 * default); resolves once it printed the URL it listens on. */
export function startServerProcess(env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), "rcg-process-"))): Promise<ServerProcess> {
  // The sources run through tsx's loader, named by path because cwd is outside the project.
  const child = spawn(process.execPath, ["--import", tsxLoader, join(root, "src/main.ts")], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolveStart, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolveStart({ child, url: match[1], output: () => output });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

/** A TestServer for the harness clients and fixtures, talking to a server process signing with `secret`. */
export function remoteServer(url: string, secret: string): TestServer {
  const token = (userId: string) => signToken(secret, { sub: userId });
  return {
    url,
    origin: new URL(url).origin,
    secret,
    token,
    async gql(userId: string | null, query: string, variables?: Record<string, unknown>) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (userId) headers.authorization = `Bearer ${await token(userId)}`;
      const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as any;
    },
  } as unknown as TestServer;
}
