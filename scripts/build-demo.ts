// Part of `npm run build`: bundles the /demo page (src/demo) into dist/demo, where the compiled
// server (dist/server/plugins/use-demo.js) serves it from. One minified script, no CDN.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleDemoScript } from "../src/server/plugins/use-demo.js";

const source = fileURLToPath(new URL("../src/demo/", import.meta.url));
const target = fileURLToPath(new URL("../dist/demo/", import.meta.url));

mkdirSync(target, { recursive: true });
for (const file of ["index.html", "style.css"]) copyFileSync(`${source}${file}`, `${target}${file}`);
const script = await bundleDemoScript(`${source}app.ts`, { minify: true });
// Silent: `npm run --silent token` runs the build, and its output is the token alone.
writeFileSync(`${target}app.js`, script);
