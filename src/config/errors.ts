// Config errors: one line each, "WHERE: key.path: expected …, found …" where WHERE is
// file:line:col or the --set flag that introduced the value.
import { closest, distance } from "fastest-levenshtein";
import type * as z from "zod";
import { OPTIMIZER_TYPES, optimKeys, type OptimizerType } from "./optim-schema.js";
import { ConfigSchema } from "./schema.js";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** What a value looks like in an error message. */
export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "[]" : `a list of ${value.length}`;
  return "a mapping";
}

const TYPE_NAMES: Record<string, string> = {
  number: "a number", int: "an integer", string: "a string", boolean: "true or false",
  array: "a list", object: "a mapping", literal: "a fixed value",
};

function bound(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean }, which: "min" | "max"): string {
  const value = which === "min" ? issue.minimum : issue.maximum;
  const op = which === "min" ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
  return `${op} ${String(value)}`;
}

/** The "expected …" part of one zod issue. */
export function describeExpected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case "too_small":
      return issue.origin === "array" ? `a list of at least ${String(issue.minimum)} item(s)` : issue.origin === "string" ? "a non-empty string" : `a number ${bound(issue, "min")}`;
    case "too_big":
      return issue.origin === "array" ? `a list of at most ${String(issue.maximum)} item(s)` : `a number ${bound(issue, "max")}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}`;
    case "invalid_union":
      return issue.errors.map((branch) => (branch[0] ? describeExpected(branch[0]) : "?")).join(" or ");
    case "invalid_format":
      return `a string of ${issue.message ?? issue.format}`;
    case "not_multiple_of":
      return `a multiple of ${String(issue.divisor)}`;
    default:
      return issue.message;
  }
}

/** "did you mean" for an unknown key, if a known key is close enough to be a typo. */
export function didYouMean(key: string, known: string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(key, known);
  return distance(key.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Keys that earlier versions accepted: the hint says why they went. */
export const REMOVED_KEYS: Record<string, string> = {
  "engine.shards": "it is no longer needed: each parameter's gradient is now summed over all the batch's rows by one worker (owner-computes), so the result is the same for any worker count without micro-shards; delete the key",
};

/** Where each key and value came from: "file:line:col" or "--set k=v". */
export interface Origins {
  keys: Map<string, string>;
  values: Map<string, string>;
}

/** A zod issue as one line: WHERE: key.path: expected …, found … (schema: the one that raised it, for the keys it allows). */
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
