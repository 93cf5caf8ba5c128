// The per-instance side of realtime: one channel per room that has local subscribers. A channel
// listens to the room's topic once, keeps who may receive the room's events in memory (kept
// current by the membership events themselves, so no query per subscriber per event), puts
// message events in `seq` order, fetching a gap from the database when one shows, and loads each
// event's payload once for all of its local subscribers.
import type { Db } from "../db/client.js";
import type { LoadedMessage } from "../db/loaders.js";
import type { Room } from "../generated/sqlite/client.js";
import type { EventBus } from "./event-bus.js";
import {
  membershipChange,
  presenceTopic as presenceTopicOf,
  roomTopic,
  userTopic,
  type PresenceEvent,
  type RoomEvent,
  type UserEvent,
} from "./events.js";

export type { LoadedMessage };

/** A room event as local subscribers receive it: with its payload loaded. */
export type DeliveredEvent = RoomEvent & { message?: LoadedMessage | null; room?: Room | null };

export type RoomListener = (event: DeliveredEvent) => void;

export interface RoomWatch {
  /** The last message seq this room's channel had delivered when the watch began. */
  readonly startSeq: number;
  /** May `userId` receive this room's events (member, or admitted at subscribe time)? */
  mayReceive(userId: string): boolean;
  /** Records that the PermissionHandler allowed `userId` at subscribe time. */
  admit(userId: string): void;
  stop(): void;
}

export const MESSAGE_INCLUDE = {
  attachments: { orderBy: { position: "asc" } },
  reactions: { orderBy: { createdAt: "asc" } },
  sender: true,
  room: true,
} as const;

type Log = (message: string, error?: unknown) => void;

/** Stored messages a channel holds for events not arrived yet. */
const MAX_OFFERED = 10_000;

/** The local channels each user receives, so that a presence change reaches the user's rooms
 * without a look at every room this instance watches. */
class ChannelsByReceiver {
  private readonly byUser = new Map<string, Set<RoomChannel>>();

  add(userId: string, channel: RoomChannel): void {
    const channels = this.byUser.get(userId);
    if (channels) channels.add(channel);
    else this.byUser.set(userId, new Set([channel]));
  }

  remove(userId: string, channel: RoomChannel): void {
    const channels = this.byUser.get(userId);
    if (channels?.delete(channel) && channels.size === 0) this.byUser.delete(userId);
  }

  of(userId: string): ReadonlySet<RoomChannel> {
    return this.byUser.get(userId) ?? NO_CHANNELS;
  }
}

const NO_CHANNELS: ReadonlySet<RoomChannel> = new Set();

class RoomChannel {
  readonly listeners = new Set<RoomListener>();
  /** Listeners whose watch has begun (the channel had loaded its state). */
  established = 0;
  /** Who may receive the room's events; every change goes through addReceiver/removeReceiver,
   * which keep the hub's index of channels by receiver current. */
  private readonly receivers = new Set<string>();
  lastSeq = 0;
  /** Set once the members were read: until then `receivers` is empty, not the truth. */
  loaded = false;
  private closed = false;
  private chain: Promise<void>;
  private readonly unsubscribe: () => void;

  constructor(
    readonly roomId: string,
    private readonly db: Db,
    bus: EventBus,
    private readonly log: Log,
    private readonly index: ChannelsByReceiver,
  ) {
    // Listen first, then read the state: events that arrive meanwhile wait on the chain.
    this.unsubscribe = bus.subscribe(roomTopic(roomId), (payload) => this.enqueue(payload as RoomEvent));
    this.chain = this.load();
  }

  get ready(): Promise<void> {
    return this.chain;
  }

  private async load(): Promise<void> {
    // In a transaction: on SQLite this waits for a send in flight, whose seq must not be skipped.
    const room = await this.db.$transaction((tx) =>
      tx.room.findUnique({ where: { id: this.roomId }, select: { lastSeq: true, members: { select: { userId: true } } } }),
    );
    this.lastSeq = room?.lastSeq ?? 0;
    for (const member of room?.members ?? []) this.addReceiver(member.userId);
    this.loaded = true;
  }

  mayReceive(userId: string): boolean {
    return this.receivers.has(userId);
  }

  addReceiver(userId: string): void {
    this.receivers.add(userId);
    // A channel closed while it was loading finishes its load: it must not enter the index then.
    if (!this.closed) this.index.add(userId, this);
  }

