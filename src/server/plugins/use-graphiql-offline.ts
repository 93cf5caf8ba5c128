// GraphiQL with no CDN. @graphql-yoga/render-graphiql carries GraphiQL's script, stylesheet, Monaco
// workers and favicon as strings (Yoga's default page loads them from unpkg). Its own renderer
// inlines all ~9 MB into every page; we serve them instead as cacheable files under
// /graphiql/<hash>/ and render a small page that points at them, with no inline script.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { GraphiQLOptions, Plugin } from "graphql-yoga";

/** Where the assets are served; the hash segment changes whenever the package's assets do. */
const ASSET_PREFIX = "/graphiql/";

interface Asset {
  type: string;
  body: Uint8Array<ArrayBuffer>;
  /** Compressed lazily, on the first request that accepts gzip. */
  gzip?: Uint8Array<ArrayBuffer>;
}

interface Assets {
  base: string;
  files: Map<string, Asset>;
}

const encoder = new TextEncoder();
let loading: Promise<Assets> | undefined;

/** Imports the ~9 MB asset module on first use only, so servers that never show GraphiQL skip it. */
function loadAssets(): Promise<Assets> {
  loading ??= import("@graphql-yoga/render-graphiql/graphiql").then((m) => {
    const hash = createHash("sha256");
    for (const part of [m.js, m.css, m.editorWorkerService, m.jsonWorker, m.graphqlWorker, m.favicon]) hash.update(part);
    const base = `${ASSET_PREFIX}${hash.digest("hex").slice(0, 16)}`;
    // Monaco asks MonacoEnvironment for its workers before GraphiQL renders; the options come
    // from the page's JSON block, so the page itself needs no inline script.
    const boot = `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (_moduleId, label) {
    var workers = { json: "${base}/json.worker.js", graphql: "${base}/graphql.worker.js" };
    return workers[label] || "${base}/editor.worker.js";
  },
};`;
    const start = `YogaGraphiQL.renderYogaGraphiQL(
  document.getElementById("root"),
  JSON.parse(document.getElementById("graphiql-options").textContent || "{}"),
);`;
    const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(m.favicon);
    const js = (text: string): Asset => ({ type: "application/javascript; charset=utf-8", body: encoder.encode(text) });
    const files = new Map<string, Asset>([
      ["graphiql.js", js(`${boot}\n${m.js};\n${start}\n`)],
      ["graphiql.css", { type: "text/css; charset=utf-8", body: encoder.encode(m.css) }],
      ["editor.worker.js", js(m.editorWorkerService)],
      ["json.worker.js", js(m.jsonWorker)],
      ["graphql.worker.js", js(m.graphqlWorker)],
    ]);
    if (favicon) files.set("favicon.ico", { type: favicon[1]!, body: new Uint8Array(Buffer.from(favicon[2]!, "base64")) });
    return { base, files };
  });
  return loading;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Yoga's `renderGraphiQL`: a page whose script, stylesheet and icon all come from this server. */
export async function renderOfflineGraphiQL(options: GraphiQLOptions): Promise<string> {
  const { base, files } = await loadAssets();
  // In a <script> element only "</script" could end the block early; "<" escaped rules it out.
  const json = JSON.stringify(options).replace(/</g, "\\u003c");
  const icon = files.has("favicon.ico") ? `\n    <link rel="icon" href="${base}/favicon.ico" />` : "";
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? "GraphiQL")}</title>${icon}
    <link rel="stylesheet" href="${base}/graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${json}</script>
    <script src="${base}/graphiql.js"></script>
  </body>
</html>
`;
}

/** GraphiQL's defaults here: the explorer opens on the headers editor, where the token goes. */
export const graphiqlOptions: GraphiQLOptions = {
  title: "realtime-chat-graphql · GraphiQL",
  defaultEditorToolsVisibility: "headers",
  // Tokens stay out of localStorage: a pasted token lasts as long as the tab.
  shouldPersistHeaders: false,
  defaultQuery: `# All but \`viewer\` needs a bearer token.
# Mint one with
#
#   npx realtime-chat-graphql token <userId>
#
# and paste it into the Headers tab below:
#
#   { "Authorization": "Bearer <token>" }
#
# Subscriptions run over SSE here and
# carry the same header.

query Me {
  viewer {
    id
    username
  }
}
`,
};

/** Serves the assets the page above points at. Immutable: a new package version changes the hash. */
export function useGraphiQLAssets(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(ASSET_PREFIX)) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: "GET, HEAD" } }));
        return;
      }
      const { base, files } = await loadAssets();
      const name = url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length + 1) : "";
      const asset = files.get(name);
      if (!asset) {
        endResponse(new fetchAPI.Response(null, { status: 404 }));
        return;
      }
      const headers: Record<string, string> = {
        "content-type": asset.type,
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
        vary: "accept-encoding",
      };
      let body = asset.body;
      // ~5 MB of script shrinks to ~1.4 MB; compressed once, then kept.
      if (/\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")) {
        asset.gzip ??= new Uint8Array(gzipSync(asset.body));
        body = asset.gzip;
        headers["content-encoding"] = "gzip";
      }
      headers["content-length"] = String(body.length);
      endResponse(new fetchAPI.Response(request.method === "HEAD" ? null : body, { status: 200, headers }));
    },
  };
}
