// The schema as a contract for client authors: everything a client can name is described, and
// nothing breaks against the last released schema (schema.released.graphql).
import { readFileSync } from "node:fs";
import { CriticalityLevel, diff } from "@graphql-inspector/core";
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
  isUnionType,
  type GraphQLSchema,
} from "graphql";
import { describe, expect, it } from "vitest";
import { printSortedSchema, schema } from "../src/schema/index.js";

/** Schema coordinates (Type, Type.field, Type.field(arg:), Enum.VALUE) that have no description. */
function undescribed(target: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(coordinate);
  };
  for (const type of Object.values(target.getTypeMap())) {
    if (type.name.startsWith("__") || isSpecifiedScalarType(type)) continue;
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name}:)`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    } else if (isUnionType(type)) {
      // A union has no members of its own to describe; its description is checked above.
    }
  }
  return missing.sort();
}

describe("schema contract", () => {
  it("describes every type, field, argument, input field and enum value", () => {
    expect(undescribed(schema)).toEqual([]);
  });

  it("has no breaking change against schema.released.graphql (run `npm run schema:release` to cut a new baseline)", async () => {
    const released = buildSchema(readFileSync("schema.released.graphql", "utf8"));
    const current = buildSchema(printSortedSchema());
    const changes = await diff(released, current);
    const breaking = changes
      .filter((change) => change.criticality.level === CriticalityLevel.Breaking)
      .map((change) => `${change.path ?? "(schema)"}: ${change.message}`);
    expect(breaking).toEqual([]);
  });
});
