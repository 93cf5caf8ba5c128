// The GraphQL-over-HTTP spec audits of graphql-http, run in process through Yoga's fetch against a
// started server. A MUST audit that fails ("error") fails its test; SHOULD and MAY audits that
// fail ("warn", "notice") are recommendations: they pass and are listed once at the end.
import { serverAudits, type AuditResult } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

let server: TestServer;
const advisories: string[] = [];

beforeAll(async () => {
  server = await startTestServer("sqlite");
});

afterAll(async () => {
  if (advisories.length > 0) console.info(`graphql-http audits not met (not required):\n${advisories.join("\n")}`);
  await stopTestServers();
});

// The URL is read lazily: the audits are listed before the server starts.
const audits = serverAudits({
  url: () => server.url,
  // In process: Yoga answers the Request directly, no socket needed.
  fetchFn: (url: string, init?: RequestInit) => server.server.yoga.fetch(new Request(url, init)),
});

describe("GraphQL over HTTP (graphql-http server audits)", () => {
  it.each(audits.map((audit) => [`${audit.id} ${audit.name}`, audit] as const))("%s", async (_name, audit) => {
    const result: AuditResult = await audit.fn();
    if (result.status === "ok") return;
    const detail = `${result.id} ${result.name}: ${result.reason}`;
    if (result.status !== "error") {
      advisories.push(`[${result.status}] ${detail}`);
      return;
    }
    const body = await result.response.text().catch(() => "(unreadable body)");
    expect.fail(`${detail}\nHTTP ${result.response.status} ${result.response.headers.get("content-type")}\n${body.slice(0, 500)}`);
  });
});
