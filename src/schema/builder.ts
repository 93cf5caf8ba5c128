// The schema builder: plugins, their order and the auth scopes. Schema files define types on it;
// this file defines none.
//
// Every scope but `authenticated` is a loader that asks the request's PermissionHandler through
// context.gate, which memoises each (check, argument) for the request, so a scope and the
// resolver behind it share one handler call and one room load. Anonymous callers are refused
// before the handler is asked. A scope guarding an operation refuses with NOT_FOUND, not
// FORBIDDEN, when the viewer may not know the room exists (gate.admits); `memberView`, for fields
// that show members more than others, is only ever true or false.
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from "@pothos/plugin-scope-auth";
import type { Context } from "../context.js";
import { ForbiddenError, UnauthenticatedError } from "../errors.js";
import type { RoomKind } from "../generated/sqlite/client.js";
import type { AdminAction } from "../permissions/permission-helpers.js";
import { writeBudgetPlugin } from "./write-budget-plugin.js";

export interface AuthScopes {
  /** A verified user is making the request. */
  authenticated: boolean;
  /** haveRoomPermission(viewer, roomId) */
  roomMember: string;
  /** haveRoomPermission(viewer, roomId), for a field shown to members only: never an error. */
  memberView: string;
  /** haveSendMessagePermission(viewer, { roomId }) */
  canSendTo: string;
  /** haveSendMessagePermission(viewer, { roomId, insertChecksAccessVersion }), for sendMessage */
  canSendMessageTo: string;
  /** haveRoomPermissionsToAddOrRemoveMembers(viewer, roomId, "add_new") */
  canAddMembers: string;
  /** haveRoomPermissionsToAddOrRemoveMembers(viewer, roomId, "remove") */
  canRemoveMembers: string;
  /** haveAdminPrivileges(viewer, roomId, action) */
  roomAdmin: { roomId: string; action: AdminAction };
  /** haveJoinPermission(viewer, roomId) */
  canJoin: string;
  /** canSeePresence(viewer, userId), for User.online and User.lastSeenAt: never an error. */
  canSeePresence: string;
  /** haveCreateRoomPermission(viewer, kind) */
  canCreateRoom: RoomKind;
  /** haveMessagePermission(viewer, messageIds) */
  canReadMessages: readonly string[];
  /** isMessageSender(viewer, messageIds) */
  isSenderOf: readonly string[];
}

/** What a refusal says, by the scope that refused (the seed's decorator messages). */
const REFUSALS: Record<Exclude<keyof AuthScopes, "authenticated">, string> = {
  roomMember: "You are not a member of this room.",
  memberView: "You are not a member of this room.",
  canSendTo: "You may not send messages to this room.",
  canSendMessageTo: "You may not send messages to this room.",
  canAddMembers: "You may not add members to this room.",
  canRemoveMembers: "You may not remove members from this room.",
  roomAdmin: "You are not an admin of this room.",
  canJoin: "You cannot join this room; ask an admin or moderator to add you.",
  canCreateRoom: "You may not create rooms of this kind.",
  canSeePresence: "You may not see this user's presence.",
  canReadMessages: "You may not access these messages.",
  isSenderOf: "You may only modify messages you sent, in a room you are still a member of.",
};

function refusal(failure: AuthFailure): string | undefined {
  if (failure.kind === AuthScopeFailureType.AuthScope) {
    if (failure.scope === "roomAdmin" && (failure.parameter as AuthScopes["roomAdmin"]).action === "delete") {
      return "Only the creator may delete this room.";
    }
    return REFUSALS[failure.scope as keyof typeof REFUSALS];
  }
  if ("failures" in failure) {
    for (const inner of failure.failures) {
      const message = refusal(inner);
      if (message) return message;
    }
  }
  return undefined;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  // The first plugin's wrapper runs first: a mutation spends its budget before its scopes run.
  plugins: [writeBudgetPlugin, ScopeAuthPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Subscriptions are checked once, before the first event.
    authorizeOnSubscribe: true,
    // Object-valued scope arguments are cached by value within a request.
    cacheKey: (value) => (typeof value === "object" ? JSON.stringify(value) : value),
    // `context.gate` is read inside each loader: a scope that asks no handler builds no gate.
    authScopes: async (context) => {
      const signedIn = context.viewer !== null;
      return {
        authenticated: signedIn,
        roomMember: (roomId) => signedIn && context.gate.admits(context.gate.room(roomId)),
        memberView: (roomId) => signedIn && context.gate.allows(context.gate.room(roomId)),
        canSendTo: (roomId) => signedIn && context.gate.admits(context.gate.send(roomId)),
        canSendMessageTo: (roomId) => signedIn && context.gate.admits(context.gate.sendMessage(roomId)),
        canAddMembers: (roomId) => signedIn && context.gate.admits(context.gate.members(roomId, "add_new")),
        canRemoveMembers: (roomId) => signedIn && context.gate.admits(context.gate.members(roomId, "remove")),
        roomAdmin: ({ roomId, action }) => signedIn && context.gate.admits(context.gate.admin(roomId, action)),
        canJoin: (roomId) => signedIn && context.gate.admits(context.gate.join(roomId)),
        canCreateRoom: (kind) => signedIn && context.gate.create(kind),
        canSeePresence: (userId) => signedIn && context.gate.allows(context.gate.presence(userId)),
        canReadMessages: (ids) => signedIn && context.gate.admitsMessages(ids),
        isSenderOf: (ids) => signedIn && context.gate.admits(context.gate.sender(ids)),
      };
    },
    unauthorizedError: (_parent, context, _info, result) =>
      context.viewer ? new ForbiddenError(refusal(result.failure) ?? "Not authorized.") : new UnauthenticatedError(),
  },
});

builder.queryType({ description: "Reads. Every field but `viewer` needs an authenticated user." });
builder.mutationType({ description: "Changes. Every field is authorised by the PermissionHandler." });
