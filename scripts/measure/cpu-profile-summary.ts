// Summarises a .cpuprofile (node --cpu-prof): self time by package (node_modules/<name>, or our
// src/<folder>) and by function, largest first, optionally divided by a number of deliveries.
//
//   npx tsx scripts/measure/cpu-profile-summary.ts PROFILE [deliveries] [top]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [path, perArg = "1", topArg = "30"] = process.argv.slice(2);
if (!path) throw new Error("usage: cpu-profile-summary.ts PROFILE [deliveries] [top]");
const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTime = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

/** node_modules/<package> (scoped too), src/<folder>, node:<module>, or what V8 calls it. */
function packageOf(url: string, name: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const src = url.match(/\/(?:src|dist)\/(?:([^/]+)\/)?[^/]+$/);
  if (src) return `ours: ${src[1] ?? "."}`;
  if (url.startsWith("node:")) return url;
  return url ? "other" : `(${name || "native"})`;
}

const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
for (const [id, micros] of selfTime) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const file = url.replace(/^.*node_modules\//, "").replace(/^.*\/(src|dist)\//, "$1/");
  total += micros;
  byPackage.set(packageOf(url, functionName), (byPackage.get(packageOf(url, functionName)) ?? 0) + micros);
  const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
}
const per = Number(perArg);
const top = Number(topArg);
const print = (title: string, groups: Map<string, number>) => {
  console.log(`\n${title} (µs${per > 1 ? " per unit" : ""}, share)`);
  for (const [key, micros] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(micros / per).toFixed(1).padStart(10)} ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
};
console.log(`sampled ${(total / 1e6).toFixed(2)} s`);
print("self time by package", byPackage);
print("self time by function", byFunction);
