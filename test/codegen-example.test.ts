// examples/codegen: GraphQL Code Generator (client preset) turns schema.graphql and the example's
// operations into typed documents, and the example type-checks against them. A schema change that
// breaks a client's operations, or types that decay to `any`, fail here.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generate } from "@graphql-codegen/cli";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import config from "../examples/codegen/codegen.js";

const exampleDir = fileURLToPath(new URL("../examples/codegen/", import.meta.url));

function typeErrors(tsconfigPath: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfigPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (!parsed) throw new Error(`cannot read ${tsconfigPath}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${diagnostic.file.fileName}:${line + 1}:${character + 1} ${message}`;
  });
}

describe("codegen example", () => {
  it("generates a typed client from schema.graphql and type-checks it", async () => {
    // A stale folder from an earlier run must not stand in for this one.
    rmSync(`${exampleDir}src/gql`, { recursive: true, force: true });
    const files = await generate({ ...config, cwd: exampleDir, silent: true }, true);
    expect(files.map((file: { filename: string }) => file.filename)).toEqual(
      expect.arrayContaining([expect.stringMatching(/src\/gql\/graphql\.ts$/), expect.stringMatching(/src\/gql\/gql\.ts$/)]),
    );
    expect(typeErrors(`${exampleDir}tsconfig.json`)).toEqual([]);
  }, 60_000);
});
