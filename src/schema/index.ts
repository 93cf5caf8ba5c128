// Collects every schema file (each registers its types on the builder) and builds the schema.
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.js";
import { readResultsAfterWrites } from "./read-after-write.js";
import "./scalars.js";
import "./connection.js";
import "./user.js";
import "./room.js";
import "./room-mutations.js";
import "./membership.js";
import "./message.js";
import "./send-message.js";
import "./message-mutations.js";
import "./notification.js";
import "./typing.js";
import "./subscriptions.js";

export const schema = readResultsAfterWrites(builder.toSchema());

/** The SDL committed as schema.graphql: sorted, so the file changes only when the API does. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