  private removeReceiver(userId: string): void {
    this.receivers.delete(userId);
    this.index.remove(userId, this);
  }

  /** Messages this instance stored, by seq, until their event arrives: no read back. */
  private readonly offered = new Map<number, LoadedMessage>();

  /** Hands over a message this instance just stored, ahead of its MESSAGE_ADDED event. */
  offer(message: LoadedMessage): void {
    if (message.seq <= this.lastSeq) return;
    // Bounded: events lost with a broken bus would otherwise leave their messages here.
    if (this.offered.size >= MAX_OFFERED) this.offered.delete(this.offered.keys().next().value as number);
    this.offered.set(message.seq, message);
  }

  enqueue(event: RoomEvent): void {
    this.chain = this.chain.then(() => this.process(event)).catch((error) => this.log(`room ${this.roomId}: event failed`, error));
  }

  private async process(event: RoomEvent): Promise<void> {
    if (event.kind === "MESSAGE_ADDED") return this.deliverMessages(event.seq);
    // Decided here, in order: a member removed by an earlier event hears no more.
    if (event.kind === "PRESENCE_CHANGED" && !this.receivers.has(event.userId)) return;
    const change = membershipChange(event);
    if (change) for (const userId of change.added) this.addReceiver(userId);
    this.deliver({ ...event, ...(await this.payloadOf(event)) });
    // Removed users get the removal itself, then nothing more.
    if (change) for (const userId of change.removed) this.removeReceiver(userId);
  }

  /** Delivers every message after lastSeq up to `seq`, in order: the event's own and any gap. */
  private async deliverMessages(seq: number): Promise<void> {
    if (seq <= this.lastSeq) return;
    const messages = this.takeOffered(seq) ?? (await this.loadMessages(seq));
    this.lastSeq = seq;
    for (const message of messages) {
      this.deliver({ kind: "MESSAGE_ADDED", roomId: this.roomId, seq: message.seq, messageId: message.id, message });
    }
  }

  /** The messages after lastSeq up to `seq` when this instance stored every one of them. */
  private takeOffered(seq: number): LoadedMessage[] | null {
    const messages: LoadedMessage[] = [];
    for (let next = this.lastSeq + 1; next <= seq; next++) {
      const message = this.offered.get(next);
      if (!message) break;
      messages.push(message);
    }
    for (const known of this.offered.keys()) if (known <= seq) this.offered.delete(known);
    return messages.length === seq - this.lastSeq ? messages : null;
  }

  private loadMessages(seq: number): Promise<LoadedMessage[]> {
    return this.db.message.findMany({
      where: { roomId: this.roomId, seq: { gt: this.lastSeq, lte: seq }, isDeleted: false },
      include: MESSAGE_INCLUDE,
      orderBy: { seq: "asc" },
    });
  }

  private async payloadOf(event: RoomEvent): Promise<Pick<DeliveredEvent, "message" | "room">> {
    switch (event.kind) {
      case "MESSAGE_EDITED":
      case "REACTION_CHANGED":
        return { message: await this.db.message.findUnique({ where: { id: event.messageId }, include: MESSAGE_INCLUDE }) };
      case "ROOM_UPDATED":
      case "MEMBERS_ADDED":
      case "MEMBERS_REMOVED":
        return { room: await this.db.room.findUnique({ where: { id: this.roomId } }) };
      default:
        return {};
    }
  }

  private deliver(event: DeliveredEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log(`room ${this.roomId}: a subscriber failed`, error);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const userId of this.receivers) this.index.remove(userId, this);
  }
}

/** A subscriber's open stream, as the hub needs it to end it on shutdown. */
export interface TrackedStream {
  end(): void;
  onEnd(cleanup: () => void): void;
}

export class RealtimeHub {
  private readonly channels = new Map<string, RoomChannel>();
  private readonly channelsByReceiver = new ChannelsByReceiver();
  /** Channels still reading their members: they cannot tell yet whom an event is for. */
  private readonly loadingChannels = new Set<RoomChannel>();
  private readonly userListeners = new Map<string, number>();
  private readonly streams = new Set<TrackedStream>();
  private readonly stopPresence: () => void;

