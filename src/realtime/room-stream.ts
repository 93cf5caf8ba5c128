// One subscriber's streams. A room stream with `afterSeq` first replays what the client missed
// from the database, then continues live, dropping every message at or below the last one sent,
// so nothing is lost or repeated even when messages arrive during the replay. Past the replay
// limit it sends one reset event instead. A stream ends the moment its viewer stops being a
// member (removed, left, room deleted).
import type { Db } from "../db/client.js";
import type { Room } from "../generated/sqlite/client.js";
import type { UserEvent } from "./events.js";
import { EventQueue } from "./event-queue.js";
import { MESSAGE_INCLUDE, type DeliveredEvent, type RealtimeHub, type RoomWatch } from "./hub.js";

export interface ResetEvent {
  kind: "RESET";
  roomId: string;
  /** The room's newest seq: reload history through `messages`, then resume with this. */
  latestSeq: number;
}

export type ViewerUserEvent = UserEvent & { room?: Room | null };

export type StreamEvent = DeliveredEvent | ResetEvent | ViewerUserEvent;

export interface StreamOptions {
  hub: RealtimeHub;
  db: Db;
  viewerId: string;
  /** Most messages a resume replays before it sends a reset instead. */
  replayLimit: number;
  /** Most events buffered for a subscriber that does not keep up. */
  bufferLimit: number;
  /** Called when the subscriber fell `bufferLimit` events behind. */
  onOverflow: () => void;
}

/** Typing and presence are for the others in the room, not for the user's own devices. */
const ownTyping = (event: DeliveredEvent, viewerId: string) =>
  (event.kind === "TYPING" || event.kind === "PRESENCE_CHANGED") && event.userId === viewerId;

/** Does this event end the viewer's access to the room? */
function endsAccess(event: DeliveredEvent, viewerId: string): boolean {
  return event.kind === "ROOM_DELETED" || (event.kind === "MEMBERS_REMOVED" && event.userIds.includes(viewerId));
}

export async function openRoomStream(
  options: StreamOptions & { roomId: string; afterSeq: number | null; messagesOnly: boolean },
): Promise<EventQueue<StreamEvent>> {
  const { hub, db, viewerId, roomId, afterSeq, messagesOnly } = options;
  const queue = new EventQueue<StreamEvent>(options.bufferLimit, options.onOverflow);
  hub.track(queue);
  const early: DeliveredEvent[] = [];
  let replaying = true;
  let lastSent = 0;

  const handle = (event: DeliveredEvent, watch: RoomWatch) => {
    if (event.kind === "MESSAGE_ADDED") {
      if (event.seq <= lastSent) return;
      lastSent = event.seq;
    }
    if (ownTyping(event, viewerId)) return;
    const ending = endsAccess(event, viewerId);
    if (!ending && !watch.mayReceive(viewerId)) return queue.end();
    if (!messagesOnly || event.kind === "MESSAGE_ADDED") queue.push(event);
    if (ending) queue.end();
  };

  let watch: RoomWatch | null = null;
  watch = await hub.watchRoom(roomId, (event) => (replaying || !watch ? early.push(event) : handle(event, watch)));
  const active = watch;
  queue.onEnd(() => active.stop());
  // The PermissionHandler allowed this viewer a moment ago (authorizeOnSubscribe).
  active.admit(viewerId);

  if (afterSeq === null) {
    lastSent = active.startSeq;
  } else {
    // In a transaction: on SQLite this keeps a send that has not committed out of the replay.
    const missed = await db.$transaction((tx) =>
      tx.message.findMany({
        where: { roomId, seq: { gt: afterSeq }, isDeleted: false },
        include: MESSAGE_INCLUDE,
        orderBy: { seq: "asc" },
        take: options.replayLimit + 1,
      }),
    );
    if (missed.length > options.replayLimit) {
      const room = await db.room.findUnique({ where: { id: roomId }, select: { lastSeq: true } });
      lastSent = Math.max(room?.lastSeq ?? 0, active.startSeq);
      queue.push({ kind: "RESET", roomId, latestSeq: lastSent });
    } else {
      lastSent = afterSeq;
      for (const message of missed) {
        lastSent = message.seq;
        queue.push({ kind: "MESSAGE_ADDED", roomId, seq: message.seq, messageId: message.id, message });
      }
    }
  }
  replaying = false;
  for (const event of early.splice(0)) handle(event, active);
  return queue;
}

/** Presence changes a viewerEvents stream remembers, to pass each on once whatever the number of
 * rooms it came through. */
