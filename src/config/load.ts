// Loads an experiment config: YAML (with line:col for every key and value) → `extends` chain
// → `--set key.path=value` overrides → one schema validation. Errors are one line naming the
// file:line:col (or the --set flag), the key path, what was expected and what was found.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYamlValue, stringify } from "yaml";
import type { Config } from "./schema.js";
import { ConfigError, describeFound, REMOVED_KEYS, type Origins } from "./errors.js";
import { parseYamlText, validateConfig as validate, type Plain } from "./parse.js";


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
  resolveDataPaths(own, dirname(absPath));
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
  return parseYamlText(text, shown, origins);
}

/** data.dir, data.train, data.test and a data.validation path, relative to the folder of the file that names them. */
const DATA_PATH_KEYS = ["dir", "train", "test", "validation"] as const;

function resolveDataPaths(own: Plain, folder: string): void {
  const data = own.data;
  if (!isPlainObject(data)) return;
  for (const key of DATA_PATH_KEYS) {
    const v = data[key];
    if (typeof v === "string" && v.length > 0) data[key] = resolve(folder, v);
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
  // Keys, or indices into a list: model.layers.2.out
  if (!/^[A-Za-z_][\w]*(\.([A-Za-z_][\w]*|\d+))*$/.test(path)) throw new ConfigError(`${where}: expected a dotted key path like train.lr or model.layers.2.out, found ${JSON.stringify(path)}`);
  let value: unknown;
  try {
    value = raw.trim() === "" ? "" : parseYamlValue(raw);
  } catch {
    value = raw; // not YAML: keep the text, the schema says whether a string is wanted
  }
  const keys = path.split(".");
  let node: Plain | unknown[] = target;
  keys.forEach((key, i) => {
    const last = i === keys.length - 1;
    const at = keys.slice(0, i).join(".");
    if (Array.isArray(node)) {
      // A list is indexed, never grown: the index must name an item it has.
      const index = /^\d+$/.test(key) ? Number(key) : NaN;
      if (!(index < node.length)) throw new ConfigError(`${where}: ${at}: expected an index below ${node.length} (the list has ${node.length} item${node.length === 1 ? "" : "s"}), found ${JSON.stringify(key)}`);
      if (last) node[index] = value;
      else node = descend(node, index, keys.slice(0, i + 1).join("."));
      return;
    }
    if (/^\d+$/.test(key)) throw new ConfigError(`${where}: ${at}: expected a list to index with ${key}, found a mapping`);
    if (last) node[key] = value;
    else node = descend(node, key, keys.slice(0, i + 1).join("."));
  });
  // The container at node[key], made a mapping where nothing is yet.
  function descend(parent: Plain | unknown[], key: string | number, shown: string): Plain | unknown[] {
    const child = (parent as Record<string | number, unknown>)[key];
    if (Array.isArray(child) || isPlainObject(child)) return child;
    if (child !== undefined) throw new ConfigError(`${where}: ${shown}: expected a mapping or list to set a key in, found ${describeFound(child)}`);
    const made: Plain = {};
    (parent as Record<string | number, unknown>)[key] = made;
    return made;
  }
  origins.keys.set(path, where);
  origins.values.set(path, where);
  // A --set replaces the whole value: forget locations of what it replaced below it.
  for (const map of [origins.keys, origins.values]) for (const k of [...map.keys()]) if (k.startsWith(`${path}.`)) map.set(k, where);
}

function dropRemovedKeys(config: Plain): void {
  for (const path of Object.keys(REMOVED_KEYS)) {
    const keys = path.split(".");
    const parent = keys.slice(0, -1).reduce<unknown>((o, k) => (typeof o === "object" && o !== null ? (o as Plain)[k] : undefined), config);
    if (typeof parent === "object" && parent !== null) delete (parent as Plain)[keys[keys.length - 1]!];
  }
}