  constructor(
    private readonly bus: EventBus,
    private readonly db: Db,
    private readonly log: Log = (message, error) => console.error(message, error),
    /** The topic presence changes travel on (events.ts presenceTopic). */
    private readonly presenceTopic = presenceTopicOf(""),
  ) {
    this.stopPresence = bus.subscribe(presenceTopic, (payload) => this.deliverPresence(payload as PresenceEvent));
  }

  /** Publishes a presence change once; every instance passes it to its subscribers of the rooms
   * the user is a member of. */
  publishPresence(event: PresenceEvent): void {
    this.bus.publish(this.presenceTopic, event);
  }

  private deliverPresence(event: PresenceEvent): void {
    const { userId, online, lastSeenAt } = event;
    // Into the queues of the user's rooms, behind the membership events before it (process()
    // decides on the members then); a channel still loading cannot tell yet, so it gets it too.
    for (const channels of [this.channelsByReceiver.of(userId), this.loadingChannels]) {
      for (const channel of channels) {
        channel.enqueue({ kind: "PRESENCE_CHANGED", roomId: channel.roomId, userId, online, lastSeenAt });
      }
    }
  }

  publishRoom(event: RoomEvent): void {
    this.bus.publish(roomTopic(event.roomId), event);
  }

  /** Publishes a message this instance stored. With its payload, local subscribers receive it
   * without the channel reading it back (other instances load it once each). */
  publishMessage(event: Extract<RoomEvent, { kind: "MESSAGE_ADDED" }>, payload?: LoadedMessage): void {
    if (payload) this.channels.get(event.roomId)?.offer(payload);
    this.publishRoom(event);
  }

  publishUser(event: UserEvent): void {
    this.bus.publish(userTopic(event.userId), event);
  }

  /** Starts delivering the room's events to `listener`, once the channel knows its state. */
  async watchRoom(roomId: string, listener: RoomListener): Promise<RoomWatch> {
    let channel = this.channels.get(roomId);
    if (!channel) {
      const loading = new RoomChannel(roomId, this.db, this.bus, this.log, this.channelsByReceiver);
      this.channels.set(roomId, loading);
      this.loadingChannels.add(loading);
      const loaded = () => void this.loadingChannels.delete(loading);
      // A failed load is the watcher's error (it awaits ready below), not one more to handle here.
      loading.ready.then(loaded, loaded);
      channel = loading;
    }
    const current = channel;
    current.listeners.add(listener);
    await current.ready;
    current.established += 1;
    let stopped = false;
    return {
      startSeq: current.lastSeq,
      mayReceive: (userId) => current.mayReceive(userId),
      admit: (userId) => current.addReceiver(userId),
      stop: () => {
        if (stopped) return;
        stopped = true;
        current.established -= 1;
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.channels.get(roomId) === current) {
          this.channels.delete(roomId);
          this.loadingChannels.delete(current);
          current.close();
        }
      },
    };
  }

  watchUser(userId: string, listener: (event: UserEvent) => void): () => void {
    const stop = this.bus.subscribe(userTopic(userId), (payload) => listener(payload as UserEvent));
    this.userListeners.set(userId, (this.userListeners.get(userId) ?? 0) + 1);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      stop();
      const left = (this.userListeners.get(userId) ?? 1) - 1;
      if (left > 0) this.userListeners.set(userId, left);
      else this.userListeners.delete(userId);
    };
  }

  /** Registers a subscriber's stream until it ends, so that endStreams() can complete it. */
  track(stream: TrackedStream): void {
    this.streams.add(stream);
    stream.onEnd(() => this.streams.delete(stream));
  }

  /** Completes every open stream (shutdown): SSE clients see the end of their subscriptions. */
  endStreams(): void {
    for (const stream of [...this.streams]) stream.end();
  }

  /** Resolves when the event transport works (readiness: Redis answers PING). */
  ping(): Promise<void> {
    return this.bus.ping();
  }

  /** Rooms with local subscribers (for metrics). */
  get watchedRooms(): number {
    return this.channels.size;
  }

  /** Local viewerEvents subscribers of one user (tests wait on it before they act). */
  userListenerCount(userId: string): number {
    return this.userListeners.get(userId) ?? 0;
  }

  /** Local subscribers of one room receiving events now (tests wait on it before they act). */
  listenerCount(roomId: string): number {
    return this.channels.get(roomId)?.established ?? 0;
  }

  close(): Promise<void> {
    this.stopPresence();
    this.endStreams();
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
    return this.bus.close();
  }
}
