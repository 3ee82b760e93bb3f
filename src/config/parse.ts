// A config's YAML text → a plain object with the line:col of every key and value (Origins) →
// one schema validation. Host-neutral: Node's loader (load.ts) reads files, follows `extends`
// and applies --set; a web page's editor parses its text here.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import { ConfigSchema, type Config } from "./schema.js";
import { ConfigError, describeFound, formatIssue, type Origins } from "./errors.js";

export type Plain = Record<string, unknown>;

/** Parses one YAML document, recording where each key and value is (shown:line:col) in origins. */
export function parseYamlText(text: string, shown: string, origins: Origins): Plain {
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

export function validateConfig(value: unknown, origins: Origins, file: string): Config {
  const result = ConfigSchema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(formatIssue(result.error.issues[0]!, origins, file));
}

/** A config given as text (a web page's editor): one file, so `extends` has nothing to name. */
export function parseConfigText(text: string, shown: string): Config {
  const origins: Origins = { keys: new Map(), values: new Map() };
  const value = parseYamlText(text, shown, origins);
  if (value.extends !== undefined) throw new ConfigError(`${origins.keys.get("extends") ?? shown}: extends: expected no extends here (there are no other files to extend), found ${describeFound(value.extends)}`);
  return validateConfig(value, origins, shown);
}
