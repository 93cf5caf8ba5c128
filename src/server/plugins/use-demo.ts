// /demo: a small chat page (src/demo) to try the server from two browser tabs. `npm run build`
// bundles it into dist/demo (scripts/build-demo.ts); run from the sources (tsx, tests) the script
// is bundled with esbuild on its first request instead.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "graphql-yoga";
import { signToken } from "../../auth/authenticate.js";

export interface DemoOptions {
  /**
   * The development secret that was generated into DATA_DIR (JWT_SECRET unset). When set,
   * POST /demo/token mints a token for a page on this machine; otherwise it refuses.
   */
  devTokenSecret?: string | undefined;
}

/** dist/demo next to dist/server/plugins, or src/demo when running from the sources. */
const DEMO_DIR = fileURLToPath(new URL("../../demo/", import.meta.url));
const DEV_TOKEN_LIFETIME = "12h";
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const STATIC: Record<string, { file: string; type: string }> = {
  "/demo": { file: "index.html", type: "text/html; charset=utf-8" },
  "/demo/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/demo/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/demo/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  "/demo/app.js": { file: "app.js", type: "application/javascript; charset=utf-8" },
};

/** Bundles src/demo/app.ts (and graphql-ws) into one browser script. esbuild is a dev dependency. */
export async function bundleDemoScript(entry: string, options: { minify?: boolean } = {}): Promise<string> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: options.minify ?? false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

function load(file: string): Promise<Uint8Array<ArrayBuffer>> {
  let content = cache.get(file);
  if (!content) {
    const path = join(DEMO_DIR, file);
    content =
      file === "app.js" && !existsSync(path)
        ? bundleDemoScript(join(DEMO_DIR, "app.ts")).then((text) => new TextEncoder().encode(text))
        : readFile(path).then((buffer) => new Uint8Array(buffer));
    // A failure is not cached: the next request tries again.
    content.catch(() => cache.delete(file));
    cache.set(file, content);
  }
  return content;
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

function isLoopbackHostname(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** The page's policy: its own script and stylesheet only, and requests to this server. */
function contentSecurityPolicy(url: URL): string {
  // 'self' covers ws: in current browsers; the explicit origin is for older ones.
  const ws = /^[\w.:[\]-]+$/.test(url.host) ? ` ${url.protocol === "https:" ? "wss" : "ws"}://${url.host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function useDemo(options: DemoOptions = {}): Plugin {
  // Yoga's logger once it exists, so failures land in the server's log like everything else.
  let logger: { error(...args: unknown[]): void } = console;
  const json = (Response: typeof globalThis.Response, status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    });

  /**
   * POST /demo/token {"userId"}: a development token, only when all of these hold: the secret is
   * the generated development one (an operator who sets JWT_SECRET never gets this), the caller
   * connects from loopback (not from the network, even with HOST=0.0.0.0), the Host is a loopback
   * name (no DNS rebinding), and the Origin is this server (no other site's page, despite CORS).
   */
  async function devToken(request: Request, url: URL, serverContext: unknown, Response: typeof globalThis.Response) {
    if (!options.devTokenSecret) {
      return json(Response, 403, {
        error: "Development tokens are off because JWT_SECRET is set. Paste a token from your identity provider.",
      });
    }
    if (request.method !== "POST") return json(Response, 405, { error: "Use POST." });
    const remote = (serverContext as { req?: IncomingMessage } | undefined)?.req?.socket.remoteAddress;
    const sameOrigin = request.headers.get("origin") === url.origin;
    if (!isLoopbackAddress(remote) || !isLoopbackHostname(url.hostname) || !sameOrigin) {
      return json(Response, 403, {
        error: "Development tokens are only given to this page opened on this machine (http://127.0.0.1 or localhost). Paste a token from `npx realtime-chat-graphql token <userId>` instead.",
      });
    }
    if (!request.headers.get("content-type")?.startsWith("application/json")) {
      return json(Response, 415, { error: "Send JSON." });
    }
    const body = (await request.json().catch(() => null)) as { userId?: unknown } | null;
    const userId = body?.userId;
    if (typeof userId !== "string" || !USER_ID.test(userId)) {
      return json(Response, 400, { error: "A user id is 1 to 64 letters, digits, '.', '_', '@' or '-'." });
    }
    return json(Response, 200, { token: await signToken(options.devTokenSecret, { sub: userId }, DEV_TOKEN_LIFETIME) });
  }

  return {
    onYogaInit({ yoga }) {
      logger = yoga.logger;
    },
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== "/demo" && !url.pathname.startsWith("/demo/")) return;
      if (url.pathname === "/demo/token") {
        endResponse(await devToken(request, url, serverContext, fetchAPI.Response));
        return;
      }
      const entry = STATIC[url.pathname];
      if (!entry) {
        endResponse(new fetchAPI.Response("Not found", { status: 404 }));
        return;
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: "GET, HEAD" } }));
        return;
      }
      let body: Uint8Array<ArrayBuffer>;
      try {
        body = await load(entry.file);
      } catch (error) {
        logger.error(`demo: cannot serve ${entry.file}: ${(error as Error).message}`);
        endResponse(new fetchAPI.Response("The demo page is not built: run npm run build.", { status: 500 }));
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === "HEAD" ? null : body, {
          status: 200,
          headers: {
            "content-type": entry.type,
            "content-length": String(body.length),
            "cache-control": "no-cache",
            "content-security-policy": contentSecurityPolicy(url),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
          },
        }),
      );
    },
  };
}
