// Property-based guard for "client input is never an internal error and never a partial write":
// the schema is read by introspection, and every argument of every query and mutation field (and
// of the fields one level below a query's result, and of every subscription over graphql-ws) is
// given generated values: strings with lone surrogates, NULs and control characters, strings
// past every limit, extreme numbers, deep JSON, forged ids and cursors, as variables and as
// literals. No answer may be an internal error ("Unexpected error.", or an error logged by the
// server), and a mutation that was refused must leave every table as it was.
//
// Runs are bounded and reproducible: FUZZ_RUNS generated calls per field (default 6) with the
// seed FUZZ_SEED (default fixed). For a longer hunt:
//   FUZZ_RUNS=200 FUZZ_SEED=$RANDOM npx vitest run test/argument-fuzz.test.ts
// A failure prints the seed and the shrunk counterexample (field, variables, operation).
import fc from "fast-check";
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isLeafType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type IntrospectionQuery,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { connectWs, type WsConnection } from "./harness/clients.js";
import { PROVIDERS } from "./harness/databases.js";
import { createChannel, createChat, createGroup, ok, sendMessage, signIn } from "./harness/fixtures.js";
import { startTestServer, stopTestServers, type TestServer } from "./harness/server.js";

afterAll(stopTestServers);

const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_930);
/** How long a subscription that neither failed nor sent anything is given before it counts as started. */
const SUBSCRIBE_SETTLE_MS = 150;

/** Ids that exist, so that generated calls get past "not found" to the checks behind it. */
interface Pool {
  users: string[];
  rooms: string[];
  messages: string[];
  cursors: string[];
}

const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

// ---- Generated values ------------------------------------------------------------------------

/** Any UTF-16 code units: lone surrogates, NUL and other control characters included. */
const codeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 24 })
  .map((codes) => String.fromCharCode(...codes));

const hostileStrings: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 24 }),
  codeUnits,
  fc.constantFrom(
    "",
    " ",
    "x\ud800y",
    "\udc00",
    "\u0000",
    "a\u0000b",
    "\u0007\u001b[2J\r\n",
    "<a href=\"https://x.example\" target=\"_blank\" id=\"top\">x</a>",
    "&".repeat(10_000),
    "<".repeat(2_501),
    "x".repeat(10_001),
    "x".repeat(2_049),
    "x".repeat(129),
    "x".repeat(65),
  ),
  fc.integer({ min: 0, max: 20_000 }).map((length) => "y".repeat(length)),
);

/** Values of one kind: plausible ones pass the checks (so that a call reaches the check of its
 * one hostile argument), hostile ones are what a hostile client sends. */
interface Values<T> {
  plausible: fc.Arbitrary<T>;
  hostile: fc.Arbitrary<T>;
}

const strings: Values<string> = {
  plausible: fc.constantFrom("hello", "<b>hi</b> & bye", "name", "https://cdn.example/a.png"),
  hostile: hostileStrings,
};

const NESTING_LEVELS = [2, 31, 32, 33, 34, 100, 1_000];
function nestedJson(levels: number, leaf: unknown): unknown {
  let value: unknown = leaf;
  for (let level = 0; level < levels; level++) value = level % 2 ? [value] : { k: value };
  return value;
}

const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(hostileStrings, fc.oneof(hostileStrings, fc.double(), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 4 }),
  fc.tuple(fc.constantFrom(...NESTING_LEVELS), fc.oneof(hostileStrings, fc.constant(1))).map(([levels, leaf]) => ({
    deep: nestedJson(levels, leaf),
  })),
  fc.constantFrom(null, [], "text", 1e308, { big: "z".repeat(9_000) }),
);

const json: Values<unknown> = { plausible: fc.constantFrom({ theme: "dark" }, { w: 1, tags: ["a"] }), hostile: hostileJson };

const ints: Values<number> = {
  plausible: fc.integer({ min: 1, max: 100 }),
  hostile: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 101, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1e15, 2 ** 53, 1e20, -1e20, 1.5)),
};

const isoDates = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms).toISOString()),
  fc.constantFrom("2020-02-30T00:00:00Z", "99999", "", "now", "-271821-04-20T00:00:00.000Z", "+275760-09-13T00:00:00.000Z"),
);

function cursors(pool: Pool): Values<string> {
  const uuid = fc.uuid();
  const forged = fc
    .oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.tuple(isoDates, fc.oneof(uuid, hostileStrings)),
      fc.tuple(fc.double(), uuid),
      ints.hostile,
      fc.tuple(hostileStrings, hostileStrings),
    )
    .map(encodeCursor);
  return {
    plausible: fc.constantFrom(...pool.cursors),
    hostile: fc.oneof({ weight: 3, arbitrary: forged }, { weight: 1, arbitrary: hostileStrings }),
  };
}

