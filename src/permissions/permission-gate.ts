// One request's view of the PermissionHandler: each check runs at most once per request and
// argument, and the room a passed check returned is handed to the resolver instead of being
// loaded again. Scopes (schema/builder.ts) and resolvers both ask through here. It also words
// refusals: NOT_FOUND for a room the viewer may not know exists, as for a missing one.
import type { Db } from "../db/client.js";
import type { Room, RoomKind, User } from "../generated/sqlite/client.js";
import { NotFoundError, UnauthenticatedError } from "../errors.js";
import { withDb } from "./models.js";
import type { AdminAction, MemberRole, PermPhrase } from "./permission-helpers.js";
import type { PermissionHandler } from "./permission-handler.js";

export type RoomCheck = [boolean, Room];

export class PermissionGate {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    readonly handler: PermissionHandler,
    private readonly viewer: User | null,
    private readonly db: Db,
  ) {}

  private once<T>(key: string, check: (handler: PermissionHandler, viewer: User) => Promise<T>): Promise<T> {
    let pending = this.memo.get(key) as Promise<T> | undefined;
    if (!pending) {
      const viewer = this.viewer;
      // Anonymous callers never reach the handler.
      pending = viewer
        ? withDb(this.db, () => check(this.handler, viewer))
        : Promise.reject(new UnauthenticatedError());
      this.memo.set(key, pending);
    }
    return pending;
  }

  room(roomId: string): Promise<RoomCheck> {
    return this.once(`room:${roomId}`, (h, v) => h.haveRoomPermission(v, roomId));
  }

  send(roomId: string): Promise<RoomCheck> {
    return this.once(`send:${roomId}`, (h, v) => h.haveSendMessagePermission(v, { roomId }));
  }

  /** The check of a sendMessage, whose insert compares the room's accessVersion: it may start
   * from this instance's snapshot of the room. The insert catches an outdated "yes"; an outdated
   * "no" is caught here, by asking again on a fresh row before refusing. */
  sendMessage(roomId: string): Promise<RoomCheck> {
    return this.once(`send-insert:${roomId}`, async (h, v) => {
      const answer = await h.haveSendMessagePermission(v, { roomId, insertChecksAccessVersion: true });
      return answer[0] ? answer : this.send(roomId);
    });
  }

  /** Asks again, on a fresh room row, for a send whose room changed after it was allowed. */
  sendAgain(roomId: string): Promise<RoomCheck> {
    this.memo.delete(`send-insert:${roomId}`);
    this.memo.delete(`send:${roomId}`);
    return this.send(roomId);
  }

  members(roomId: string, permPhrase: PermPhrase): Promise<RoomCheck> {
    return this.once(`members:${permPhrase}:${roomId}`, (h, v) =>
      h.haveRoomPermissionsToAddOrRemoveMembers(v, roomId, permPhrase),
    );
  }

  admin(roomId: string, action: AdminAction): Promise<RoomCheck> {
    return this.once(`admin:${action}:${roomId}`, (h, v) => h.haveAdminPrivileges(v, roomId, action));
  }

  join(roomId: string): Promise<RoomCheck> {
    return this.once(`join:${roomId}`, (h, v) => h.haveJoinPermission(v, roomId));
  }

  create(kind: RoomKind): Promise<boolean> {
    return this.once(`create:${kind}`, (h, v) => h.haveCreateRoomPermission(v, kind));
  }

  messages(messageIds: readonly string[]): Promise<boolean> {
    return this.once(`messages:${[...messageIds].sort().join(",")}`, (h, v) =>
      h.haveMessagePermission(v, messageIds.length === 1 ? messageIds[0]! : messageIds),
    );
  }

  sender(messageIds: readonly string[]): Promise<RoomCheck> {
    return this.once(`sender:${[...messageIds].sort().join(",")}`, (h, v) =>
      h.isMessageSender(v, messageIds.length === 1 ? messageIds[0]! : messageIds),
    );
  }

  /** May the viewer see `userId`'s presence (online, last seen)? */
  presence(userId: string): Promise<boolean> {
    return this.once(`presence:${userId}`, (h, v) => h.canSeePresence(v, userId));
  }

  /** How `member` is shown in `room`, as the handler answers (viewerRole, RoomMembership.role). */
  memberRole(room: Room, member: User): Promise<MemberRole | null> {
    return this.once(`role:${room.id}:${member.id}`, (h) => h.getMemberRole(member, room));
  }

  /** The answer of a check that guards an operation: true when allowed. A refusal is false
   * (FORBIDDEN) when the viewer may know the room exists, else NOT_FOUND, as for a missing room.
   * The handler's answer alone decides; canSeeRoom only picks how a refusal reads. */
  async admits(check: Promise<RoomCheck>): Promise<boolean> {
    const [allowed, room] = await check;
    if (!allowed) await this.requireVisible([room.id]);
    return allowed;
  }

  /** As admits(), for haveMessagePermission: NOT_FOUND when a message's room is hidden. */
  async admitsMessages(messageIds: readonly string[]): Promise<boolean> {
    if (await this.messages(messageIds)) return true;
    const rows = await this.db.message.findMany({ where: { id: { in: [...messageIds] } }, select: { roomId: true } });
    await this.requireVisible([...new Set(rows.map((row) => row.roomId))]);
    return false;
  }

  /** Throws NOT_FOUND unless the viewer may know that every one of the rooms exists. */
  async requireVisible(roomIds: readonly string[]): Promise<void> {
    for (const roomId of roomIds) {
      const [visible] = await this.once<RoomCheck>(`see:${roomId}`, (h, v) => h.canSeeRoom(v, roomId));
      if (!visible) throw new NotFoundError();
    }
  }

  /** Forgets every answer so far: after a write, what follows is decided on the state it left. */
  forget(): void {
    this.memo.clear();
  }

  /** For fields that show what the viewer may do: a refused or failing check is just "no". */
  async allows(check: Promise<RoomCheck | boolean>): Promise<boolean> {
    try {
      const result = await check;
      return Array.isArray(result) ? result[0] : result;
    } catch {
      return false;
    }
  }
}
