import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBlankContent, sanitizeContent } from "../src/content/sanitize.js";
import { LIMITS } from "../src/limits.js";
import { PROVIDERS } from "./harness/databases.js";
import { createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

// The seed's 20 XSS vectors (tests/conftest.py `html_payload`): input → stored content. Two differ
// from the seed on purpose: `id` is dropped (DOM clobbering) and a link with `target` gets
// rel="noopener noreferrer" (reverse tabnabbing).
const SEED_VECTORS: Array<[string, string]> = [
  [`<script>alert('xss')</script>`, `alert('xss')`],
  [`<p>Hello<script>alert(1)</script></p>`, `<p>Helloalert(1)</p>`],
  [`<p onclick="alert(1)">Click me</p>`, `<p>Click me</p>`],
  [`<a href="javascript:alert(1)">link</a>`, `<a>link</a>`],
  [`<a href="JaVaScRiPt:alert(1)">link</a>`, `<a>link</a>`],
  [`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`, `<a>x</a>`],
  [`<img src="x" onerror="alert(1)">`, ``],
  [`<svg onload="alert(1)"></svg>`, ``],
  [`<p style="background:url(javascript:alert(1))">Test</p>`, `<p>Test</p>`],
  [`<!--<script>alert(1)</script>-->`, ``],
  [`<scr<script>ipt>alert(1)</scr</script>ipt>`, `ipt&gt;alert(1)ipt&gt;`],
  [`<ul><li>Item<script>alert(1)</script></li></ul>`, `<ul><li>Itemalert(1)</li></ul>`],
  [`<iframe src="https://evil.com"></iframe>`, ``],
  [`<a href="https://example.com" onclick="alert(1)" class="x">ok</a>`, `<a href="https://example.com" class="x">ok</a>`],
  [`<p id="test" class="safe">hello</p>`, `<p class="safe">hello</p>`],
  [`&lt;script&gt;alert(1)&lt;/script&gt;`, `&lt;script&gt;alert(1)&lt;/script&gt;`],
  [`<p onclick="alert(1)"><a href="javascript:alert(2)">x</a><script>alert(3)</script></p>`, `<p><a>x</a>alert(3)</p>`],
  [`<a href="https://example.com" target="_blank">go</a>`, `<a href="https://example.com" target="_blank" rel="noopener noreferrer">go</a>`],
  [`<p data-test="x" aria-label="y">hi</p>`, `<p>hi</p>`],
  [`Hello<br><script>alert(1)</script>World`, `Hello<br>alert(1)World`],
];

describe("sanitizeContent", () => {
  it("has all 20 seed vectors", () => {
    expect(SEED_VECTORS).toHaveLength(20);
  });

  it.each(SEED_VECTORS)("%s", (input, expected) => {
    expect(sanitizeContent(input)).toBe(expected);
  });

  it("keeps mailto links and drops other schemes in any case", () => {
    expect(sanitizeContent(`<a href="mailto:a@example.com">m</a>`)).toBe(`<a href="mailto:a@example.com">m</a>`);
    expect(sanitizeContent(`<a href="DATA:text/html,x">d</a><a href="vbscript:x">v</a>`)).toBe(`<a>d</a><a>v</a>`);
    expect(sanitizeContent(`<a href="//evil.example/">p</a>`)).toBe(`<a>p</a>`);
  });

  it("writes void tags with their attributes the way the seed did", () => {
    expect(sanitizeContent(`a<br class="x"/>b<br>`)).toBe(`a<br class="x">b<br>`);
  });

  it("keeps the text of other disallowed tags", () => {
    expect(sanitizeContent(`<div><h1>Title</h1><u>under</u></div>`)).toBe(`Titleunder`);
  });

  it("tells blank content apart", () => {
    expect(isBlankContent(sanitizeContent(`<p> </p><br>`))).toBe(true);
    expect(isBlankContent(sanitizeContent(`<img src="x">`))).toBe(true);
    expect(isBlankContent(sanitizeContent(`<p>0</p>`))).toBe(false);
  });
});

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id content } }`;
const EDIT = `mutation($id: ID!, $c: String!) { editMessage(messageId: $id, content: $c) { content } }`;
const HISTORY = `query($r: ID!) { messages(roomId: $r) { edges { node { content } } } }`;

describe.each(PROVIDERS)("stored content on %s", (provider) => {
  let server: TestServer;
  let roomId: string;
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "ann", "ben");
    roomId = await createGroup(server, "ann", ["ben"]);
  });

  const history = async () =>
    (await ok(server, "ben", HISTORY, { r: roomId })).messages.edges.map((edge: any) => edge.node.content);

  it("opens links in a new window only without an opener, and keeps no ids", async () => {
    const content =
      `<p id="viewer" name="x">hi <a href="https://example.com" target="_blank" rel="opener" id="go">go</a> ` +
      `<a href="https://example.com" rel="opener">same window</a></p>`;
    const expected =
      `<p>hi <a href="https://example.com" target="_blank" rel="noopener noreferrer">go</a> ` +
      `<a href="https://example.com">same window</a></p>`;
    const sent = await ok(server, "ann", SEND, { input: { roomId, content } });
    expect(sent.sendMessage.content).toBe(expected);
    expect((await history()).at(-1)).toBe(expected);
  });

  it("holds the content limit for what is stored, not only for what was sent", async () => {
    const count = async () => (await history()).length;
    const before = await count();
    // 10,000 characters as sent, 50,000 once `&` is stored as `&amp;`.
    const ampersands = "&".repeat(LIMITS.contentLength);
    const refused = await server.gql("ann", SEND, { input: { roomId, content: ampersands } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "content" });
    const sent = await ok(server, "ann", SEND, { input: { roomId, content: "&".repeat(LIMITS.contentLength / 5) } });
    expect(sent.sendMessage.content).toHaveLength(LIMITS.contentLength);
    // An edit is held to it too, and keeps the message as it was.
    const edit = await server.gql("ann", EDIT, { id: sent.sendMessage.id, c: "<".repeat(LIMITS.contentLength / 2) });
    expect(edit.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "content" });
    const stored = await history();
    expect(stored).toHaveLength(before + 1);
    expect(stored.at(-1)).toBe("&amp;".repeat(LIMITS.contentLength / 5));
  });
});
