// Which subscription documents may be executed once for all subscribers: decided statically
// against the schema and the allow-list (src/schema/shared-fields.ts), secure by default.
import { parse } from "graphql";
import { describe, expect, it, vi } from "vitest";
import { ShareabilityAnalyser } from "../src/execution/shareable.js";
import { schema } from "../src/schema/index.js";
import { SHARED_FIELDS } from "../src/schema/shared-fields.js";

const analyser = new ShareabilityAnalyser(schema, SHARED_FIELDS);
const shareable = (source: string, operationName?: string) => analyser.isShareable(parse(source), operationName);

describe("shareability of a subscription document", () => {
  it.each([
    ["plain fields and nested objects", `subscription { messageAdded(roomId: "r") { id seq content sender { id username } attachments { url } } }`],
    ["aliases and __typename", `subscription { m: messageAdded(roomId: "r") { __typename text: content who: sender { __typename name: username } } }`],
    ["@include and @skip", `subscription($a: Boolean!) { messageAdded(roomId: "r") { content @include(if: $a) seq @skip(if: $a) } }`],
    ["inline fragments on ChatEvent types", `subscription { viewerEvents { kind roomId ... on MessageAddedEvent { seq message { content } }
      ... on AddedToRoomEvent { room { id name } } ... on RemovedFromRoomEvent { roomDeleted } } }`],
    ["named fragments, nested", `subscription { roomEvents(roomId: "r") { ...Event } }
      fragment Event on ChatEvent { kind ... on ReactionChangedEvent { user { id } message { ...Msg } } }
      fragment Msg on Message { id reactions { content count } }`],
    ["fields of the Room interface, shared by all three kinds", `subscription { viewerEvents { ... on MembersAddedEvent { room { id kind memberCount } } } }`],
    ["fields of one room kind", `subscription { viewerEvents { ... on RoomUpdatedEvent { room { ... on GroupChat { locked maxParticipants } } } } }`],
  ])("shares %s", (_name, source) => {
    expect(shareable(source)).toBe(true);
  });

  it.each([
    ["a field about the viewer", `subscription { messageAdded(roomId: "r") { content viewerReaction } }`],
    ["reactedByViewer inside shared reactions", `subscription { messageAdded(roomId: "r") { reactions { content reactedByViewer } } }`],
    ["readByViewer behind an alias", `subscription { messageAdded(roomId: "r") { read: readByViewer } }`],
    ["replyTo, whose visibility depends on the viewer", `subscription { messageAdded(roomId: "r") { replyTo { id } } }`],
    ["a viewer field in a named fragment", `subscription { roomEvents(roomId: "r") { ...E } } fragment E on ChatEvent { ... on MessageEditedEvent { message { viewerReaction } } }`],
    ["a viewer field on the Room interface", `subscription { viewerEvents { ... on RoomUpdatedEvent { room { viewerRole } } } }`],
    ["a viewer field of one room kind", `subscription { viewerEvents { ... on AddedToRoomEvent { room { ... on OneToOneChat { peer { id } } } } } }`],
    ["viewerCan and unreadCount", `subscription { viewerEvents { ... on AddedToRoomEvent { room { viewerCan { update } unreadCount } } } }`],
    ["a field with auth scopes", `subscription { viewerEvents { ... on RoomUpdatedEvent { room { lastMessage { id } } } } }`],
    ["a field shown to members only", `subscription { viewerEvents { ... on RoomUpdatedEvent { room { ... on Channel { moderators { id } } } } } }`],
    ["a field with arguments", `subscription { viewerEvents { ... on RoomUpdatedEvent { room { members(first: 5) { edges { cursor } } } } } }`],
    ["a field skipped by a variable (the decision holds for any variables)", `subscription($a: Boolean!) { messageAdded(roomId: "r") { viewerReaction @include(if: $a) } }`],
  ])("runs %s per subscriber", (_name, source) => {
    expect(shareable(source)).toBe(false);
  });

  it("judges the operation named, and never queries or mutations", () => {
    const source = `subscription Safe { viewerEvents { kind } } subscription Personal { viewerEvents { ... on MessageAddedEvent { message { viewerReaction } } } }`;
    expect(shareable(source, "Safe")).toBe(true);
    expect(shareable(source, "Personal")).toBe(false);
    expect(shareable(`{ viewer { id } }`)).toBe(false);
  });

  it("refuses a field nobody listed", () => {
    const narrow = new ShareabilityAnalyser(schema, { Subscription: ["messageAdded"], Message: ["id"] });
    expect(narrow.isShareable(parse(`subscription { messageAdded(roomId: "r") { id } }`))).toBe(true);
    expect(narrow.isShareable(parse(`subscription { messageAdded(roomId: "r") { id content } }`))).toBe(false);
    expect(narrow.isShareable(parse(`subscription { roomEvents(roomId: "r") { kind } }`))).toBe(false);
  });

  it("analyses a document once", () => {
    const fresh = new ShareabilityAnalyser(schema, SHARED_FIELDS);
    const analyse = vi.spyOn(fresh as unknown as { analyse: () => boolean }, "analyse");
    const document = parse(`subscription { viewerEvents { kind } }`);
    expect([fresh.isShareable(document), fresh.isShareable(document)]).toEqual([true, true]);
    expect(analyse).toHaveBeenCalledTimes(1);
  });
});