/** Ids of the kind the argument names: existing ones, or forged. */
function ids(pool: Pool, argName: string): Values<string> {
  const existing = /user|participant|subscriber/i.test(argName)
    ? pool.users
    : /message|replyTo|forwardFrom/i.test(argName)
      ? pool.messages
      : /room/i.test(argName)
        ? pool.rooms
        : [...pool.rooms, ...pool.messages, ...pool.users];
  return { plausible: fc.constantFrom(...existing), hostile: fc.oneof(fc.uuid(), hostileStrings) };
}

/** Plausible values only, hostile values only, or (input objects) one hostile field per call. */
type Mode = "plausible" | "hostile" | "mixed";

/** The mode of the one hostile part of a call: an input object gets one hostile field in turn. */
const focusMode = (type: GraphQLInputType): Mode => (isInputObjectType(getNamedType(type)) ? "mixed" : "hostile");

/** Values for an input type; null for a nullable one now and then. */
function valuesOf(type: GraphQLInputType, argName: string, pool: Pool, mode: Mode): fc.Arbitrary<unknown> {
  const values = valuesOfNullable(getNullableType(type) as GraphQLInputType, argName, pool, mode);
  if (isNonNullType(type)) return values;
  return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: mode === "plausible" ? 4 : 8, arbitrary: values });
}

function valuesOfNullable(type: GraphQLInputType, argName: string, pool: Pool, mode: Mode): fc.Arbitrary<unknown> {
  if (isListType(type)) {
    const item = valuesOf(type.ofType, argName, pool, mode);
    if (mode === "plausible") return fc.array(item, { minLength: 1, maxLength: 3 });
    return fc.oneof(
      { weight: 5, arbitrary: fc.array(item, { maxLength: 4 }) },
      { weight: 1, arbitrary: item.map((value) => Array.from({ length: 101 }, () => value)) },
    );
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    // Mixed: one field, chosen per call, is hostile; the others are plausible.
    const fieldMode = (index: number, focus: number): Mode =>
      mode === "mixed" ? (index === focus ? focusMode(fields[index]!.type) : "plausible") : mode;
    return fc.integer({ min: 0, max: fields.length - 1 }).chain((focus) => {
      const model = Object.fromEntries(fields.map((field, index) => [field.name, valuesOf(field.type, field.name, pool, fieldMode(index, focus))]));
      const requiredKeys = fields.filter((field) => isNonNullType(field.type)).map((field) => field.name);
      return fc.record(model, { requiredKeys });
    });
  }
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => value.value as string));
  const name = (type as { name: string }).name;
  if (name === "Boolean") return fc.boolean();
  const values = scalarValues(name, argName, pool);
  return mode === "plausible" ? values.plausible : values.hostile;
}

function scalarValues(name: string, argName: string, pool: Pool): Values<unknown> {
  switch (name) {
    case "ID":
      return ids(pool, argName);
    case "String":
      return /^(after|before|cursor)$/i.test(argName) ? cursors(pool) : strings;
    case "Int":
      return ints;
    case "Float":
      return { plausible: fc.double({ min: 0, max: 100, noNaN: true }), hostile: fc.oneof(fc.double(), ints.hostile) };
    case "DateTime":
      return { plausible: isoDates, hostile: hostileStrings };
    case "JSON":
      return json;
    default:
      throw new Error(`no generator for scalar ${name}: add one`);
  }
}

// ---- Operations ------------------------------------------------------------------------------

/** One argument to send: a variable of the argument's type, or the value written as a literal. */
interface ArgumentValue {
  arg: GraphQLArgument;
  value: unknown;
  asLiteral: boolean;
}

/** A GraphQL literal of `value` for `type` (enum values unquoted, objects as input objects). */
function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return "null";
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return `[${(value as unknown[]).map((item) => literal(item, inner.ofType)).join(", ")}]`;
  if (isEnumType(inner)) return String(value);
  if (isInputObjectType(inner)) {
    const fields = inner.getFields();
    return `{ ${Object.entries(value as object).map(([name, item]) => `${name}: ${literal(item, fields[name]!.type)}`).join(", ")} }`;
  }
  return jsonLiteral(value);
}

