// End to end in headless Chromium (Debian's chromium driven by playwright-core, no browser
// download): GraphiQL loads from this server alone, and two users chat live on /demo.
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../src/auth/authenticate.js";
import { waitForViewer } from "./harness/clients.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium calls Google's hosts at start.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const IN_CI = process.env.CI === "true";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(`${CHROMIUM} is missing: the browser tests are skipped (under CI=true they fail). apt-get install chromium`);
}

afterAll(stopTestServers);

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)("in headless Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  /** Every request a page tried to send off this machine (each was aborted). */
  const offsite: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package`);
    // JWT_SECRET unset: the server generates its development secret, so /demo/token works.
    // A short presence grace: the page shows a user offline this long after they left.
    server = await startTestServer("sqlite", { JWT_SECRET: undefined, PRESENCE_GRACE_MS: 300 });
    // Playwright gives each launch a new, empty profile (--user-data-dir) and removes it on close.
    // Meanwhile the server bundles the demo script (from the sources, on first request).
    [browser] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS }),
      fetch(`${server.origin}/demo/app.js`).then((response) => response.arrayBuffer()),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh context that may only reach 127.0.0.1: anything else is aborted and recorded. */
  async function localContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1") return route.continue();
      offsite.push(url.href);
      return route.abort();
    });
    return context;
  }

  it("serves GraphiQL at /graphql with every asset from this server", async () => {
    const html = await (await fetch(server.url, { headers: { accept: "text/html" } })).text();
    const references = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(references.length).toBeGreaterThanOrEqual(2);
    for (const reference of references) expect(reference).toMatch(/^\/graphiql\/[0-9a-f]+\//);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);

    const context = await localContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await expect.poll(() => page.title()).toBe("realtime-chat-graphql · GraphiQL");
    await page.locator(".graphiql-execute-button").waitFor({ timeout: 15_000 });
    // The schema loads (introspection over HTTP), and the default query runs anonymously.
    await page.locator(".graphiql-execute-button").click();
    // Monaco lays text out with non-breaking spaces.
    const text = async (selector: string) => (await page.locator(selector).first().innerText()).replace(/\s+/g, " ");
    await expect.poll(() => text(".result-window"), { timeout: 10_000 }).toContain('"viewer": null');
    expect(await text(".graphiql-editor")).toContain("npx realtime-chat-graphql token");
    await context.close();
    expect(offsite).toEqual([]);
  });

  it("lets two users create a room and chat live", async () => {
    const secretFile = server.server.generatedSecretFile;
    expect(secretFile).toBeDefined();
    // Bob pastes a token signed with the development secret; his name is markup, shown as text.
    const bobName = "<i>bob</i>";
    const bobToken = await signToken(readFileSync(secretFile!, "utf8").trim(), { sub: "bob", name: bobName });

    const alice = await (await localContext()).newPage();
    const bob = await (await localContext()).newPage();
    await alice.goto(`${server.origin}/demo`);
    await alice.locator("#user-id").fill("alice");
    await alice.getByRole("button", { name: "Sign in with a development token" }).click();
    await expect.poll(() => alice.locator("#me").textContent()).toBe("alice");

    await bob.goto(`${server.origin}/demo`);
    await bob.locator("#token").fill(bobToken);
    await bob.getByRole("button", { name: "Sign in with this token" }).click();
    await expect.poll(() => bob.locator("#me").textContent()).toBe(bobName);
    // Bob hears about new rooms through viewerEvents; it must be running before Alice adds him.
    await waitForViewer(server, "bob");

    await alice.locator("#room-name").fill("e2e room");
    await alice.locator("#member-ids").fill("bob");
    await alice.getByRole("button", { name: "Create" }).click();
    await expect.poll(() => alice.locator("#room-title").textContent()).toBe("e2e room");

    // The room appears in Bob's list without a reload.
    const bobsRoom = bob.locator("#rooms button", { hasText: "e2e room" });
    await bobsRoom.waitFor({ timeout: 10_000 });
    const roomId = (await bobsRoom.getAttribute("data-room-id"))!;
    const before = server.server.realtime.listenerCount(roomId);
    await bobsRoom.click();
    await expect.poll(() => bob.locator("#room-title").textContent()).toBe("e2e room");
    await expect.poll(() => server.server.realtime.listenerCount(roomId)).toBeGreaterThan(before);

    // Alice writes; her text is sent as text, so markup in it shows verbatim.
    const hello = "Hello <b>bob</b> & co";
    await alice.locator("#message-input").fill(hello);
    await alice.locator("#message-input").press("Enter");
    const bobsMessages = bob.locator("#messages li");
    await expect.poll(() => bobsMessages.locator(".content").allTextContents(), { timeout: 10_000 }).toEqual([hello]);
    expect(await bobsMessages.locator(".content b").count()).toBe(0);
    expect(await bobsMessages.locator(".sender").allTextContents()).toEqual(["alice"]);

    await bob.locator("#message-input").fill("hi alice");
    await bob.getByRole("button", { name: "Send" }).click();
    const alicesMessages = alice.locator("#messages li");
    await expect.poll(() => alicesMessages.locator(".content").allTextContents(), { timeout: 10_000 }).toEqual([hello, "hi alice"]);
    expect(await alicesMessages.locator(".sender").allTextContents()).toEqual(["alice", bobName]);
    expect(await alicesMessages.locator(".sender i").count()).toBe(0);

    // Alice sees who of the room is online, kept current as Bob leaves and comes back.
    const bobOnAlicesPage = alice.locator('#members li[data-user-id="bob"]');
    await expect.poll(() => bobOnAlicesPage.textContent(), { timeout: 10_000 }).toBe(`${bobName} (online)`);
    expect(await alice.locator('#members li[data-user-id="alice"]').textContent()).toBe("alice (online)");
    await bob.context().close();
    await expect.poll(() => bobOnAlicesPage.textContent(), { timeout: 10_000 }).toBe(`${bobName} (offline)`);
    const bobAgain = await (await localContext()).newPage();
    await bobAgain.goto(`${server.origin}/demo`);
    await bobAgain.locator("#token").fill(bobToken);
    await bobAgain.getByRole("button", { name: "Sign in with this token" }).click();
    await expect.poll(() => bobOnAlicesPage.textContent(), { timeout: 10_000 }).toBe(`${bobName} (online)`);
    expect(await bobOnAlicesPage.getAttribute("class")).toBe("online");

    await Promise.all([alice.context().close(), bobAgain.context().close()]);
    expect(offsite).toEqual([]);
  });
});

/** POST /demo/token the way a browser would, with the given Origin and Host. */
function requestDevToken(server: TestServer, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path: "/demo/token", method: "POST", headers: { "content-type": "application/json", ...headers } },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ userId: "alice" }));
  });
}

describe("/demo/token", () => {
  it("mints a token only for this server's own page, with the development secret", async () => {
    const dev = await startTestServer("sqlite", { JWT_SECRET: undefined });
    const host = new URL(dev.origin).host;
    const ok = await requestDevToken(dev, { origin: dev.origin });
    expect(ok.status).toBe(200);
    const viewer = await fetch(dev.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ok.body.token}` },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    });
    expect(await viewer.json()).toEqual({ data: { viewer: { id: "alice" } } });

    // Another site's page (CORS would let it read the answer), a client sending no Origin, and a
    // rebound DNS name all get nothing.
    expect((await requestDevToken(dev, { origin: "http://evil.example" })).status).toBe(403);
    expect((await requestDevToken(dev, {})).status).toBe(403);
    expect((await requestDevToken(dev, { origin: `http://evil.example:${host.split(":")[1]}`, host: `evil.example:${host.split(":")[1]}` })).status).toBe(403);

    // A configured JWT_SECRET turns it off.
    const configured = await startTestServer("sqlite");
    const refused = await requestDevToken(configured, { origin: configured.origin });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/JWT_SECRET/);
  });

  it("serves the page with a policy that allows only its own script and style", async () => {
    const { origin } = await startTestServer("sqlite");
    const page = await fetch(`${origin}/demo`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="/demo/app.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${origin}/demo/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    // One bundle: graphql-ws is inside it, not imported.
    expect(await script.text()).not.toMatch(/from\s*"graphql-ws"/);
  });
});
