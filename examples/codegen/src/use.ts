// Uses the generated documents the way an application would: variables are built and results read
// with the types codegen derived from the schema. Nothing here is typed by hand.
import type { ResultOf, TypedDocumentNode, VariablesOf } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { HistoryPage, MessageAdded, SendMessage } from "./operations.js";

/** POSTs one operation; the document's types flow into the variables and the result. */
export async function request<TResult, TVariables>(
  url: string,
  token: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: Array<{ message: string }> };
  if (body.errors?.length || !body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

/** A text message with an idempotency key, so a retry does not post twice. */
export function textMessage(roomId: string, content: string, clientMsgId: string): VariablesOf<typeof SendMessage> {
  return { input: { roomId, content, clientMsgId } };
}

/** The message's room-wide position and when it was stored (DateTime arrives as an ISO string). */
export function stored(result: ResultOf<typeof SendMessage>): { seq: number; at: Date } {
  return { seq: result.sendMessage.seq, at: new Date(result.sendMessage.createdAt) };
}

/** Loads older history page by page until `wanted` messages are in hand or the room has no more. */
export async function loadHistory(url: string, token: string, roomId: string, wanted: number) {
  const lines: string[] = [];
  let before: string | null = null;
  do {
    const page: ResultOf<typeof HistoryPage> = await request(url, token, HistoryPage, { roomId, last: 50, before });
    const { edges, pageInfo } = page.messages;
    lines.unshift(...edges.map(({ node }) => `#${node.seq} ${node.sender.displayName ?? node.sender.id}: ${node.content}`));
    before = pageInfo.hasPreviousPage ? pageInfo.startCursor : null;
  } while (before !== null && lines.length < wanted);
  return lines;
}

/** What a subscription client (graphql-ws or SSE) hands over for each messageAdded event. */
export function onMessageAdded(event: ResultOf<typeof MessageAdded>, lastSeq: number): number {
  // null: the message was deleted before it reached this client.
  const message = event.messageAdded;
  return message && message.seq > lastSeq ? message.seq : lastSeq;
}

export const subscribeVariables = (roomId: string, lastSeq: number): VariablesOf<typeof MessageAdded> => ({
  roomId,
  afterSeq: lastSeq,
});

// The types are the schema's, not `any`: each line below must fail to compile.
// @ts-expect-error roomId is required by SendMessageInput
export const missingRoom: VariablesOf<typeof SendMessage> = { input: { content: "hi" } };
// @ts-expect-error seq is an Int, so a number
export const seqIsNumber: string = ({} as ResultOf<typeof SendMessage>).sendMessage.seq;
// @ts-expect-error MediaType is a closed set of values
export const badMedia: NonNullable<VariablesOf<typeof SendMessage>["input"]["attachments"]>[number]["mediaType"] = "PICTURE";
