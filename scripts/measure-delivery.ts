// Server CPU per delivery: one room of N members (default 100), M messages/s (default 100) for
// S seconds (default 5), each member subscribed over graphql-ws. The server runs in its own process
// and reports process.cpuUsage(). Two phases with the same sends: one subscriber, then all N; the
// difference divided by the extra deliveries is the marginal cost of a delivery, without the cost
// of the sends themselves. A measurement, not a test: it asserts nothing.
//
//   npx tsx scripts/measure-delivery.ts [--members 100] [--rate 100] [--seconds 5] [--viewer]
//     [--cpu-prof DIR] [--notifications]
// --viewer adds a field about the viewer (viewerReaction), which is executed per subscriber.
// --cpu-prof DIR also writes a CPU profile of the server process into DIR.
// Notifications (one row per recipient per message) are off unless --notifications: they cost
// the send, not the delivery, and their noise hides what a delivery costs.
import { connect, gql, option, startServerProcess, token, until, type RawConnection } from "./measure/harness.js";

const members = Number(option("members", "100"));
const rate = Number(option("rate", "100"));
const seconds = Number(option("seconds", "5"));
const profileDir = option("cpu-prof", "");
const viewerField = process.argv.includes("--viewer") ? " viewerReaction" : "";
const QUERY = `subscription($r: ID!) { messageAdded(roomId: $r) { id seq content createdAt sender { id username }${viewerField} } }`;
const SEND = `mutation($r: ID!, $c: String!) { sendMessage(input: { roomId: $r, content: $c }) { seq } }`;

interface Cpu {
  user: number;
  system: number;
}

async function main(): Promise<void> {
  const server = await startServerProcess(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [], {
    ENABLE_NOTIFICATIONS: String(process.argv.includes("--notifications")),
  });
  try {
    const userIds = Array.from({ length: members }, (_, i) => `member-${i}`);
    for (const userId of userIds) await gql(server.url, userId, "{ viewer { id } }");
    const { createGroupChat } = await gql(server.url, userIds[0]!, `mutation($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }`, {
      i: { name: "measure", participantIds: userIds.slice(1), maxParticipants: Math.max(members, 2) },
    });
    const roomId: string = createGroupChat.id;
    let received = 0;
    const connections: RawConnection[] = [];
    const subscribe = async (userId: string) => {
      const connection = await connect(server.url, await token(userId), (payload) => {
        if (payload.data?.messageAdded) received += 1;
        else console.error("unexpected payload", JSON.stringify(payload));
      });
      connection.subscribe("1", QUERY, { r: roomId });
      connections.push(connection);
    };
    const sendAll = async () => {
      const total = rate * seconds;
      const started = Date.now();
      const sends: Promise<unknown>[] = [];
      for (let n = 0; n < total; n++) {
        const wait = started + (n * 1000) / rate - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        sends.push(gql(server.url, userIds[0]!, SEND, { r: roomId, c: `message ${n}` }));
      }
      await Promise.all(sends);
      return total;
    };
    const phase = async (subscribers: number) => {
      while (connections.length < subscribers) await subscribe(userIds[connections.length]!);
      await until(async () => (await server.ask<number>({ type: "listeners", roomId })) === subscribers, "subscribers");
      received = 0;
      const before = await server.ask<Cpu>({ type: "cpu" });
      const started = Date.now();
      const sent = await sendAll();
      await until(() => received >= sent * subscribers, `${sent * subscribers} deliveries (got ${received})`);
      const elapsed = (Date.now() - started) / 1000;
      const after = await server.ask<Cpu>({ type: "cpu" });
      const cpuMicros = after.user - before.user + (after.system - before.system);
      console.log(
        `${String(subscribers).padStart(4)} subscribers: ${sent} messages, ${received} deliveries in ${elapsed.toFixed(1)} s, ` +
          `server CPU ${(cpuMicros / 1e6).toFixed(2)} s = ${(cpuMicros / received).toFixed(1)} µs per delivery`,
      );
      return { cpuMicros, deliveries: received };
    };

    console.log(`room of ${members} members, ${rate} messages/s for ${seconds} s; ${QUERY}`);
    const one = await phase(1);
    const all = await phase(members);
    const marginal = (all.cpuMicros - one.cpuMicros) / (all.deliveries - one.deliveries);
    console.log(`marginal server CPU per delivery (sends excluded): ${marginal.toFixed(1)} µs`);
    for (const connection of connections) connection.socket.close();
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
