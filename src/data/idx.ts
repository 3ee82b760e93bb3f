// Node: reads IDX files (idx-format.ts), gunzipping them with the output bounded by the size
// their header declares.
import { constants as zlibConstants, gunzip as gunzipCb, gunzipSync } from "node:zlib";
import { promisify } from "node:util";
import { readFile } from "node:fs/promises";
import { DataError, unreadable } from "./errors.js";

import { parseIdxBytes, type IdxFile } from "./idx-format.js";

export { encodeIdx, IMAGES_MAGIC, LABELS_MAGIC, parseIdxBytes, type IdxFile } from "./idx-format.js";

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** An IDX file larger than this cannot be a dataset here: the arena is a 4 GiB WebAssembly memory. */
export const MAX_IDX_BYTES = 2 ** 32;
/** Compressed bytes read for the header: at most about 1,000× that when decompressed. */
const HEADER_PREFIX_BYTES = 4096;

/**
 * The size an IDX file declares in its header (4 + 4 · dims + Π dims bytes), read from the first
 * decompressed bytes of a gzip file, so that the whole file is decompressed with its output
 * bounded by that size: a few MB of gzip cannot expand to many GB.
 */
function declaredGzipSize(raw: Uint8Array, file: string): number {
  let head: Uint8Array;
  try {
    head = gunzipSync(raw.subarray(0, HEADER_PREFIX_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    throw new DataError(file, `corrupt gzip stream (${(err as Error).message})`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const nDims = head.length >= 4 ? view.getUint32(0, false) & 0xff : 0;
  if (head.length < 4 || head.length < 4 + 4 * nDims) {
    // Too little came out for a header: the stream is that short (parseIdx says so) or broken
    // (zlib says how). Either way it is small, so a small bound does.
    const small = 1 << 16;
    try {
      gunzipSync(raw, { maxOutputLength: small });
    } catch (err) {
      throw gunzipError(err, file, small);
    }
    return small;
  }
  let size = 1;
  for (let d = 0; d < nDims; d++) size *= view.getUint32(4 + 4 * d, false);
  size += 4 + 4 * nDims;
  if (size > MAX_IDX_BYTES) throw new DataError(file, `header declares ${size} bytes, more than the ${MAX_IDX_BYTES} an arena can hold`);
  return size;
}

/** The gunzip error as one line: output past the declared size, or a corrupt stream. */
function gunzipError(err: unknown, file: string, declared: number): DataError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) return new DataError(file, `decompresses to more than the ${declared} bytes its IDX header declares`);
  return new DataError(file, `corrupt gzip stream (${e.message})`);
}

/** Decompresses if the bytes start with the gzip magic (independent of the file name), to at most the size the IDX header declares (+1, so a longer file is reported as such). */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const declared = declaredGzipSize(bytes, file);
  try {
    return gunzipSync(bytes, { maxOutputLength: declared + 1 });
  } catch (err) {
    throw gunzipError(err, file, declared);
  }
}

/** Parses and validates one IDX file's bytes, gzipped or not. `expect` says which kind the caller needs. */
export function parseIdx(raw: Uint8Array, file: string, expect: "labels" | "images"): IdxFile {
  return parseIdxBytes(maybeGunzip(raw, file), file, expect);
}

export async function readIdx(file: string, expect: "labels" | "images"): Promise<IdxFile> {
  let raw: Uint8Array;
  try {
    raw = await readFile(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  if (isGzip(raw)) {
    const declared = declaredGzipSize(raw, file);
    try {
      raw = await gunzip(raw, { maxOutputLength: declared + 1 }); // async: on libuv's pool, so parallel loads overlap
    } catch (err) {
      throw gunzipError(err, file, declared);
    }
  }
  return parseIdx(raw, file, expect);
}

const gunzip = promisify(gunzipCb);

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}
