// Node: where a streamed training split's rows come from (data.stream, engine/coordinator/
// stream-feeder.ts): a file of fixed-size records read by row (an .npy's or a raw IDX file's
// data), rows already in memory, or a subset of another source. Only the inputs stream; the
// labels (a byte a row) stay in memory.
import { closeSync, openSync, readSync } from "node:fs";
import { DataError } from "./errors.js";

/** u8 pixels or f32 features (split.ts InputType, spelled out: split.ts imports this file) */
type InputType = "u8" | "f32";

export interface RowSource {
  count: number;
  /** values per row */
  width: number;
  type: InputType;
  /** rows[i] of this source into row i of out (rows.length, width) */
  read(rows: ArrayLike<number>, out: Uint8Array | Float32Array): void;
  /** closes what reading opened (a file); the next read opens it again */
  release?(): void;
}

/** Rows held in memory (data that fit, streamed because data.stream says so). */
export function memoryRowSource(inputs: Uint8Array | Float32Array, width: number): RowSource {
  return {
    count: inputs.length / width, width, type: inputs instanceof Float32Array ? "f32" : "u8",
    read(rows, out) {
      for (let i = 0; i < rows.length; i++) out.set(inputs.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
    },
  };
}

/**
 * Records of `width` values at `offset` in `file`, read with one positioned read per row (the
 * page cache serves repeats). Little-endian f32 or u8, as .npy ('<f4', '|u1') and IDX (u8) store
 * them. The file is opened by the first read and stays open until release() (the feeder releases
 * it after each run of steps).
 */
export function fileRowSource(file: string, offset: number, count: number, width: number, type: InputType): RowSource {
  const rowBytes = width * (type === "f32" ? 4 : 1);
  let fd: number | null = null;
  return {
    count, width, type,
    read(rows, out) {
      const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      fd ??= openSync(file, "r");
      for (let i = 0; i < rows.length; i++) {
        const got = readSync(fd, bytes, i * rowBytes, rowBytes, offset + rows[i]! * rowBytes);
        if (got !== rowBytes) throw new DataError(file, `ended inside row ${rows[i]} (read ${got} of its ${rowBytes} bytes): the file changed while training`);
      }
    },
    release() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** Row i of the result is row indices[i] of `source` (a training split without its held-out rows). */
export function subsetRowSource(source: RowSource, indices: Uint32Array): RowSource {
  return {
    count: indices.length, width: source.width, type: source.type,
    read(rows, out) {
      source.read(Array.from(rows, (r) => indices[r]!), out);
    },
    release: () => source.release?.(),
  };
}

/** All rows of a source into memory, read in chunks (a small split held out of a streamed file). */
export function readAllRows(source: RowSource, rows: Uint32Array): Uint8Array | Float32Array {
  const out = source.type === "f32" ? new Float32Array(rows.length * source.width) : new Uint8Array(rows.length * source.width);
  const CHUNK = 4096;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.subarray(i, Math.min(rows.length, i + CHUNK));
    source.read(part, out.subarray(i * source.width, (i + part.length) * source.width));
  }
  return out;
}
