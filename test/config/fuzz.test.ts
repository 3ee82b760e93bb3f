// Config fuzzing: generated bad configs must each give a ConfigError whose message is one line
// with a location, never another exception or a stack trace.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { configToYaml, loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/config/errors.js";
import { ConfigSchema, defaultConfig, type Config } from "../../src/config/schema.js";
import { Rng } from "../../src/rng.js";
import { runCli } from "../cli/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "dptrain-fuzz-"));
const valid = defaultConfig() as unknown as Record<string, unknown>;

const WEIRD_VALUES: unknown[] = [null, -1, 0, 1e308, -1e308, 0.5, "x", "", "auto", true, false, [], [0], [-1, 2], {}, { a: 1 }, "1e3", "NaN", ".inf", 2 ** 53, -0, "ü∂ß", [[1]], { lr: 1 }];

/** Leaf key paths of the valid config, e.g. "optim.schedule.type". */
function leafPaths(obj: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === "object" && !Array.isArray(v) ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]);
}
const PATHS = leafPaths(valid);

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== "object" || node[k] === null || Array.isArray(node[k])) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** One generated config text: valid YAML with bad values/keys, or broken YAML. */
function generate(rng: Rng, i: number): string {
  const cfg = structuredClone(valid);
  const mode = i % 7;
  const pick = <T>(xs: T[]) => xs[rng.nextInt(xs.length)]!;
  if (mode === 6) {
    // Valid values, drawn: what a config that parses must keep exactly.
    const draws: [string, () => unknown][] = [
      ["seed", () => rng.nextInt(100000)], ["train.epochs", () => 1 + rng.nextInt(50)], ["train.batchSize", () => 1 + rng.nextInt(1024)],
      ["optim.lr", () => Math.round((0.0001 + rng.nextFloat()) * 1e4) / 1e4], ["optim.momentum", () => Math.round(rng.nextFloat() * 90) / 100],
      ["model.hidden", () => Array.from({ length: 1 + rng.nextInt(4) }, () => 1 + rng.nextInt(512))], ["engine.workers", () => pick(["auto", 1, 2, 3])],
      ["eval.every", () => rng.nextInt(4)], ["data.dataset", () => pick(["mnist", "fashion-mnist"])], ["name", () => pick(["a", "run-1", "x_y"])],
    ];
    for (const [path, draw] of draws) if (rng.nextFloat() < 0.5) setPath(cfg, path, draw());
    return stringify(cfg);
  }
  if (mode === 0 || mode === 1) {
    for (let n = 0; n < 1 + rng.nextInt(3); n++) setPath(cfg, pick(PATHS), pick(WEIRD_VALUES));
  } else if (mode === 2) {
    const path = pick(PATHS).split(".");
    const last = path.pop()!;
    const typo = last.length > 1 ? last.slice(0, -1) + String.fromCharCode(97 + rng.nextInt(26)) : `${last}x`;
    setPath(cfg, [...path, typo === last ? `${last}_` : typo].join("."), 1);
  } else if (mode === 3) {
    setPath(cfg, pick(["data", "model", "train", "optim", "engine", "eval", "output", "optim.schedule"]), pick(WEIRD_VALUES.filter((v) => typeof v !== "object" || v === null || Array.isArray(v))));
  } else if (mode === 4) {
    const text = stringify(cfg);
    const at = rng.nextInt(text.length);
    const junk = pick(["[", "]", "{", ":", "- ", "\t", "  ", "'", '"', "&a", "*b", "!!str", "%", "@", "\n  - x\n"]);
    return text.slice(0, at) + junk + text.slice(at);
  } else {
    return pick(["", "~", "42", "- a\n- b\n", "'just a string'", "name: [unclosed", "name: x\nname: y\n", "a: &x 1\nb: *y\n", "{]", "train: {epochs: 2, epochs: 3}"]);
  }
  return stringify(cfg);
}

/** Every leaf of a parsed YAML value with its path (into mappings and lists). */
function leaves(value: unknown, path: (string | number)[] = []): [(string | number)[], unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [[path, value]];
}
const at = (obj: unknown, path: (string | number)[]) => path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], obj);

describe("config fuzz", () => {
  it("400 generated configs: each parses or gives a one-line ConfigError with a location", () => {
    const rng = new Rng(99);
    let errors = 0;
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const file = join(dir, `fuzz-${i}.yaml`);
      writeFileSync(file, generate(rng, i));
      let config: Config;
      try {
        config = loadConfig(file).config;
      } catch (err) {
        expect(err, `case ${i}`).toBeInstanceOf(ConfigError);
        const message = (err as Error).message;
        expect(message.includes("\n"), `case ${i}: ${message}`).toBe(false);
        expect(message.startsWith(file), `case ${i}: ${message}`).toBe(true);
        errors++;
        continue;
      }
      // A config that parses carries every value the file gave, unchanged; is a fixed point of
      // the schema; and reads back the same from the config.yaml a run writes.
      accepted++;
      // (A key left empty, YAML null, is a section left to its defaults.)
      for (const [path, value] of leaves(parseYaml(readFileSync(file, "utf8")) as unknown)) if (value !== null) expect(at(config, path), `case ${i}: ${path.join(".")}`).toEqual(value);
      expect(ConfigSchema.parse(config), `case ${i}`).toEqual(config);
      const again = join(dir, `fuzz-${i}-again.yaml`);
      writeFileSync(again, configToYaml(config));
      expect(loadConfig(again).config, `case ${i}`).toEqual(config);
    }
    console.log(`config fuzz: 400 cases, ${errors} clean one-line errors, ${accepted} accepted as valid`);
    expect(errors).toBeGreaterThanOrEqual(300);
  });

  it("through the CLI: exit 2, one line on stderr, no stack trace", async () => {
    const rng = new Rng(7);
    for (let i = 0; i < 12; i++) {
      const file = join(dir, `cli-${i}.yaml`);
      let text: string;
      do text = generate(rng, i); while (text.trim() === "");
      writeFileSync(file, text);
      let valid = true;
      try {
        loadConfig(file);
      } catch {
        valid = false;
      }
      if (valid) continue;
      const r = await runCli(["train", "-c", file, "--out", join(dir, `run-${i}`)]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});
