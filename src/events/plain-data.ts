// Rows as the event handler receives them: plain, serialisable data (times as ISO strings), with
// only the fields the README documents, so a schema change does not leak into applications.
import type { Attachment, Message, Room } from "../generated/sqlite/client.js";
import type { ChatEventAttachment, ChatEventMessage, ChatEventRoom } from "./chat-event-handler.js";

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
    createdAt: new Date(room.createdAt).toISOString(),
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
