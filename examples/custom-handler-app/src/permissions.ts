// This application's policy: a room whose preferences say { "archived": true } is read-only, and
// staff may read every room (to moderate) without being a member.
import { getModel, getObjectOr404, PermissionHandler } from "realtime-chat-graphql";
import type { Room, SendMessageData, User } from "realtime-chat-graphql";

const isArchived = (room: Room) =>
  typeof room.preferences === "object" && room.preferences !== null && (room.preferences as { archived?: unknown }).archived === true;

export class ArchivePermissionHandler extends PermissionHandler {
  override async haveSendMessagePermission(user: User, data: SendMessageData): Promise<[boolean, Room]> {
    const [allowed, room] = await super.haveSendMessagePermission(user, data);
    return [allowed && !isArchived(room), room];
  }

  override async haveRoomPermission(user: User, roomId: string): Promise<[boolean, Room]> {
    if (user.isStaff) return [true, await getObjectOr404(getModel("Room"), { id: roomId })];
    return super.haveRoomPermission(user, roomId);
  }

  // Whoever may read a room may know it exists: staff are told why a send is refused (FORBIDDEN),
  // where other outsiders get NOT_FOUND, as for a missing room.
  override async canSeeRoom(user: User, roomId: string): Promise<[boolean, Room]> {
    const [reads, room] = await this.haveRoomPermission(user, roomId);
    return reads ? [true, room] : super.canSeeRoom(user, roomId);
  }
}
