// "The defaultAdminNames parameter": an application whose groups call their admins "managers"
// (RoomRole rows with role "managers") passes that name to the helper.
import { PermissionHandler } from "realtime-chat-graphql";
import type { PermPhrase, Room, User } from "realtime-chat-graphql";

export class CustomPermissionHandler extends PermissionHandler {
  override async haveRoomPermissionsToAddOrRemoveMembers(
    user: User,
    roomId: string,
    permPhrase: PermPhrase,
  ): Promise<[boolean, Room]> {
    return this._haveRoomPermissionsToAddOrRemoveMembers(user, roomId, permPhrase, {
      group: "managers",
      channel: "moderators",
    });
  }
}
