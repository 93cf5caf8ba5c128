// Hands committed changes to the server's ChatEventHandler without ever making the change wait:
// the hooks (src/realtime/publish.ts) only append to a bounded queue, which one worker empties
// in order, one call at a time. Each call is bounded by EVENT_HANDLER_TIMEOUT_MS: a call that
// hangs is abandoned (logged, counted) and the queue moves on. A full queue drops the new event
// (counted). A method the handler does not override is never queued, so a server without an
// event handler does no work per change beyond one boolean test.
import { randomUUID } from "node:crypto";
import type { Counter } from "prom-client";
import type { Db } from "../db/client.js";
import type { Attachment, Message, Room } from "../generated/sqlite/client.js";
import type { Logger } from "../logger.js";
import {
  CHAT_EVENT_METHODS,
  handles,
  type ChatEventBase,
  type ChatEventHandler,
  type ChatEventMethod,
  type ChatEventNotification,
  type MembersChangedEvent,
  type MessageSentEvent,
  type NotificationCreatedEvent,
  type RoomCreatedEvent,
  type RoomDeletedEvent,
} from "./chat-event-handler.js";
import { eventMessage, eventRoom } from "./plain-data.js";

/** Which of `userIds` are online (src/presence). */
export type OnlineAmong = (userIds: readonly string[]) => Promise<ReadonlySet<string>>;

interface EventOf {
  onMessageSent: MessageSentEvent;
  onNotificationCreated: NotificationCreatedEvent;
  onMembersChanged: MembersChangedEvent;
  onRoomCreated: RoomCreatedEvent;
  onRoomDeleted: RoomDeletedEvent;
}

export type CallOutcome = "ok" | "error" | "timeout";

export interface EventDispatcherMetrics {
  calls: Counter<"method" | "outcome">;
  dropped: Counter<"method">;
}

export interface EventDispatcherOptions {
  handler: ChatEventHandler;
  db: Db;
  onlineAmong: OnlineAmong;
  /** EVENT_HANDLER_TIMEOUT_MS */
  timeoutMs: number;
  /** EVENT_HANDLER_QUEUE_LIMIT */
  queueLimit: number;
  /** ENABLE_NOTIFICATIONS: a reply's notification is looked up only then. */
  notifications: boolean;
  log: Logger;
  metrics: EventDispatcherMetrics;
}

/** One queued call. `build` runs in the worker (off the request path, so whatever it throws is the
 * call's error, never the mutation's) and may read the database; null means there is nothing to
 * tell (a reply that stored no notification). */
interface Job {
  method: ChatEventMethod;
  eventId: string;
  build(): Promise<ChatEventBase | null> | ChatEventBase | null;
}

const newEventBase = (): ChatEventBase => ({ id: randomUUID(), occurredAt: new Date().toISOString() });