/** A JSON value as a GraphQL literal; keys that are not GraphQL names make a syntax error, as a client's would. */
function jsonLiteral(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(jsonLiteral).join(", ")}]`;
  return `{ ${Object.entries(value as object).map(([key, item]) => `${key}: ${jsonLiteral(item)}`).join(", ")} }`;
}

/** `{ __typename }` for a composite type, nothing for a leaf. */
function selectionFor(type: GraphQLOutputType, nested = ""): string {
  return isLeafType(getNamedType(type)) ? "" : `{ __typename ${nested}}`;
}

interface Operation {
  query: string;
  variables: Record<string, unknown>;
}

interface FieldCall {
  field: GraphQLField<unknown, unknown>;
  values: ArgumentValue[];
}

function callText(call: FieldCall, prefix: string, variables: Record<string, unknown>, definitions: string[]): string {
  const args = call.values
    .filter(({ value, arg }) => value !== undefined || isNonNullType(arg.type))
    .map(({ arg, value, asLiteral }) => {
      if (asLiteral) return `${arg.name}: ${literal(value, arg.type)}`;
      const name = `${prefix}${arg.name}`;
      definitions.push(`$${name}: ${arg.type}`);
      variables[name] = value;
      return `${arg.name}: $${name}`;
    });
  return `${call.field.name}${args.length ? `(${args.join(", ")})` : ""}`;
}

function operationOf(kind: "query" | "mutation" | "subscription", root: FieldCall, nested: FieldCall[]): Operation {
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  const head = callText(root, "", variables, definitions);
  const inner = nested
    .map((call, index) => `${call.field.name}_${index}: ${callText(call, `n${index}_`, variables, definitions)} ${selectionFor(call.field.type)}`)
    .join(" ");
  const selection = selectionFor(root.field.type, inner ? `... on ${getNamedType(root.field.type).name} { ${inner} } ` : "");
  return {
    query: `${kind} Fuzz${definitions.length ? `(${definitions.join(", ")})` : ""} { ${head} ${selection} }`,
    variables,
  };
}

/** A call of `field`: one argument, chosen per call, gets hostile values, the others plausible ones. */
function callsOf(field: GraphQLField<unknown, unknown>, pool: Pool): fc.Arbitrary<FieldCall> {
  return fc.integer({ min: 0, max: field.args.length - 1 }).chain((focus) => {
    const values = field.args.map((arg, index) => {
      const generated = valuesOf(arg.type, arg.name, pool, index === focus ? focusMode(arg.type) : "plausible");
      return fc.record({
        arg: fc.constant(arg),
        // An optional argument is sometimes left out: defaults are code paths too.
        value: isNonNullType(arg.type) || index === focus ? generated : fc.option(generated, { nil: undefined }),
        // Mostly variables: a literal with a lone surrogate or a deep value is refused by the parser.
        asLiteral: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      });
    });
    return fc.tuple(...values).map((generated) => ({ field, values: generated }));
  });
}

/** The fields with arguments of an object or interface type. */
function fieldsWithArguments(type: GraphQLOutputType): Array<GraphQLField<unknown, unknown>> {
  const named = getNamedType(type);
  const fields = isObjectType(named) || isInterfaceType(named) ? Object.values(named.getFields()) : [];
  return fields.filter((field) => field.args.length > 0);
}

// ---- Checks ----------------------------------------------------------------------------------

interface Answer {
  status: number;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
  data: Record<string, unknown> | null;
}

function internalErrors(answer: Answer, logged: string[]): string[] {
  const internal = answer.errors
    .filter((error) => error.message === "Unexpected error." || error.extensions?.code === "INTERNAL_SERVER_ERROR")
    .map((error) => JSON.stringify(error));
  if (answer.status >= 500) internal.push(`HTTP ${answer.status}`);
  return [...internal, ...logged.splice(0)];
}

describe.each(PROVIDERS)("every argument, generated values, on %s", (provider) => {
  let server: TestServer;
  let schema: ReturnType<typeof buildClientSchema>;
  /** Error lines the server logged: each is an internal error, whatever the client was told. */
  const logged: string[] = [];

  beforeAll(async () => {
    const logger = createLogger({ level: "error", destination: { write: (line: string) => void logged.push(line) } });
    server = await startTestServer(provider, { logger });
    await signIn(server, "ann", "ben", "cat");
    const introspection = await ok<IntrospectionQuery>(server, "ann", getIntrospectionQuery());
    schema = buildClientSchema(introspection);
  });

  /** Rooms and messages that exist, for generated calls to name. */
  async function freshPool(): Promise<Pool> {
    const group = await createGroup(server, "ann", ["ben"]);
    const channel = await createChannel(server, "ann", ["ben"], { isPublic: true });
    const chat = await createChat(server, "ann", "ben");
    const first = await sendMessage(server, "ben", group, "first");
    const second = await sendMessage(server, "ann", group, "second", { replyToId: first.id });
    const page = await ok(server, "ann", `{ rooms(first: 1) { pageInfo { endCursor } } }`);
    return {
      users: ["ann", "ben", "cat", "nobody"],
      rooms: [group, channel, chat],
      messages: [first.id, second.id],
      cursors: [page.rooms.pageInfo.endCursor, encodeCursor(second.seq)],
    };
  }

  /** Every row of every table, in a stable order: a refused mutation must leave it unchanged. */
  async function snapshot(): Promise<string> {
    const db = server.server.db as unknown as Record<string, { findMany(): Promise<unknown[]> }>;
    const models = Object.keys(db).filter((key) => !key.startsWith("$") && !key.startsWith("_") && typeof db[key]?.findMany === "function");
    const tables = await Promise.all(models.sort().map(async (model) => [model, (await db[model]!.findMany()).map((row) => JSON.stringify(row)).sort()]));
    return JSON.stringify(tables);
  }

  async function post(userId: string | null, operation: Operation): Promise<Answer> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (userId) headers.authorization = `Bearer ${await server.token(userId)}`;
    const response = await fetch(server.url, { method: "POST", headers, body: JSON.stringify(operation) });
    const text = await response.text();
    let body: { data?: Record<string, unknown> | null; errors?: Answer["errors"] } = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
    }
    return { status: response.status, errors: body.errors ?? [], data: body.data ?? null };
  }

  // Mostly the creator of the rooms in the pool, so calls get past the permission checks.
  const users = fc.constantFrom<string | null>("ann", "ann", "ann", "ann", "ben", "cat", null);

  for (const kind of ["query", "mutation"] as const) {
    it(`${kind} fields`, { timeout: 180_000 }, async () => {
      const root = kind === "query" ? schema.getQueryType()! : schema.getMutationType()!;
      const fields = Object.values(root.getFields()).filter((field) => field.args.length > 0);
      expect(fields.length).toBeGreaterThan(0);
      // The tables as the last call left them (null: unknown), so each call takes one snapshot.
      let state: string | null = null;
      let pool: Pool | null = null;
      let poolState = "";
      for (const field of fields) {
        if (kind === "query") pool ??= await freshPool();
        else if (!pool || (state ?? (await snapshot())) !== poolState) {
          // Fresh rooms and messages once a call changed (or deleted) the previous ones.
          pool = await freshPool();
          poolState = state = await snapshot();
        }
        // Queries also pass generated arguments to the fields of their result (members(first), ...);
        // a mutation's result is left bare, so its own outcome is what gets checked.
        const nested = kind === "query" ? fieldsWithArguments(field.type) : [];
        const operations = fc
          .tuple(callsOf(field, pool), fc.tuple(...nested.map((inner) => callsOf(inner, pool!))))
          .map(([call, innerCalls]) => operationOf(kind, call, innerCalls));
        await fc.assert(
          fc.asyncProperty(operations, users, async (operation, userId) => {
            const before = kind === "mutation" ? (state ?? (await snapshot())) : "";
            state = null;
            const answer = await post(userId, operation);
            expect(internalErrors(answer, logged), operation.query).toEqual([]);
            if (kind === "query") return;
            state = await snapshot();
            const refused = answer.errors.length > 0 && (answer.data?.[field.name] ?? null) === null;
            if (refused) expect(state, `${operation.query} changed data though refused`).toBe(before);
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: false },
        );
      }
    });
  }

  describe("subscription fields over graphql-ws", () => {
    let ws: WsConnection;
    beforeAll(async () => {
      ws = await connectWs(server, "ann");
    });
    afterAll(() => ws.dispose());

    it("refuses or starts, never fails inside", { timeout: 120_000 }, async () => {
      const fields = Object.values(schema.getSubscriptionType()!.getFields()).filter((field) => field.args.length > 0);
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) {
        const pool = await freshPool();
        const operations = callsOf(field, pool).map((call) => operationOf("subscription", call, []));
        await fc.assert(
          fc.asyncProperty(operations, async (operation) => {
            const stream = ws.subscribe(operation.query, operation.variables);
            await Promise.race([stream.waitFor(1, SUBSCRIBE_SETTLE_MS).catch(() => {}), stream.waitForComplete(SUBSCRIBE_SETTLE_MS).catch(() => {})]);
            stream.unsubscribe();
            const errors = [
              ...stream.results.flatMap((result) => result.errors ?? []),
              ...(Array.isArray(stream.error) ? (stream.error as Answer["errors"]) : []),
            ];
            expect(internalErrors({ status: 200, errors, data: null }, logged), operation.query).toEqual([]);
            expect(stream.error instanceof Array || stream.error === undefined, String(stream.error)).toBe(true);
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: false },
        );
      }
    });
  });
});