const RECENT_PRESENCE_CHANGES = 32;

/** Everything the viewer may see: the events of all their rooms, joins and removals, notifications. */
export async function openViewerStream(options: StreamOptions): Promise<EventQueue<StreamEvent>> {
  const stream = new ViewerStream(options);
  const rooms = await options.db.roomMember.findMany({ where: { userId: options.viewerId }, select: { roomId: true } });
  await Promise.all(rooms.map((room) => stream.watch(room.roomId)));
  return stream.queue;
}

/** One viewerEvents subscription. A class rather than closures: thousands of them sit idle. */
class ViewerStream {
  readonly queue: EventQueue<StreamEvent>;
  /** The rooms watched; made with the first one. null while a watch is being set up: the initial
   * room list and an ADDED_TO_ROOM event can name the same room at once, and two watches would
   * deliver each event twice. */
  private watches: Map<string, RoomWatch | null> | null = null;
  /** The last presence changes passed on (passedOn()); made with the first. */
  private recentPresence: string[] | null = null;
  /** Rooms the viewer was added to while their watch was being set up. */
  private admitWhenSet: Set<string> | null = null;
  private readonly stopUser: () => void;
  private readonly hub: RealtimeHub;
  private readonly db: Db;
  private readonly viewerId: string;

  constructor(options: StreamOptions) {
    ({ hub: this.hub, db: this.db, viewerId: this.viewerId } = options);
    this.queue = new EventQueue<StreamEvent>(options.bufferLimit, options.onOverflow);
    this.hub.track(this.queue);
    this.stopUser = this.hub.watchUser(this.viewerId, this.onUserEvent.bind(this));
    this.queue.onEnd(this.close.bind(this));
  }

  async watch(roomId: string, admit = false): Promise<void> {
    const watches = (this.watches ??= new Map());
    if (watches.has(roomId)) {
      const current = watches.get(roomId);
      if (admit && current) current.admit(this.viewerId);
      else if (admit) (this.admitWhenSet ??= new Set()).add(roomId);
      return;
    }
    watches.set(roomId, null);
    const { hub, viewerId } = this;
    const roomWatch = await hub.watchRoom(roomId, (event) => {
      if (watches.get(roomId) !== roomWatch || ownTyping(event, viewerId)) return;
      // The viewer hears of their own removal once, as REMOVED_FROM_ROOM on their user topic,
      // whichever of the two topics delivers first; the room's version is not repeated.
      if (endsAccess(event, viewerId) || !roomWatch.mayReceive(viewerId)) return this.unwatch(roomId);
      if (event.kind === "PRESENCE_CHANGED" && this.passedOn(event)) return;
      this.queue.push(event);
    });
    // Just added: this instance may not have seen the room's MEMBERS_ADDED event yet.
    if (this.admitWhenSet?.delete(roomId) || admit) roomWatch.admit(viewerId);
    // Ended, or removed from the room, while the watch was being set up.
    if (this.queue.done || watches.get(roomId) !== null) roomWatch.stop();
    else watches.set(roomId, roomWatch);
  }

  /** Has this presence change gone out already? It reaches the stream through every room the
   * viewer shares with the user, and goes out once. The copies of one change are queued together,
   * so the last few changes are all there is to remember. */
  private passedOn(event: { userId: string; online: boolean; lastSeenAt: string }): boolean {
    const key = `${event.online ? "+" : "-"}${event.lastSeenAt} ${event.userId}`;
    const recent = (this.recentPresence ??= []);
    if (recent.includes(key)) return true;
    recent.push(key);
    if (recent.length > RECENT_PRESENCE_CHANGES) recent.shift();
    return false;
  }

  private unwatch(roomId: string): void {
    this.watches?.get(roomId)?.stop();
    this.watches?.delete(roomId);
  }

  private onUserEvent(event: UserEvent): void {
    void (async () => {
      if (event.kind === "ADDED_TO_ROOM") {
        await this.watch(event.roomId, true);
        this.queue.push({ ...event, room: await this.db.room.findUnique({ where: { id: event.roomId } }) });
      } else {
        if (event.kind === "REMOVED_FROM_ROOM") this.unwatch(event.roomId);
        this.queue.push(event);
      }
    })().catch((error: unknown) => this.queue.fail(error));
  }

  private close(): void {
    this.stopUser();
    for (const roomId of [...(this.watches?.keys() ?? [])]) this.unwatch(roomId);
  }
}
