// Execute once, send many: subscribers of one event whose operation (document, operation name,
// variables) selects no field about the viewer share one execution; everyone else is executed
// per subscriber. chat_subscription_executions_total counts the executions of each kind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "./harness/databases.js";
import { connectSse, connectWs, waitForListeners, type Collected, type WsConnection } from "./harness/clients.js";
import { createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const SHARED = `subscription($r: ID!) { messageAdded(roomId: $r) {
  seq content sender { id username } room { id name ... on GroupChat { locked } } } }`;

async function executions(server: TestServer): Promise<{ shared: number; perSubscriber: number }> {
  const metric = await server.server.metrics.getSingleMetric("chat_subscription_executions_total")!.get();
  const count = (mode: string) => metric.values.find((value) => value.labels.mode === mode)?.value ?? 0;
  return { shared: count("shared"), perSubscriber: count("per_subscriber") };
}

/** Executions during `act`, once `collected` all hold `results` results. */
async function executionsDuring(server: TestServer, collected: Collected[], results: number, act: () => Promise<unknown>) {
  const before = await executions(server);
  await act();
  await Promise.all(collected.map((subscription) => subscription.waitFor(results)));
  const after = await executions(server);
  return { shared: after.shared - before.shared, perSubscriber: after.perSubscriber - before.perSubscriber };
}

const dataOf = (subscription: Collected, field: string) => subscription.results.map((result) => result.data?.[field]);

describe.each(PROVIDERS)("shared execution on %s", (provider) => {
  let server: TestServer;
  const connections: WsConnection[] = [];
  const connect = async (userId: string) => {
    const connection = await connectWs(server, userId);
    connections.push(connection);
    return connection;
  };
  const members = Array.from({ length: 10 }, (_, i) => `member-${i}`);
  beforeAll(async () => {
    server = await startTestServer(provider);
    await signIn(server, "ann", "ben", "cat", ...members);
  });
  afterAll(() => Promise.all(connections.splice(0).map((connection) => connection.dispose())));

  it("executes an event once for 10 subscribers of a shareable document, each in order", async () => {
    const roomId = await createGroup(server, "ann", members);
    const subscriptions = await Promise.all(members.map(async (member) => (await connect(member)).subscribe(SHARED, { r: roomId })));
    await waitForListeners(server, roomId, members.length);
    const counted = await executionsDuring(server, subscriptions, 3, async () => {
      for (const content of ["one", "two", "three"]) await sendMessage(server, "ann", roomId, content);
    });
    expect(counted).toEqual({ shared: 3, perSubscriber: 0 });
    for (const subscription of subscriptions) {
      expect(dataOf(subscription, "messageAdded")).toEqual(
        ["one", "two", "three"].map((content, i) => ({
          seq: i + 1,
          content,
          sender: { id: "ann", username: "ann" },
          room: { id: roomId, name: "group", locked: false },
        })),
      );
    }
  });

  it("shares between graphql-ws and SSE subscribers too", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const overSse = (await connectSse(server, "ben")).subscribe(SHARED, { r: roomId });
    const overWs = (await connect("cat")).subscribe(SHARED, { r: roomId });
    await waitForListeners(server, roomId, 2);
    const counted = await executionsDuring(server, [overSse, overWs], 1, () => sendMessage(server, "ann", roomId, "both"));
    expect(counted).toEqual({ shared: 1, perSubscriber: 0 });
    expect(dataOf(overSse, "messageAdded")).toEqual(dataOf(overWs, "messageAdded"));
    overSse.unsubscribe();
  });

  it("does not mix subscribers whose variables, document or operation name differ", async () => {
    const roomId = await createGroup(server, "ann", ["ben", "cat"]);
    const withFlag = `subscription($r: ID!, $full: Boolean!) { roomEvents(roomId: $r) {
      kind ... on MessageAddedEvent { seq message { content @include(if: $full) sender { id } } } } }`;
    const aliased = `subscription($r: ID!) { roomEvents(roomId: $r) { __typename
      ... on MessageAddedEvent { text: message { body: content } } } }`;
    const twoOperations = `subscription Kinds($r: ID!) { roomEvents(roomId: $r) { kind } }
      subscription Seqs($r: ID!) { roomEvents(roomId: $r) { ...Seq } }
      fragment Seq on ChatEvent { ... on MessageAddedEvent { seq } }`;
    const ben = await connect("ben");
    const cat = await connect("cat");
    const subscriptions = [
      ben.subscribe(withFlag, { r: roomId, full: true }),
      cat.subscribe(withFlag, { r: roomId, full: false }),
      ben.subscribe(aliased, { r: roomId }),
      cat.subscribe(twoOperations, { r: roomId }, "Kinds"),
      ben.subscribe(twoOperations, { r: roomId }, "Seqs"),
    ];
    await waitForListeners(server, roomId, subscriptions.length);
    const counted = await executionsDuring(server, subscriptions, 1, () => sendMessage(server, "ann", roomId, "hi"));
    expect(counted).toEqual({ shared: 5, perSubscriber: 0 });
    expect(subscriptions.map((subscription) => subscription.results[0]?.data?.roomEvents)).toEqual([
      { kind: "MESSAGE_ADDED", seq: 1, message: { content: "hi", sender: { id: "ann" } } },
      { kind: "MESSAGE_ADDED", seq: 1, message: { sender: { id: "ann" } } },
      { __typename: "MessageAddedEvent", text: { body: "hi" } },
      { kind: "MESSAGE_ADDED" },
      { seq: 1 },
    ]);
  });

  it("executes fields about the viewer per subscriber: viewerReaction, reactedByViewer", async () => {
    const roomId = await createGroup(server, "ann", ["ben"]);
    const reactions = `subscription($r: ID!) { roomEvents(roomId: $r) {
      ... on ReactionChangedEvent { user { id } message { content viewerReaction reactions { content count reactedByViewer } } } } }`;
    const forAnn = (await connect("ann")).subscribe(reactions, { r: roomId });
    const forBen = (await connect("ben")).subscribe(reactions, { r: roomId });
    await waitForListeners(server, roomId, 2);
    const { id } = await sendMessage(server, "ann", roomId, "react to me");
    await Promise.all([forAnn.waitFor(1), forBen.waitFor(1)]);
    const react = `mutation($m: ID!) { react(messageId: $m, content: "👍") { id } }`;
    const counted = await executionsDuring(server, [forAnn, forBen], 2, () => ok(server, "ann", react, { m: id }));
    expect(counted).toEqual({ shared: 0, perSubscriber: 2 });
    const event = (viewerReaction: string | null, reactedByViewer: boolean) => ({
      user: { id: "ann" },
      message: { content: "react to me", viewerReaction, reactions: [{ content: "👍", count: 1, reactedByViewer }] },
    });
    expect(forAnn.results[1]?.data?.roomEvents).toEqual(event("👍", true));
    expect(forBen.results[1]?.data?.roomEvents).toEqual(event(null, false));
  });

  it("gives each viewer its own view of a document mixing shared and viewer fields (replyTo, readByViewer)", async () => {
    const shared = await createGroup(server, "ann", ["ben"]);
    const annOnly = await createGroup(server, "ann", ["cat"]);
    const secret = await sendMessage(server, "ann", annOnly, "only ann and cat read this");
    const mixed = `subscription($r: ID!) { messageAdded(roomId: $r) {
      content sender { username } readByViewer replyTo { content } } }`;
    const forAnn = (await connect("ann")).subscribe(mixed, { r: shared });
    const forBen = (await connect("ben")).subscribe(mixed, { r: shared });
    await waitForListeners(server, shared, 2);
    const counted = await executionsDuring(server, [forAnn, forBen], 1, () =>
      sendMessage(server, "ann", shared, "a reply", { replyToId: secret.id }),
    );
    expect(counted).toEqual({ shared: 0, perSubscriber: 2 });
    const sent = { content: "a reply", sender: { username: "ann" } };
    expect(dataOf(forAnn, "messageAdded")).toEqual([{ ...sent, readByViewer: true, replyTo: { content: "only ann and cat read this" } }]);
    expect(dataOf(forBen, "messageAdded")).toEqual([{ ...sent, readByViewer: false, replyTo: null }]);
  });
});
