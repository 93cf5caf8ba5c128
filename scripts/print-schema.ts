// `npm run schema:print`: writes schema.graphql from the code (sorted). test/schema.test.ts fails
// when the committed file differs, so run this after changing the API.
import { writeFileSync } from "node:fs";
import { printSortedSchema } from "../src/schema/index.js";

writeFileSync(new URL("../schema.graphql", import.meta.url), printSortedSchema());
