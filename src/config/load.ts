// Loads an experiment config: YAML (with line:col for every key and value) → `extends` chain
// → `--set key.path=value` overrides → one schema validation. Errors are one line naming the
// file:line:col (or the --set flag), the key path, what was expected and what was found.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parse as parseYamlValue, parseDocument, stringify, visit, type Document, type Node } from "yaml";
import * as z from "zod";
import { OPTIMIZER_TYPES, optimKeys, type OptimizerType } from "./optim-schema.js";
import { ConfigSchema, type Config } from "./schema.js";
import { ConfigError, describeExpected, describeFound, didYouMean } from "./errors.js";

type Plain = Record<string, unknown>;

/** Where each key and value came from: "file:line:col" or "--set k=v". */
export interface Origins {
  keys: Map<string, string>;
  values: Map<string, string>;
}

export interface LoadedConfig {
  config: Config;
  /** every file read, the entry file first */
  files: string[];
}

export interface LoadOptions {
  /** drop keys earlier versions wrote (REMOVED_KEYS) instead of refusing them: for config.yaml files dptrain wrote itself */
  dropRemovedKeys?: boolean;
}

export function loadConfig(file: string, sets: string[] = [], options: LoadOptions = {}): LoadedConfig {
  const origins: Origins = { keys: new Map(), values: new Map() };
  const files: string[] = [];
  const merged = readWithExtends(resolve(file), file, origins, files, []);
  if (options.dropRemovedKeys) dropRemovedKeys(merged);
  for (const arg of sets) applySet(merged, arg, origins);
  return { config: validate(merged, origins, file), files };
}

/** Validates an already-merged plain object (e.g. a checkpoint's stored config). */
export function parseConfigObject(value: unknown, where: string): Config {
  return validate(value, { keys: new Map(), values: new Map() }, where);
}

export function configToYaml(config: Config): string {
  return stringify(config);
}

function readWithExtends(absPath: string, shown: string, origins: Origins, files: string[], chain: string[]): Plain {
  if (chain.includes(absPath)) throw new ConfigError(`${shown}: extends: expected a chain without cycles, found ${[...chain, absPath].join(" → ")}`);
  files.push(shown);
  const ownOrigins: Origins = { keys: new Map(), values: new Map() };
  const own = readYamlFile(absPath, shown, ownOrigins);
  const parent = own.extends;
  delete own.extends;
  if (parent !== undefined && (typeof parent !== "string" || parent.length === 0)) {
    throw new ConfigError(`${ownOrigins.values.get("extends") ?? shown}: extends: expected a file name, found ${describeFound(parent)}`);
  }
  const base = parent === undefined ? {} : readWithExtends(resolve(dirname(absPath), parent as string), parent as string, origins, files, [...chain, absPath]);
  // This file's locations win over its base's: they are where the merged values come from.
  for (const kind of ["keys", "values"] as const) for (const [k, v] of ownOrigins[kind]) origins[kind].set(k, v);
  return deepMerge(base, own);
}

