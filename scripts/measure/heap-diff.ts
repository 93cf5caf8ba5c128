// Compares two V8 heap snapshots (e.g. from measure-connections.ts --snapshots): the objects that
// appeared between them, grouped by constructor (or kind for closures, strings, arrays) and by
// what holds them (the first retainer and the edge's name), largest first, per connection.
//
//   npx tsx scripts/measure/heap-diff.ts before.heapsnapshot after.heapsnapshot [perN] [top]
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Snapshot;

function idsOf(data: Snapshot): Set<number> {
  const width = data.snapshot.meta.node_fields.length;
  const at = data.snapshot.meta.node_fields.indexOf("id");
  const ids = new Set<number>();
  for (let i = 0; i < data.nodes.length; i += width) ids.add(data.nodes[i + at]!);
  return ids;
}

/** Node offsets in `data.nodes` of the objects whose ids are not in `old`, with their labels. */
function analyse(data: Snapshot, old: Set<number>) {
  const { node_fields, edge_fields, node_types, edge_types } = data.snapshot.meta;
  const [width, edgeWidth] = [node_fields.length, edge_fields.length];
  const { nodes, edges, strings } = data;
  const label = (node: number) => {
    const type = node_types[0][nodes[node]!]!;
    const name = strings[nodes[node + 1]!]!;
    return type === "object" || type === "closure" || type === "native" ? `${type} ${name.slice(0, 50)}` : type;
  };
  // The first strong retainer of each node, and the name of the edge it holds it by.
  const retainer = new Map<number, string>();
  let edge = 0;
  for (let node = 0; node < nodes.length; node += width) {
    const count = nodes[node + 4]!;
    for (let k = 0; k < count; k++, edge += edgeWidth) {
      const type = edge_types[0][edges[edge]!]!;
      const to = edges[edge + 2]!;
      if (type === "weak" || retainer.has(to)) continue;
      const name = type === "element" || type === "hidden" ? `[${type}]` : String(strings[edges[edge + 1]!]);
      retainer.set(to, `${label(node)}.${name}`);
    }
  }
  const byLabel = new Map<string, { count: number; size: number }>();
  const byRetainer = new Map<string, { count: number; size: number }>();
  const add = (map: typeof byLabel, key: string, size: number) => {
    const group = map.get(key) ?? { count: 0, size: 0 };
    group.count += 1;
    group.size += size;
    map.set(key, group);
  };
  let total = 0;
  for (let node = 0; node < nodes.length; node += width) {
    if (old.has(nodes[node + 2]!)) continue;
    const size = nodes[node + 3]!;
    total += size;
    add(byLabel, label(node), size);
    add(byRetainer, `${label(node)} <- ${retainer.get(node) ?? "?"}`, size);
  }
  return { total, byLabel, byRetainer };
}

const [beforePath, afterPath, perArg = "1", topArg = "40"] = process.argv.slice(2);
if (!beforePath || !afterPath) throw new Error("usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [perN] [top]");
const old = idsOf(read(beforePath));
const { total, byLabel, byRetainer } = analyse(read(afterPath), old);
const per = Number(perArg);
const top = Number(topArg);
const print = (title: string, groups: Map<string, { count: number; size: number }>) => {
  console.log(`\n${title}\nbytes/unit  count/unit`);
  for (const [key, group] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
    console.log(`${(group.size / per).toFixed(0).padStart(10)}  ${(group.count / per).toFixed(2).padStart(10)}  ${key}`);
  }
};
console.log(`new objects: ${(total / per).toFixed(0)} bytes per unit (${per} units)`);
print("by kind", byLabel);
print("by kind and first retainer", byRetainer);
