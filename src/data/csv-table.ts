// Node: one CSV file as a table of f32 features and a label cell per row, parsed as a stream
// by csv-parse (RFC 4180 quoting), so a large file is never held as text or as rows of strings:
// the features go straight into a growing Float32Array. Every problem is one line naming
// file:line:column (the column counted in fields, from 1).
import { createReadStream } from "node:fs";
import { parse, CsvError } from "csv-parse";
import { DataError } from "./errors.js";

export interface CsvTable {
  /** the header's names, or "column 1", "column 2", … */
  columns: string[];
  /** 0-based index of the label column, or −1 (a prediction file of features only) */
  labelColumn: number;
  /** (rows, F) f32, the feature columns in file order (the label column left out) */
  features: Float32Array;
  /** (rows) each row's label cell, as written */
  labels: string[];
  /** (rows) each row's line in the file, for errors about its label */
  lines: Uint32Array;
  rows: number;
}

export interface CsvOptions {
  header: boolean;
  /** the label column by header name or 0-based index; default the last column */
  label: string | number | undefined;
  /** the columns a train file had: a test or validation file must have the same */
  expectColumns?: string[];
  /** rows to predict on: F fields (no label column) or F + 1 (the label column, left out) */
  features?: number;
}

export async function readCsvTable(file: string, options: CsvOptions): Promise<CsvTable> {
  const parser = createReadStream(file).pipe(parse({ info: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }));
  let columns: string[] | null = null;
  let labelColumn = -1;
  let F = 0;
  let features = new Float32Array(1 << 16);
  const labels: string[] = [];
  let lines = new Uint32Array(1 << 12);
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (columns === null) {
        columns = options.header ? record : record.map((_, i) => `column ${i + 1}`);
        const featuresOnly = options.features !== undefined && columns.length === options.features;
        if (options.features !== undefined && !featuresOnly && columns.length !== options.features + 1) {
          throw new DataError(`${file}:${line}`, `expected ${options.features} feature columns (or those and the label column), found ${columns.length} columns`);
        }
        labelColumn = featuresOnly ? -1 : labelIndex(columns, options, file);
        F = featuresOnly ? columns.length : columns.length - 1;
        if (F < 1) throw new DataError(`${file}:${line}`, `expected a label column and at least one feature column, found ${columns.length} column`);
        if (options.expectColumns && options.expectColumns.join("\u0000") !== columns.join("\u0000") && (options.header || options.expectColumns.length !== columns.length)) {
          throw new DataError(`${file}:${line}`, `expected the training file's ${options.expectColumns.length} columns (${preview(options.expectColumns)}), found ${columns.length} (${preview(columns)})`);
        }
        if (options.header) continue;
      }
      if (record.length !== columns.length) {
        throw new DataError(`${file}:${line}`, `expected ${columns.length} fields (as ${options.header ? "the header has" : "the first row has"}), found ${record.length}`);
      }
      if ((rows + 1) * F > features.length) features = grow(features, Math.max(features.length * 2, (rows + 1) * F));
      if (rows >= lines.length) lines = grow(lines, lines.length * 2);
      let f = rows * F;
      for (let c = 0; c < record.length; c++) {
        const cell = record[c]!;
        if (c === labelColumn) {
          if (cell === "") throw new DataError(`${file}:${line}:${c + 1}`, `label column ${JSON.stringify(columns[c])}: expected a label, found an empty cell`);
          labels.push(cell);
          continue;
        }
        const v = cell === "" ? NaN : Number(cell);
        if (!Number.isFinite(v)) {
          throw new DataError(`${file}:${line}:${c + 1}`, `column ${JSON.stringify(columns[c])}: expected a finite number, found ${cell === "" ? "an empty cell" : JSON.stringify(cell.slice(0, 40))}`);
        }
        features[f++] = v;
      }
      lines[rows++] = line;
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    const e = err as NodeJS.ErrnoException & { lines?: number };
    if (e.code === "ENOENT") throw new DataError(file, "file not found");
    if (e.code === "EISDIR") throw new DataError(file, "expected a CSV file, found a directory");
    if (err instanceof CsvError) throw new DataError(`${file}:${e.lines ?? "?"}`, `not valid CSV: ${e.message.replace(/^Invalid \w+:?\s*/, "").split("\n")[0]}`);
    throw new DataError(file, `cannot read (${e.code ?? e.message})`);
  }
  if (columns === null || rows === 0) throw new DataError(file, "no data rows");
  return { columns, labelColumn, features: features.slice(0, rows * F), labels, lines: lines.slice(0, rows), rows };
}

function labelIndex(columns: string[], options: CsvOptions, file: string): number {
  const { label } = options;
  if (label === undefined) return columns.length - 1;
  if (typeof label === "number") {
    if (label >= columns.length) throw new DataError("data.label", `expected a column index below ${columns.length} (${file} has ${columns.length} columns), found ${label}`);
    return label;
  }
  if (!options.header) throw new DataError("data.label", `expected a column index (data.header is false, so ${file}'s columns have no names), found ${JSON.stringify(label)}`);
  const i = columns.indexOf(label);
  if (i < 0) throw new DataError("data.label", `expected one of ${file}'s columns (${preview(columns)}), found ${JSON.stringify(label)}`);
  return i;
}

const preview = (names: string[]) => (names.length > 6 ? [...names.slice(0, 5), "…", names[names.length - 1]] : names).join(", ");

function grow<T extends Float32Array | Uint32Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}
