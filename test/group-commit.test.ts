// Group commit: sends stored together share one transaction, yet each gets its own outcome and
// seq, and one that fails leaves its neighbours stored. Driven through the hot path directly
// against a real database, so each kind of failure can be provoked on purpose.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../src/db/client.js";
import { migrateDatabase } from "../src/db/migrate.js";
import type { PendingSend } from "../src/db/sql/hot-path.js";
import { createTestDatabase, dropTestDatabases, PROVIDERS } from "./harness/databases.js";

const open: Database[] = [];
afterAll(async () => {
  await Promise.all(open.splice(0).map((database) => database.close()));
  await dropTestDatabases();
});

describe.each(PROVIDERS)("group commit on %s", (provider) => {
  it("stores each send of a batch on its own: failures roll back alone, seqs stay gapless", async () => {
    const target = await createTestDatabase(provider);
    await migrateDatabase(target.url);
    const database = await createDatabase(target.url);
    open.push(database);
    await database.open();
    const { db, hotPath } = database;
    await db.user.createMany({ data: [{ id: "ann", username: "ann" }, { id: "ben", username: "ben" }] });
    const room = await db.room.create({
      data: { kind: "GROUP", name: "g", maxMembers: 10, preferences: {}, members: { create: [{ userId: "ann" }, { userId: "ben" }] } },
    });
    const send = (extra: Partial<PendingSend> = {}): PendingSend => ({
      id: randomUUID(),
      roomId: room.id,
      senderId: "ann",
      content: "hi",
      clientMsgId: null,
      replyToId: null,
      forwardedFromId: null,
      attachments: [],
      createdAt: new Date(),
      accessVersion: room.accessVersion,
      notifyReply: true,
      ...extra,
    });

    const batch = [
      send({ clientMsgId: "once" }),
      send({ replyToId: randomUUID() }), // replies to a message that does not exist
      send({ attachments: [{ id: randomUUID(), url: "https://x.test/a.png", mediaType: "IMAGE", mimeType: "image/png", size: 1, caption: null, metadata: { w: 1 } }] }),
      send({ accessVersion: room.accessVersion + 1 }), // decided on a version that is not current
      send({ clientMsgId: "once" }), // the same clientMsgId again
      send({ roomId: randomUUID() }), // a room that does not exist
    ];
    const outcomes = await hotPath.insertMessages(batch);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(["stored", "missing", "stored", "stale", "duplicate", "missing"]);
    const stored = await db.message.findMany({ orderBy: { seq: "asc" }, include: { attachments: true } });
    expect(stored.map((message) => [message.id, message.seq])).toEqual([[batch[0]!.id, 1], [batch[2]!.id, 2]]);
    expect(stored[1]!.attachments).toMatchObject([{ url: "https://x.test/a.png", metadata: { w: 1 }, position: 0 }]);
    // What the hot path returned is what Prisma reads.
    const [first] = outcomes;
    expect(first?.kind === "stored" && first.message).toEqual(stored.map(({ attachments: _, ...message }) => message)[0]);
    const roomNow = await db.room.findUniqueOrThrow({ where: { id: room.id } });
    expect(roomNow).toMatchObject({ lastSeq: 2, lastMessageId: batch[2]!.id });
    // The hot path reads rooms as Prisma does: same fields, types and times.
    expect(await hotPath.room(room.id)).toEqual(roomNow);
    expect(await hotPath.messageByClientMsgId(room.id, "ann", "once")).toEqual(stored.map(({ attachments: _, ...message }) => message)[0]);

    // Concurrent sends are answered in order with consecutive seqs.
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => hotPath.storeMessage(send())));
    expect(concurrent.map((outcome) => (outcome.kind === "stored" ? outcome.message.seq : outcome.kind))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 3),
    );
  });
});
