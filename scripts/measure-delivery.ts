// Server CPU per delivery, measured two ways on one room of N members (default 100), each
// subscribed over graphql-ws, with the server in its own process reporting process.cpuUsage():
// - messages: M messages/s (default 100) for S seconds (default 5) sent over HTTP, with one
//   subscriber and then with all N; CPU per delivery in all, and the difference divided by the extra
//   deliveries (the marginal cost of a subscriber, sends excluded; noisy, sends cost milliseconds);
// - typing: the same rate of typing events published inside the server process (no HTTP, no
//   database), to roomEvents subscribers: what a delivery itself costs.
// A measurement, not a test: it asserts nothing.
//
//   npx tsx scripts/measure-delivery.ts [--members 100] [--rate 100] [--seconds 5] [--viewer]
//     [--only messages|typing] [--cpu-prof DIR] [--notifications]
// --viewer adds a field about the viewer (viewerReaction), which is executed per subscriber.
// --cpu-prof DIR also writes a CPU profile of the server process per phase into DIR
// (summarise one with scripts/measure/cpu-profile-summary.ts).
// Notifications (one row per recipient per message) are off unless --notifications: they cost
// the send, not the delivery, and their noise hides what a delivery costs.
import { connect, gql, option, startServerProcess, token, until, type RawConnection } from "./measure/harness.js";

const members = Number(option("members", "100"));
const rate = Number(option("rate", "100"));
const seconds = Number(option("seconds", "5"));
const only = option("only", "");
const profileDir = option("cpu-prof", "");
const viewerField = process.argv.includes("--viewer") ? " viewerReaction" : "";
const MESSAGES = `subscription($r: ID!) { messageAdded(roomId: $r) { id seq content createdAt sender { id username }${viewerField} } }`;
// Without `user`: each execution would look the typist up in the database (once per event when
// shared, once per subscription before), which is not what a delivery costs.
const TYPING = `subscription($r: ID!) { roomEvents(roomId: $r) { __typename kind roomId } }`;
const SEND = `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`;

interface Cpu {
  user: number;
  system: number;
}

async function main(): Promise<void> {
  const server = await startServerProcess([], {
    ENABLE_NOTIFICATIONS: String(process.argv.includes("--notifications")),
  });
  try {
    const userIds = Array.from({ length: members }, (_, i) => `member-${i}`);
    for (const userId of [...userIds, "typist"]) await gql(server.url, userId, "{ viewer { id } }");
    const createRoom = async () =>
      (
        await gql(server.url, userIds[0]!, `mutation($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }`, {
          i: { name: "measure", participantIds: userIds.slice(1), maxParticipants: Math.max(members, 2) },
        })
      ).createGroupChat.id as string;
    let received = 0;
    const connections: RawConnection[] = [];
    const subscribe = async (userId: string, query: string, roomId: string) => {
      const connection = await connect(server.url, await token(userId), (payload) => {
        if (payload.data && !payload.errors) received += 1;
        else console.error("unexpected payload", JSON.stringify(payload));
      });
      connection.subscribe("1", query, { r: roomId });
      connections.push(connection);
    };
    const paced = async (count: number, act: (n: number) => Promise<unknown>) => {
      const started = Date.now();
      const pending: Promise<unknown>[] = [];
      for (let n = 0; n < count; n++) {
        const wait = started + (n * 1000) / rate - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        pending.push(act(n));
      }
      await Promise.all(pending);
    };
    const count = rate * seconds;
    const phase = async (label: string, roomId: string, query: string, subscribers: number, produce: () => Promise<unknown>) => {
      for (const connection of connections.splice(0)) connection.socket.close();
      await until(async () => (await server.ask<number>({ type: "listeners", roomId })) === 0, "no subscribers");
      for (const userId of userIds.slice(0, subscribers)) await subscribe(userId, query, roomId);
      await until(async () => (await server.ask<number>({ type: "listeners", roomId })) === subscribers, "subscribers");
      received = 0;
      if (profileDir) await server.ask({ type: "profile-start" });
      const before = await server.ask<Cpu>({ type: "cpu" });
      const started = Date.now();
      await produce();
      await until(() => received >= count * subscribers, `${count * subscribers} deliveries (got ${received})`);
      const after = await server.ask<Cpu>({ type: "cpu" });
      if (profileDir) await server.ask({ type: "profile-stop", path: `${profileDir}/${label}-${subscribers}.cpuprofile` });
      const cpuMicros = after.user - before.user + (after.system - before.system);
      console.log(
        `${String(subscribers).padStart(4)} subscribers: ${received} deliveries in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `server CPU ${(cpuMicros / 1e6).toFixed(2)} s = ${(cpuMicros / received).toFixed(1)} µs per delivery`,
      );
      return { cpuMicros, deliveries: received };
    };
    const compare = async (label: string, title: string, roomId: string, query: string, produce: () => Promise<unknown>) => {
      console.log(`\n${title}: ${members}-member room, ${rate}/s for ${seconds} s; ${query}`);
      const one = await phase(label, roomId, query, 1, produce);
      const all = await phase(label, roomId, query, members, produce);
      const marginal = (all.cpuMicros - one.cpuMicros) / (all.deliveries - one.deliveries);
      console.log(`marginal server CPU per delivery: ${marginal.toFixed(1)} µs`);
    };

    if (only !== "typing") {
      const roomId = await createRoom();
      await compare("messages", "messages over HTTP", roomId, MESSAGES, () =>
        paced(count, (n) => gql(server.url, userIds[0]!, SEND, { r: roomId, c: `message ${n}` })),
      );
    }
    if (only !== "messages") {
      const roomId = await createRoom();
      await compare("typing", "typing events published in the server", roomId, TYPING, () =>
        server.ask({ type: "typing", roomId, userId: "typist", count, rate }),
      );
    }
    for (const connection of connections) connection.socket.close();
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
