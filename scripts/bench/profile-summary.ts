// Sums a V8 .cpuprofile (node --cpu-prof, or the bench's <run>.window.cpuprofile) by self time:
// per function, per file, and per package (node_modules/<package>, the project's own src/, node's
// internals), top 30 of each. Self time is the time a function was on top of the stack.
//
//   npm run bench:profile -- FILE.cpuprofile [--top N]
//   (or npx tsx scripts/bench/profile-summary.ts FILE.cpuprofile [--top N])
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The bench runs the project from a compiled copy; name its files as the sources. */
const COMPILED = /node_modules\/\.cache\/rcg-bench\/[^/]+\/(.*)\.js$/;

/** Self time of each profile node in µs, from the sample stream (hit counts as a fallback). */
export function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples?.length && timeDeltas?.length === samples.length) {
    // timeDeltas[i] is the time before sample i; that interval is charged to the sampled node.
    for (let i = 0; i < samples.length; i++) {
      const delta = timeDeltas[i + 1] ?? 0;
      times.set(samples[i]!, (times.get(samples[i]!) ?? 0) + Math.max(0, delta));
    }
  } else {
    const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0));
    for (const node of profile.nodes) times.set(node.id, (node.hitCount ?? 0) * interval);
  }
  return times;
}

function fileOf(url: string): string {
  if (!url) return "(native or V8)";
  let path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const compiled = path.match(COMPILED);
  if (compiled) return `${compiled[1]}.ts`;
  if (path.startsWith(ROOT)) path = relative(ROOT, path);
  return path;
}

export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native or V8)";
  if (url.startsWith("node:")) return "(node internals)";
  // In the project server the only WebAssembly is Prisma's query compiler.
  if (url.startsWith("wasm://")) return "(WebAssembly)";
  const file = fileOf(url);
  const modules = file.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const parts = file.slice(modules + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (file.startsWith("src/generated/")) return "src/generated (Prisma client)";
  if (file.startsWith("src/") || file.startsWith("scripts/")) return `project: ${file.split("/").slice(0, 2).join("/")}`;
  return file;
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string {
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(([name, us]) => `${(us / 1000).toFixed(1).padStart(10)} ms ${((100 * us) / all).toFixed(1).padStart(6)} %  ${name}`);
  return [`${title} (self time, top ${top})`, ...lines].join("\n");
}

function main(): void {
  // Piped into head: stop quietly when the reader has had enough.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => process.exit(error.code === "EPIPE" ? 0 : 1));
  const args = process.argv.slice(2);
  const file = args.find((arg) => !arg.startsWith("--"));
  const topIndex = args.indexOf("--top");
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 30;
  if (!file || args.includes("--help")) {
    console.log("usage: npm run bench:profile -- FILE.cpuprofile [--top N]");
    process.exit(file ? 0 : 2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const times = selfTimes(profile);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const us = times.get(node.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    if (functionName === "(idle)") {
      idle += us;
      continue;
    }
    const name = `${functionName || "(anonymous)"}  ${url ? `${fileOf(url)}:${lineNumber + 1}` : ""}`.trimEnd();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const fileName = url ? fileOf(url) : functionName;
    byFile.set(fileName, (byFile.get(fileName) ?? 0) + us);
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const busy = total - idle;
  console.log(
    `${file}\nprofiled ${(total / 1000).toFixed(0)} ms, of which busy ${(busy / 1000).toFixed(0)} ms ` +
      `(idle ${(idle / 1000).toFixed(0)} ms); percentages are of the busy time\n`,
  );
  console.log(table("By package", byPackage, busy, top), "\n");
  console.log(table("By file", byFile, busy, top), "\n");
  console.log(table("By function", byFunction, busy, top));
}

main();
