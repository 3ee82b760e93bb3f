// Config errors: one line each, "WHERE: key.path: expected …, found …" where WHERE is
// file:line:col or the --set flag that introduced the value.
import { closest, distance } from "fastest-levenshtein";
import type * as z from "zod";

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
