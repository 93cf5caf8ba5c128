// "Overriding the helper layer": a handler method that reads the database itself, with its own
// membership helper. Here a room's members may read it even when preferences.archived is set.
import { getModel, getObjectOr404, PermissionHandler } from "realtime-chat-graphql";
import type { Room, User } from "realtime-chat-graphql";

export class CustomPermissionHandler extends PermissionHandler {
  /**
   * Allow access to archived rooms for their members.
   */
  override async haveRoomPermission(user: User, roomId: string): Promise<[boolean, Room]> {
    const Room = getModel("Room");
    const room = await getObjectOr404(Room, { id: roomId });
    // Custom: check archived rooms too
    const isMember = await CustomPermissionHandler._isMember(user, room);
    return [isMember, room];
  }

  static async _isMember(user: User, room: Room): Promise<boolean> {
    const RoomMember = getModel("RoomMember");
    return (await RoomMember.count({ where: { roomId: room.id, userId: user.id } })) > 0;
  }
}