export class EventDispatcher {
  private readonly wanted: ReadonlySet<ChatEventMethod>;
  private readonly queue: Job[] = [];
  private working = false;
  private closed = false;
  /** Set while the queue is full, so a burst of drops is logged once. */
  private dropping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: EventDispatcherOptions) {
    this.wanted = new Set(CHAT_EVENT_METHODS.filter((method) => handles(options.handler, method)));
  }

  /** Does the handler react to anything? */
  get active(): boolean {
    return this.wanted.size > 0;
  }

  /** Events waiting (the one being handled not included). */
  get queueLength(): number {
    return this.queue.length;
  }

  messageSent(message: Message, attachments: readonly Attachment[], room: Room): void {
    if (this.wanted.has("onMessageSent")) {
      const base = newEventBase();
      this.enqueue("onMessageSent", base.id, async () => ({
        ...base,
        message: eventMessage(message, attachments),
        room: eventRoom(room),
        recipients: await this.recipients(room.id, message.senderId, base.id),
      }));
    }
    // The send stored a REPLY notification in its own statement, when its conditions held (the
    // author is someone else and still a member); which one is read here, off the request path.
    if (message.replyToId && this.options.notifications && this.wanted.has("onNotificationCreated")) {
      const base = newEventBase();
      this.enqueue("onNotificationCreated", base.id, async () => {
        const row = await this.options.db.notification.findFirst({
          where: { messageId: message.id, type: "REPLY" },
          select: { id: true, userId: true, createdAt: true },
        });
        if (!row) return null;
        const notification: ChatEventNotification = {
          id: row.id,
          kind: "REPLY",
          userId: row.userId,
          roomId: message.roomId,
          messageId: message.id,
          actorId: message.senderId,
          createdAt: new Date(row.createdAt).toISOString(),
        };
        return { ...base, notification };
      });
    }
  }

  notificationCreated(notification: Omit<ChatEventNotification, "createdAt"> & { createdAt: Date }): void {
    if (!this.wanted.has("onNotificationCreated")) return;
    const base = newEventBase();
    this.enqueue("onNotificationCreated", base.id, () => ({
      ...base,
      notification: { ...notification, createdAt: new Date(notification.createdAt).toISOString() },
    }));
  }

  membersChanged(room: Room, added: readonly string[], removed: readonly string[], by: string): void {
    if (!this.wanted.has("onMembersChanged") || (added.length === 0 && removed.length === 0)) return;
    const base = newEventBase();
    const [addedIds, removedIds] = [[...added], [...removed]];
    this.enqueue("onMembersChanged", base.id, (): MembersChangedEvent => ({ ...base, room: eventRoom(room), added: addedIds, removed: removedIds, by }));
  }

  roomCreated(room: Room, memberIds: readonly string[], by: string): void {
    if (!this.wanted.has("onRoomCreated")) return;
    const base = newEventBase();
    const members = [...memberIds];
    this.enqueue("onRoomCreated", base.id, (): RoomCreatedEvent => ({ ...base, room: eventRoom(room), memberIds: members, by }));
  }

  roomDeleted(room: Room, formerMembers: readonly string[], by: string): void {
    if (!this.wanted.has("onRoomDeleted")) return;
    const base = newEventBase();
    const former = [...formerMembers];
    this.enqueue("onRoomDeleted", base.id, (): RoomDeletedEvent => ({ ...base, roomId: room.id, room: eventRoom(room), formerMembers: former, by }));
  }

  /** Stops taking events; waits at most `withinMs` for the queued ones to be handled, then drops
   * (and counts) what is left. A call still running then is abandoned. */
  async close(withinMs: number): Promise<void> {
    this.closed = true;
    if (this.working) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs))),
      ]);
      clearTimeout(timer);
    }
    const left = this.queue.splice(0);
    for (const job of left) this.options.metrics.dropped.inc({ method: job.method });
    if (left.length > 0) this.options.log.warn({ dropped: left.length }, "event handler: events still queued at shutdown were dropped");
  }

  /** Every member but the sender, each with whether they are online. The members are read with
   * one query; presence failing (Redis away) reports everyone offline rather than losing the event. */
  private async recipients(roomId: string, senderId: string, eventId: string): Promise<MessageSentEvent["recipients"]> {
    const members = await this.options.db.roomMember.findMany({ where: { roomId, userId: { not: senderId } }, select: { userId: true } });
    const userIds = members.map((member) => member.userId);
    let online: ReadonlySet<string> = new Set();
    if (userIds.length > 0) {
      try {
        online = await this.options.onlineAmong(userIds);
      } catch (error) {
        this.options.log.warn({ err: error, eventId }, "event handler: presence unavailable, recipients reported offline");
      }
    }
    return userIds.map((userId) => ({ userId, online: online.has(userId) }));
  }

  private enqueue(method: ChatEventMethod, eventId: string, build: Job["build"]): void {
    const { queueLimit, metrics, log } = this.options;
    if (this.closed || this.queue.length >= queueLimit) {
      metrics.dropped.inc({ method });
      if (!this.dropping) {
        this.dropping = true;
        log.warn({ eventId, method, queueLimit }, "event handler: queue full or closed, events are being dropped");
      }
      return;
    }
    this.queue.push({ method, eventId, build });
    if (!this.working) void this.work();
  }

  private async work(): Promise<void> {
    this.working = true;
    // Started from enqueue(): yield to I/O first, so the mutation that queued the event answers first.
    await new Promise((resolve) => setImmediate(resolve));
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      this.dropping = false;
      await this.run(job);
    }
    this.working = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** One call, bounded by the timeout; never throws. */
  private async run(job: Job): Promise<void> {
    const { handler, timeoutMs, log, metrics } = this.options;
    const { method, eventId } = job;
    const call = (async () => {
      const event = await job.build();
      if (!event) return false;
      await (handler[method] as (event: EventOf[typeof method]) => Promise<void>).call(handler, event as never);
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    let outcome: CallOutcome;
    try {
      const result = await Promise.race([call, timedOut]);
      if (result === false) return;
      outcome = result === "timeout" ? "timeout" : "ok";
    } catch (error) {
      outcome = "error";
      log.error({ err: error, eventId, method }, `event handler: ${method} failed`);
    } finally {
      clearTimeout(timer);
    }
    if (outcome === "timeout") {
      // Abandoned: what it does later is not waited for; a late failure is still logged.
      call.catch((error: unknown) => log.error({ err: error, eventId, method }, `event handler: ${method} failed after its timeout`));
      log.error({ eventId, method, timeoutMs }, `event handler: ${method} timed out after ${timeoutMs} ms`);
    }
    metrics.calls.inc({ method, outcome });
  }
}
