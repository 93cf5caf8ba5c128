// A message to a room costs the same database work whether 1 or 10 members are subscribed: the
// hub loads each event's payload once per instance and no field asks again per subscriber.
import { afterAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "./harness/databases.js";
import { connectWs, waitForListeners, type WsConnection } from "./harness/clients.js";
import { createGroup, ok, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers } from "./harness/server.js";

afterAll(stopTestServers);

const MESSAGE_ADDED = `subscription($r: ID!) { messageAdded(roomId: $r) {
  id seq content createdAt sender { id username } room { id } attachments { url } reactions { content count } viewerReaction } }`;
const SEND = `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`;

describe.each(PROVIDERS)("delivery cost on %s", (provider) => {
  it("does not grow with the number of subscribers", async () => {
    let queries = 0;
    const server = await startTestServer(provider, { onQuery: () => queries++ });
    const members = Array.from({ length: 10 }, (_, i) => `member-${i}`);
    await signIn(server, "ann", ...members);

    async function costWith(subscriberCount: number): Promise<number> {
      const roomId = await createGroup(server, "ann", members);
      await ok(server, "ann", SEND, { r: roomId, c: "warm-up" });
      const connections: WsConnection[] = [];
      const subscriptions = [];
      for (const member of members.slice(0, subscriberCount)) {
        const connection = await connectWs(server, member);
        connections.push(connection);
        subscriptions.push(connection.subscribe(MESSAGE_ADDED, { r: roomId }));
      }
      await waitForListeners(server, roomId, subscriberCount);
      queries = 0;
      await ok(server, "ann", SEND, { r: roomId, c: "counted" });
      for (const subscription of subscriptions) {
        const [first] = await subscription.waitFor(1);
        expect(first?.data?.messageAdded).toMatchObject({ content: "counted", sender: { id: "ann" }, room: { id: roomId } });
      }
      const cost = queries;
      await Promise.all(connections.map((connection) => connection.dispose()));
      return cost;
    }

    const one = await costWith(1);
    const ten = await costWith(10);
    expect(one).toBeGreaterThan(0);
    expect(ten).toBe(one);
  });
});
