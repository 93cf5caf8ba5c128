// "The defaultAdminNames parameter": an application whose groups call their admins "managers"
// (RoomRole rows with role "managers") names that relation once, in `adminNames`: every check
// (adding and removing members, sending to a locked group, administering) and the roles shown
// (`viewerRole`, `members { role }`) read it.
import { PermissionHandler } from "realtime-chat-graphql";

export class CustomPermissionHandler extends PermissionHandler {
  protected override readonly adminNames = { group: "managers", channel: "moderators" };
}
