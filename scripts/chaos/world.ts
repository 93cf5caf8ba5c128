// The population of a chaos run: users in group rooms, one subscriber per user and one sender per
// room, all against the given server instances; and the tally of what each one saw.
import { inBatches } from "../bench/load/clients.js";
import { Sender, Subscriber, Tokens, post, type SubscriptionField } from "./clients.js";
import type { ServerInstance } from "./server.js";

/** What subscribers received, for one of them or summed. */
export interface DeliveryCounts {
  delivered: number;
  /** Acknowledged sends of the room never received. */
  lost: number;
  duplicated: number;
  outOfOrder: number;
  resets: number;
  connects: number;
}

export interface ClientTally extends DeliveryCounts {
  user: string;
  room: string;
  field: SubscriptionField;
  errors: Record<string, number>;
}

export interface SenderTally {
  user: string;
  room: string;
  sent: number;
  acknowledged: number;
  retries: number;
  gaveUp: number;
  errors: Record<string, number>;
}

export interface Tally extends DeliveryCounts {
  sent: number;
  acknowledged: number;
  gaveUp: number;
  expectedDeliveries: number;
  senders: SenderTally[];
  clients: ClientTally[];
}

async function ok(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const result = await post(url, token, query, variables);
  if (result.errors?.length || !result.data) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

export class World {
  readonly subscribers: Subscriber[] = [];
  readonly senders: Sender[] = [];

  private constructor(private readonly instances: ServerInstance[]) {}

  /** Creates `clients` users in rooms of `roomSize`, subscribes every one of them and readies one
   * sender per room (not started). */
  static async populate(instances: ServerInstance[], tokens: Tokens, clients: number, roomSize: number, prefix: string): Promise<World> {
    const world = new World(instances);
    const urls = () => instances.map((instance) => instance.url);
    const first = instances[0]!.url;
    const users = Array.from({ length: clients }, (_, i) => `${prefix}${i}`);
    // Users are created on their first request.
    await inBatches(users, 16, async (user) => void (await ok(first, tokens.for(user), "{ viewer { id } }")));
    const groups: string[][] = [];
    for (let i = 0; i < users.length; i += roomSize) groups.push(users.slice(i, i + roomSize));
    const rooms = new Map<string[], string>();
    await inBatches(groups, 4, async (members) => {
      const [creator, ...others] = members as [string, ...string[]];
      const data = await ok(first, tokens.for(creator), "mutation($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }", {
        i: { name: `chaos ${creator}`, participantIds: others, maxParticipants: Math.max(100, members.length) },
      });
      rooms.set(members, data.createGroupChat.id as string);
    });
    let index = 0;
    for (const members of groups) {
      const room = rooms.get(members)!;
      world.senders.push(new Sender(members[0]!, room, urls, tokens.for(members[0]!), world.senders.length));
      for (const user of members) {
        const field: SubscriptionField = index % 2 === 0 ? "roomEvents" : "messageAdded";
        world.subscribers.push(new Subscriber(user, room, field, urls, tokens.for(user), index));
        index += 1;
      }
    }
    await inBatches(world.subscribers, 50, (subscriber) => subscriber.start());
    return world;
  }

  startSending(messagesPerSecond: number): void {
    const intervalMs = (1000 * this.senders.length) / messagesPerSecond;
    for (const sender of this.senders) sender.start(intervalMs);
  }

  /** Stops new sends and waits for those in flight (retried for up to `graceMs`). */
  async stopSending(graceMs: number): Promise<void> {
    await Promise.all(this.senders.map((sender) => sender.stop(graceMs)));
  }

  /** Waits until every subscriber has its room's newest acknowledged seq (or `timeoutMs` passed). */
  async drain(timeoutMs: number): Promise<boolean> {
    const newest = new Map<string, number>();
    for (const sender of this.senders) newest.set(sender.room, Math.max(0, ...sender.acks.keys()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.subscribers.every((subscriber) => subscriber.lastSeq >= (newest.get(subscriber.room) ?? 0))) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }

  /** Drops every subscriber's connection at the same moment; each reconnects with afterSeq. */
  dropAll(): void {
    for (const subscriber of this.subscribers) subscriber.drop();
  }

  close(): void {
    for (const subscriber of this.subscribers) subscriber.stop();
  }

  tally(): Tally {
    const acksByRoom = new Map<string, Map<number, string>>();
    for (const sender of this.senders) acksByRoom.set(sender.room, sender.acks);
    const clients: ClientTally[] = this.subscribers.map((subscriber) => {
      const acks = acksByRoom.get(subscriber.room) ?? new Map();
      let lost = 0;
      for (const seq of acks.keys()) if (!subscriber.delivered.has(seq)) lost += 1;
      return {
        user: subscriber.user,
        room: subscriber.room,
        field: subscriber.field,
        delivered: subscriber.delivered.size,
        lost,
        duplicated: subscriber.duplicated,
        outOfOrder: subscriber.outOfOrder,
        resets: subscriber.resets,
        connects: subscriber.connects,
        errors: Object.fromEntries(subscriber.errors),
      };
    });
    const senders: SenderTally[] = this.senders.map((sender) => ({
      user: sender.user,
      room: sender.room,
      sent: sender.sent,
      acknowledged: sender.acknowledged,
      retries: sender.retries,
      gaveUp: sender.failedFinally,
      errors: Object.fromEntries(sender.errors),
    }));
    const sum = <T>(items: T[], pick: (item: T) => number) => items.reduce((total, item) => total + pick(item), 0);
    return {
      sent: sum(senders, (s) => s.sent),
      acknowledged: sum(senders, (s) => s.acknowledged),
      gaveUp: sum(senders, (s) => s.gaveUp),
      expectedDeliveries: sum(this.subscribers, (s) => acksByRoom.get(s.room)?.size ?? 0),
      delivered: sum(clients, (c) => c.delivered),
      lost: sum(clients, (c) => c.lost),
      duplicated: sum(clients, (c) => c.duplicated),
      outOfOrder: sum(clients, (c) => c.outOfOrder),
      resets: sum(clients, (c) => c.resets),
      connects: sum(clients, (c) => c.connects),
      senders,
      clients,
    };
  }
}
