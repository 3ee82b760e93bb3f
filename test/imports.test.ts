// No import circles anywhere in src/ and workers/ (type-only imports count: they tie the files
// together just the same), and the engine's protocol sits at the bottom of the engine.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { packageRoot } from "../src/paths.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "assembly" ? [] : sources(path); // AssemblyScript: its own module graph
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

function importGraph(): Map<string, string[]> {
  const files = [...sources(join(packageRoot, "src")), ...sources(join(packageRoot, "workers"))];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const deps = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)\.js"/g)].map((m) => resolve(dirname(file), `${m[1]}.ts`));
    graph.set(relative(packageRoot, file), deps.map((d) => relative(packageRoot, d)));
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

describe("module layering", () => {
  const graph = importGraph();

  it("finds the imports (the scan works)", () => {
    expect(graph.get("src/engine/engine.ts")).toContain("src/engine/protocol.ts");
    expect(cycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]))).toEqual([["a", "b", "c", "a"]]);
  });

  it("has no import circles in src/ and workers/", () => {
    expect(cycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  it("engine/protocol.ts imports nothing from src/engine", () => {
    expect(graph.get("src/engine/protocol.ts")!.filter((d) => d.startsWith("src/engine/"))).toEqual([]);
  });
});