export function readYamlFile(absPath: string, shown: string, origins: Origins): Plain {
  let text: string;
  try {
    text = readFileSync(absPath, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${shown}: cannot read config (${code === "ENOENT" ? "file not found" : code ?? (err as Error).message})`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const { line, col } = lineCounter.linePos(firstError.pos[0]);
    const where = `${shown}:${line}:${col}`;
    throw new ConfigError(`${where}: YAML syntax error: ${firstError.message.split("\n")[0]}`);
  }
  const at = (node: Node | null | undefined) => {
    const offset = node?.range?.[0];
    if (offset === undefined) return shown;
    const { line, col } = lineCounter.linePos(offset);
    return `${shown}:${line}:${col}`;
  };
  // An empty file (or one of comments only) is a mistake, not a request for every default.
  if (doc.contents === null) throw new ConfigError(`${shown}: (top level): expected a mapping of config keys, found ${text.trim() === "" ? "an empty file" : "only comments"}`);
  if (!isMap(doc.contents)) throw new ConfigError(`${at(doc.contents)}: (top level): expected a mapping of config keys, found ${describeFound(doc.toJS())}`);
  recordOrigins(doc.contents, "", at, origins);
  try {
    return doc.toJS() as Plain;
  } catch (err) {
    // e.g. an alias to an anchor that does not exist: point at the first such alias.
    throw new ConfigError(`${at(firstUnresolvedAlias(doc))}: YAML error: ${(err as Error).message.split("\n")[0]}`);
  }
}

function firstUnresolvedAlias(doc: Document): Node | null {
  let found: Node | null = null;
  visit(doc, {
    Alias(_, node) {
      if (isAlias(node) && node.resolve(doc) === undefined) {
        found = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function recordOrigins(node: Node, path: string, at: (n: Node | null | undefined) => string, origins: Origins): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const childPath = path ? `${path}.${key}` : key;
      origins.keys.set(childPath, at(pair.key as Node));
      origins.values.set(childPath, at((pair.value as Node | null) ?? (pair.key as Node)));
      if (pair.value) recordOrigins(pair.value as Node, childPath, at, origins);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = `${path}.${i}`;
      origins.values.set(childPath, at(item as Node));
      recordOrigins(item as Node, childPath, at, origins);
    });
  }
}

function isPlainObject(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Mappings merge key by key; lists and scalars from `over` replace those of `base`. */
function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key] as Plain, value) : value;
  }
  return out;
}

function applySet(target: Plain, arg: string, origins: Origins): void {
  const where = `--set ${arg}`;
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new ConfigError(`${where}: expected key.path=value, found no "="`);
  const path = arg.slice(0, eq).trim();
  const raw = arg.slice(eq + 1);
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(path)) throw new ConfigError(`${where}: expected a dotted key path like train.lr, found ${JSON.stringify(path)}`);
  let value: unknown;
  try {
    value = raw.trim() === "" ? "" : parseYamlValue(raw);
  } catch {
    value = raw; // not YAML: keep the text, the schema says whether a string is wanted
  }
  const keys = path.split(".");
  let node = target;
  keys.slice(0, -1).forEach((key, i) => {
    if (!isPlainObject(node[key])) {
      if (node[key] !== undefined) throw new ConfigError(`${where}: ${keys.slice(0, i + 1).join(".")}: expected a mapping to set a key in, found ${describeFound(node[key])}`);
      node[key] = {};
    }
    node = node[key] as Plain;
  });
  node[keys[keys.length - 1]!] = value;
  origins.keys.set(path, where);
  origins.values.set(path, where);
  // A --set replaces the whole value: forget locations of what it replaced below it.
  for (const map of [origins.keys, origins.values]) for (const k of [...map.keys()]) if (k.startsWith(`${path}.`)) map.set(k, where);
}

/** Keys that earlier versions accepted: the hint says why they went. */
const REMOVED_KEYS: Record<string, string> = {
  "engine.shards": "it is no longer needed: each parameter's gradient is now summed over all the batch's rows by one worker (owner-computes), so the result is the same for any worker count without micro-shards; delete the key",
};

function dropRemovedKeys(config: Plain): void {
  for (const path of Object.keys(REMOVED_KEYS)) {
    const keys = path.split(".");
    const parent = keys.slice(0, -1).reduce<unknown>((o, k) => (typeof o === "object" && o !== null ? (o as Plain)[k] : undefined), config);
    if (typeof parent === "object" && parent !== null) delete (parent as Plain)[keys[keys.length - 1]!];
  }
}

function validate(value: unknown, origins: Origins, file: string): Config {
  const result = ConfigSchema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(formatIssue(result.error.issues[0]!, origins, file));
}

export function formatIssue(issue: z.core.$ZodIssue, origins: Origins, file: string, schema: unknown = ConfigSchema): string {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const keyPath = [...path, key].join(".");
    const known = keysFor(path, issue.input) ?? knownKeys(schema, path);
    const hint = didYouMean(key, known);
    const where = origins.keys.get(keyPath) ?? locate(path, origins, file);
    const removed = REMOVED_KEYS[keyPath];
    if (removed) return `${where}: ${keyPath}: unknown key (expected one of ${known.join(", ")}); ${removed}`;
    return `${where}: ${keyPath}: unknown key (expected one of ${known.join(", ")})${hint ? `; did you mean "${hint}"?` : ""}`;
  }
  const keyPath = path.join(".") || "(top level)";
  const where = locate(path, origins, file);
  if (issue.code === "invalid_union" && issue.errors.length === 0) {
    // A discriminated union (model.layers[i].type) that matched no option: list the options.
    const key = path[path.length - 1]!;
    const options = ((unwrap(schemaAt(schema, path.slice(0, -1))) as { options?: unknown[] } | undefined)?.options ?? [])
      .map((o) => (o as { shape?: Record<string, { _zod?: { def?: { values?: unknown[] } } }> }).shape?.[key]?._zod?.def?.values?.[0]);
    const value = (issue.input as Record<string, unknown> | undefined)?.[key];
    return `${where}: ${keyPath}: expected one of ${options.map((v) => JSON.stringify(v)).join(", ")}, found ${describeFound(value)}`;
  }
  const found = "input" in issue ? describeFound(issue.input) : "nothing";
  return `${where}: ${keyPath}: expected ${refineExpected(describeExpected(issue), issue, schemaAt(schema, path))}, found ${found}`;
}

/** Adds what zod's issue leaves out: integer-ness, and the literal alternatives of a union ("auto"). */
function refineExpected(expected: string, issue: z.core.$ZodIssue, schema: unknown): string {
  const options = (unwrap(schema) as { options?: unknown[] } | undefined)?.options ?? [schema];
  const isInt = options.some((o) => (unwrap(o) as { isInt?: boolean } | undefined)?.isInt === true);
  let out = isInt ? expected.replace(/^a number\b/, "an integer") : expected;
  if (issue.code !== "invalid_union" && options.length > 1) {
    const literals = options.flatMap((o) => ((unwrap(o) as { _zod?: { def?: { type?: string; values?: unknown[] } } } | undefined)?._zod?.def?.type === "literal" ? ((unwrap(o) as { _zod: { def: { values: unknown[] } } })._zod.def.values) : []));
    if (literals.length > 0) out += ` or ${literals.map((v) => JSON.stringify(v)).join(" or ")}`;
  }
  return out;
}

/** Strips default/prefault/optional wrappers, and preprocessing (a pipe: the schema it feeds). */
function unwrap(schema: unknown): unknown {
  let s = schema;
  for (;;) {
    const def = (s as { _zod?: { def?: { innerType?: unknown; type?: string; out?: unknown } } } | undefined)?._zod?.def;
    const inner = def?.innerType ?? (def?.type === "pipe" ? def.out : undefined);
    if (!inner) return s;
    s = inner;
  }
}

/** The schema that validates the value at path (object keys and list indices). */
function schemaAt(root: unknown, path: string[]): unknown {
  let schema: unknown = root;
  for (const key of path) {
    const s = unwrap(schema) as { shape?: Record<string, unknown>; _zod?: { def?: { element?: unknown; valueType?: unknown } } };
    schema = s.shape ? s.shape[key] : (s._zod?.def?.element ?? s._zod?.def?.valueType);
    if (schema === undefined) return undefined;
  }
  return schema;
}

/** The origin of the value at path, else of its nearest ancestor, else the file. */
function locate(path: string[], origins: Origins, file: string): string {
  for (let n = path.length; n > 0; n--) {
    const hit = origins.values.get(path.slice(0, n).join("."));
    if (hit) return hit;
  }
  return file;
}

/** The keys a mapping allows where they depend on another key: optim's depend on its type. */
function keysFor(path: string[], input: unknown): string[] | null {
  const type = (input as { type?: unknown } | undefined)?.type;
  if (path.join(".") !== "optim" || typeof type !== "string" || !(OPTIMIZER_TYPES as readonly string[]).includes(type)) return null;
  return ["type", ...optimKeys(type as OptimizerType), "schedule"];
}

/** The keys the schema allows in the mapping at path. */
function knownKeys(root: unknown, path: string[]): string[] {
  const shape = (unwrap(schemaAt(root, path)) as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}
