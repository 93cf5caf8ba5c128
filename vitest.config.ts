import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM without an exports map; Yoga and Pothos load the CJS copy, so
    // tests must too, or schema objects come from "another module or realm".
    alias: {
      graphql: require.resolve("graphql"),
      // Examples import the package by name, as an application would; tests run them on the
      // sources. examples/custom-handler-app is the exception: test/package.test.ts runs it on
      // the packed package, installed as an application installs it.
      "realtime-chat-graphql": fileURLToPath(new URL("./src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
