// GraphQL Code Generator config: typed documents for the operations in src/operations.ts, checked
// against the server's committed schema. Run `npm run codegen` here (or the root test suite).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  // The SDL the server prints; a client never needs the server running to generate its types.
  schema: "../../schema.graphql",
  documents: ["src/operations.ts"],
  // Fail, rather than emit `any`, when an operation does not match the schema.
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        // How the server's custom scalars arrive over JSON.
        scalars: { DateTime: "string", JSON: "unknown" },
        strictScalars: true,
        // String unions instead of TypeScript enums: nothing to import at runtime.
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: {
        // No fragment masking: these operations use no fragments.
        fragmentMasking: false,
      },
    },
  },
};

export default config;
