// Demo data for trying the server: three users, a group, a public channel, a one-to-one chat and a
// few messages. Idempotent: rooms are found by their fixed name and creator, messages by their
// clientMsgId, so a second run adds nothing. Messages go through sendMessage, so seq, lastMessage
// and notifications are what a client would have produced (no realtime events are published).
import type { Room } from "../generated/sqlite/client.js";
import type { Database, Db } from "./client.js";
import { sendMessage } from "./messages.js";
import { createRoom, openOneToOneChat, type NewRoom } from "./rooms.js";

export const DEMO_USERS = ["alice", "bob", "carol"] as const;

type DemoUser = (typeof DEMO_USERS)[number];

export interface DemoSeed {
  users: readonly DemoUser[];
  group: Room;
  channel: Room;
  chat: Room;
  /** False when everything already existed. */
  created: boolean;
}

const GROUP = { name: "Demo group", creatorId: "alice", members: ["bob", "carol"] } as const;
const CHANNEL = { name: "Demo announcements", creatorId: "alice", members: ["bob"] } as const;

const MESSAGES: Record<"group" | "channel" | "chat", Array<[DemoUser, string]>> = {
  group: [
    ["alice", "Welcome to the demo group!"],
    ["bob", "Hi all 👋"],
    ["carol", "Glad to be here."],
  ],
  channel: [["alice", "The demo channel is public: anyone may join it."]],
  chat: [
    ["alice", "Hey Bob, got a minute?"],
    ["bob", "Sure, what's up?"],
  ],
};

/** The demo's group or channel, created (with its members) when missing. */
async function demoRoom(
  db: Db,
  kind: NewRoom["kind"],
  spec: typeof GROUP | typeof CHANNEL,
): Promise<[Room, boolean]> {
  const existing = await db.room.findFirst({ where: { kind, name: spec.name, creatorId: spec.creatorId } });
  if (existing) return [existing, false];
  const room = await createRoom(db, {
    kind,
    creatorId: spec.creatorId,
    name: spec.name,
    description: kind === "GROUP" ? "Created by seed-demo." : "Public demo channel, created by seed-demo.",
    avatarUrl: null,
    locked: false,
    joinApprovalRequired: false,
    isPublic: kind === "CHANNEL",
    maxMembers: kind === "GROUP" ? 100 : 300,
    preferences: {},
    memberIds: [...spec.members],
  });
  return [room, true];
}

/** Sends the room's demo messages; each has a fixed clientMsgId, so a rerun returns the stored one. */
async function demoMessages(database: Database, room: Room, key: keyof typeof MESSAGES, notify: boolean): Promise<boolean> {
  let created = false;
  for (const [index, [senderId, content]] of MESSAGES[key].entries()) {
    const sent = await sendMessage(database, {
      roomId: room.id,
      senderId,
      content,
      clientMsgId: `seed-demo-${key}-${index}`,
      replyToId: null,
      forwardFromId: null,
      attachments: [],
      notify,
      accessVersion: null,
    });
    created ||= sent.created;
  }
  return created;
}

export async function seedDemo(database: Database, options: { notify: boolean }): Promise<DemoSeed> {
  const { db } = database;
  const known = await db.user.count({ where: { id: { in: [...DEMO_USERS] } } });
  let created = known < DEMO_USERS.length;
  for (const id of DEMO_USERS) {
    // Users normally come from tokens; username = id is what `token <id>` signs, so no update follows.
    await db.user.upsert({ where: { id }, create: { id, username: id }, update: {} });
  }
  const [group, newGroup] = await demoRoom(db, "GROUP", GROUP);
  const [channel, newChannel] = await demoRoom(db, "CHANNEL", CHANNEL);
  const { room: chat, created: chatMembers } = await openOneToOneChat(db, "alice", "bob");
  created ||= newGroup || newChannel || chatMembers !== null;
  for (const [room, key] of [[group, "group"], [channel, "channel"], [chat, "chat"]] as const) {
    created = (await demoMessages(database, room, key, options.notify)) || created;
  }
  return { users: DEMO_USERS, group, channel, chat, created };
}
