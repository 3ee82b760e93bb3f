// One PNG or JPEG file's pixels, decoded by pngjs and jpeg-js, as RGB (H, W, 3) u8, the way
// torchvision's ImageFolder loader opens an image (PIL's convert("RGB"): alpha dropped). The
// format is told by the file's first bytes, not its name. An image's declared size is checked
// before it is decoded, so a small crafted file cannot make the decoder allocate gigabytes.
import pngjs from "pngjs";
import jpeg from "jpeg-js";
import { DataError } from "./errors.js";

/** Pillow's decompression-bomb limit is about 89 million pixels; a training image is far smaller. */
export const MAX_IMAGE_PIXELS = 2 ** 26;

export interface DecodedImage {
  width: number;
  height: number;
  /** (height, width, 3) u8 */
  rgb: Uint8Array;
  /** whether every pixel has R = G = B */
  gray: boolean;
}

const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** What an image's first bytes say: its size and whether its format is grayscale (PNG color types 0 and 4, a one-component JPEG). */
export interface ImageHeader {
  width: number;
  height: number;
  gray: boolean;
}

/** Bytes from a file's start enough for its header: PNG's IHDR is at 16; a JPEG's frame header follows its metadata (EXIF with a thumbnail can take tens of KB). */
export const IMAGE_HEADER_BYTES = 1 << 17;

/** The header of a PNG or JPEG from the file's first bytes, checked as decodeImage checks it; nothing is decoded. */
export function imageHeader(bytes: Uint8Array, file: string): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(bytes)) {
    if (bytes.length < 26) throw new DataError(file, "truncated PNG: no image header");
    const [width, height] = [view.getUint32(16, false), view.getUint32(20, false)];
    checkSize(width, height, file);
    const colorType = bytes[25]!;
    return { width, height, gray: colorType === 0 || colorType === 4 };
  }
  if (isJpeg(bytes)) {
    // Markers from SOI: each segment is FF, a marker byte, a big-endian length; a frame header
    // (SOF0–SOF15 but DHT C4, JPG C8, DAC CC) holds precision, height, width, components.
    let at = 2;
    while (at + 9 < bytes.length) {
      if (bytes[at] !== 0xff) break;
      const marker = bytes[at + 1]!;
      if (marker === 0xff) {
        at++;
        continue;
      }
      const length = view.getUint16(at + 2, false);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        const [height, width] = [view.getUint16(at + 5, false), view.getUint16(at + 7, false)];
        checkSize(width, height, file);
        return { width, height, gray: bytes[at + 9] === 1 };
      }
      if (marker === 0xda) break; // the scan begins: no frame header before it
      at += 2 + length;
    }
    throw new DataError(file, `JPEG without a frame header in its first ${Math.min(bytes.length, IMAGE_HEADER_BYTES)} bytes`);
  }
  throw new DataError(file, "expected a PNG or JPEG image, found neither signature at the start of the file");
}

export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  if (isPng(bytes)) {
    if (bytes.length < 24) throw new DataError(file, "truncated PNG: no image header");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkSize(view.getUint32(16, false), view.getUint32(20, false), file);
    try {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = png.data;
    } catch (err) {
      throw new DataError(file, `not a readable PNG (${(err as Error).message})`);
    }
  } else if (isJpeg(bytes)) {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      rgba = img.data;
    } catch (err) {
      throw new DataError(file, `not a readable JPEG (${(err as Error).message})`);
    }
  } else {
    throw new DataError(file, "expected a PNG or JPEG image, found neither signature at the start of the file");
  }
  checkSize(width, height, file);
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  let gray = true;
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
    rgb[3 * i] = r;
    rgb[3 * i + 1] = g;
    rgb[3 * i + 2] = b;
    if (r !== g || g !== b) gray = false;
  }
  return { width, height, rgb, gray };
}

function checkSize(width: number, height: number, file: string): void {
  if (width < 1 || height < 1) throw new DataError(file, `image size ${width}x${height}: expected at least 1x1`);
  if (width * height > MAX_IMAGE_PIXELS) throw new DataError(file, `image size ${width}x${height} is over ${MAX_IMAGE_PIXELS} pixels: not a training image (a decompression bomb?)`);
}

/** (H, W, 3) RGB → (H, W) luminance as Pillow's convert("L") computes it (ITU-R 601-2, fixed point). */
export function luminance(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = (rgb[3 * i]! * 19595 + rgb[3 * i + 1]! * 38470 + rgb[3 * i + 2]! * 7471 + 0x8000) >>> 16;
  return out;
}
