// "The simplest override": staff users can send to any room.
import { getModel, getObjectOr404, PermissionHandler } from "realtime-chat-graphql";
import type { Room, SendMessageData, User } from "realtime-chat-graphql";

export class CustomPermissionHandler extends PermissionHandler {
  /**
   * Custom send permission: staff users can send to any room.
   * Returns: [isPermitted, room]
   */
  override async haveSendMessagePermission(user: User, data: SendMessageData): Promise<[boolean, Room]> {
    if (user.isStaff) {
      const Room = getModel("Room");
      const roomId = data.roomId;
      return [true, await getObjectOr404(Room, { id: roomId })];
    }
    // Fall back to the default for non-staff users.
    return super.haveSendMessagePermission(user, data);
  }
}

export default CustomPermissionHandler;
