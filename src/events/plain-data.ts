// Rows as the event handler receives them: plain, serialisable data (times as ISO strings), with
// only the fields the README documents, so a schema change does not leak into applications.
import type { Attachment, Message, Room } from "../generated/sqlite/client.js";
import type { ChatEventAttachment, ChatEventMessage, ChatEventRoom } from "./chat-event-handler.js";

/** A time as ISO 8601, or null when there is none: a room a custom PermissionHandler built may
 * lack createdAt, which must not fail the event. */
export function isoTime(value: Date | string | null | undefined): string | null {
  if (value == null) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

export function eventRoom(room: Room): ChatEventRoom {
  return {
    id: room.id,
    kind: room.kind,
    name: room.name,
    description: room.description,
    avatarUrl: room.avatarUrl,
    creatorId: room.creatorId,
    isPublic: room.isPublic,
    locked: room.locked,
    createdAt: isoTime(room.createdAt),
  };
}

function eventAttachment(attachment: Attachment): ChatEventAttachment {
  const { id, url, mediaType, mimeType, size, caption, metadata } = attachment;
  return { id, url, mediaType, mimeType, size, caption, metadata };
}

export function eventMessage(message: Message, attachments: readonly Attachment[]): ChatEventMessage {
  return {
    id: message.id,
    roomId: message.roomId,
    seq: message.seq,
    senderId: message.senderId,
    content: message.content,
    createdAt: new Date(message.createdAt).toISOString(),
    replyToId: message.replyToId,
    forwardedFromId: message.forwardedFromId,
    clientMsgId: message.clientMsgId,
    attachments: attachments.map(eventAttachment),
  };
}
