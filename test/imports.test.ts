// The layer order of src/ (docs/architecture.md "Layers"): a file imports, type imports included,
// only from its own folder or from a floor below. No import circles anywhere.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { packageRoot } from "../src/paths.js";

/** Floors from the ground up. Folders on one floor never import each other. */
export const FLOORS: string[][] = [
  ["src/io", "src/errors.ts", "src/rng.ts", "src/paths.ts"],
  ["src/config"],
  ["src/data"],
  ["src/kernels"],
  ["src/model", "src/optim"],
  ["src/arena"],
  ["src/engine/common"],
  ["src/engine/coordinator", "src/engine/worker"],
  ["src/report"],
  ["src/run"],
  ["src/queue", "src/export", "src/serve"],
  ["src/sweep", "src/bench"],
  ["src/cli", "src/web"],
  ["src/index.ts", "workers"],
];

/** The floor entry a file belongs to: the longest entry that is the file or a folder above it. */
function unitOf(file: string): string {
  const units = FLOORS.flat().filter((u) => file === u || file.startsWith(`${u}/`));
  if (units.length === 0) throw new Error(`${file} is on no floor: add its folder to FLOORS`);
  return units.sort((a, b) => b.length - a.length)[0]!;
}
const floorOf = (unit: string) => FLOORS.findIndex((f) => f.includes(unit));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "assembly" || name === "build" ? [] : sources(path); // AssemblyScript: its own module graph
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

function importGraph(): Map<string, string[]> {
  const files = [...sources(join(packageRoot, "src")), ...sources(join(packageRoot, "workers"))];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const specs = [
      ...text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)\.js"/g),
      ...text.matchAll(/import\(\s*"(\.{1,2}\/[^"]+)\.js"\s*\)/g),
    ].map((m) => m[1]!);
    graph.set(relative(packageRoot, file), specs.map((s) => relative(packageRoot, resolve(dirname(file), `${s}.ts`))));
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as a list of files. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

/** Imports that break the order: to a higher floor, or to another folder of the same floor. */
function violations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) {
    const from = unitOf(file);
    for (const dep of deps) {
      const to = unitOf(dep);
      if (to === from) continue;
      if (floorOf(to) >= floorOf(from)) out.push(`${file} → ${dep} (${from} may not import ${to})`);
    }
  }
  return out;
}

describe("module layering", () => {
  const graph = importGraph();

  it("finds the imports, type imports and dynamic imports included (the scan works)", () => {
    expect(graph.get("src/engine/coordinator/engine.ts")).toContain("src/engine/common/protocol.ts");
    expect(graph.get("src/run/train-loop.ts")).toContain("src/report/metrics.ts"); // `import type`
    expect(cycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]))).toEqual([["a", "b", "c", "a"]]);
    // The rule itself: an upward import, and one across a floor, are both found.
    expect(violations(new Map([["src/kernels/x.ts", ["src/engine/common/protocol.ts"]]]))).toHaveLength(1);
    expect(violations(new Map([["src/engine/worker/x.ts", ["src/engine/coordinator/engine.ts"]]]))).toHaveLength(1);
    expect(violations(new Map([["src/run/x.ts", ["src/report/metrics.ts", "src/io/atomic.ts", "src/run/y.ts"]]]))).toEqual([]);
  });

  it("every file of src/ and workers/ is on a floor", () => {
    for (const file of graph.keys()) expect(() => unitOf(file), file).not.toThrow();
  });

  it("imports only from its own folder or a floor below", () => {
    expect(violations(graph)).toEqual([]);
  });

  it("has no import circles in src/ and workers/", () => {
    expect(cycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  it("each engine file's first line says which thread runs it", () => {
    for (const file of graph.keys()) {
      if (!file.startsWith("src/engine/")) continue;
      const first = readFileSync(join(packageRoot, file), "utf8").split("\n")[0]!;
      const expected = file.startsWith("src/engine/coordinator/") ? /^\/\/ Coordinator thread/ : file.startsWith("src/engine/worker/") ? /^\/\/ Worker thread/ : /^\/\/ Both threads/;
      expect(first, file).toMatch(expected);
    }
  });
});
