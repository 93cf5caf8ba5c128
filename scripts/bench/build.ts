// Compiles the server code and the bench's own processes to JavaScript before a run, one file per
// source file (no bundling, so a CPU profile still names src/realtime/hub.js and so on), into
// node_modules/.cache/rcg-bench/<one folder per bench run>. Measured processes then run with plain
// `node`: no TypeScript loader hook, source-map support or on-the-fly compilation can cost anything
// while they are measured. A folder per run, so two benches at once do not compile over each other.
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";

/** The folder holding the compiled copies, under the project root. */
export const BUILD_DIR_NAME = join("node_modules", ".cache", "rcg-bench");

function typeScriptFiles(dir: string, skip: (path: string) => boolean): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((file) => join(dir, file))
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && !skip(file));
}

/** Compiles src/ (without the browser demo) and scripts/bench/ into a new folder; returns it.
 * The caller removes it when done. */
export async function buildBench(root: string): Promise<string> {
  mkdirSync(join(root, BUILD_DIR_NAME), { recursive: true });
  const outdir = mkdtempSync(join(root, BUILD_DIR_NAME, "run-"));
  const entryPoints = [
    ...typeScriptFiles(join(root, "src"), (file) => relative(root, file).startsWith(join("src", "demo"))),
    ...typeScriptFiles(join(root, "scripts", "bench"), () => false),
  ];
  await build({
    entryPoints,
    outdir,
    outbase: root,
    bundle: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  // ESM like the sources; package imports resolve through the project's node_modules above.
  writeFileSync(join(outdir, "package.json"), JSON.stringify({ type: "module", private: true }));
  // src/db/migrate.ts finds prisma/ two folders above itself, as it does from dist/.
  symlinkSync(join(root, "prisma"), join(outdir, "prisma"), "dir");
  return outdir;
}
