// Node: a folder of class folders of PNG and JPEG images, read as torchvision's ImageFolder
// reads one: classes are the sub-folders sorted by name (class id = position), and each
// class's images are its files sorted by name. Samples are stored (C, H, W) u8, the layout
// every dataset has here (split.ts).
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { DataError, unreadable } from "./errors.js";
import { decodeImage, IMAGE_HEADER_BYTES, imageHeader, luminance } from "./image-decode.js";
import type { RowSource } from "./row-source.js";
import { resizeBilinear } from "./resize.js";
import { MAX_CLASSES, MAX_DATA_BYTES } from "./split.js";

/** The files ImageFolder would take that dptrain decodes (others are left out, as ImageFolder leaves out what it cannot open). */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

export interface ImageFolderOptions {
  /** resize every image to [H, W] */
  size: [number, number] | undefined;
  /** 1 or 3; default 1 where every file is a grayscale image, else 3 */
  channels: 1 | 3 | undefined;
  /** a train folder's classes: another split's folders must be among them */
  classNames?: string[];
  /** a train folder's sample shape: another split's images must have it */
  shape?: number[];
}

export interface ImageFolderData {
  classNames: string[];
  /** (C, H, W) */
  shape: [number, number, number];
  /** (N, C·H·W) u8 */
  inputs: Uint8Array;
  labels: Uint8Array;
  /** (N) the files, in reading order */
  files: string[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Class folders in name order and their image files in name order. */
export function listImageFolder(root: string): { classNames: string[]; files: string[][] } {
  let entries: string[];
  try {
    if (!statSync(root).isDirectory()) throw new DataError(root, "expected a folder of class folders, found a file");
    entries = readdirSync(root);
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(root, code === "ENOENT" ? "folder not found" : `cannot read (${code})`);
  }
  const classNames = entries.filter((e) => statSync(join(root, e)).isDirectory()).sort(byName);
  if (classNames.length === 0) throw new DataError(root, "expected one folder per class, found no folders");
  if (classNames.length > MAX_CLASSES) throw new DataError(root, `${classNames.length} class folders: at most ${MAX_CLASSES} classes`);
  const files = classNames.map((name) => {
    const dir = join(root, name);
    const images = readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()) && statSync(join(dir, f)).isFile()).sort(byName);
    if (images.length === 0) throw new DataError(dir, `class folder with no images (expected ${IMAGE_EXTENSIONS.join(", ")} files)`);
    return images.map((f) => join(dir, f));
  });
  return { classNames, files };
}

/** A folder read as far as its files' headers: classes, files, labels and the sample shape. */
export interface ImageFolderScan {
  classNames: string[];
  /** (C, H, W) */
  shape: [number, number, number];
  labels: Uint8Array;
  /** (N) the files, in reading order */
  files: string[];
  /** data.size: decode, then resize from each file's own size */
  resize: boolean;
}

/**
 * The classes, files and sample shape of an image folder from its files' headers (nothing is
 * decoded): every image must have the first one's size unless data.size resizes them; the
 * channels are data.channels, else 1 where every file is a grayscale image, else 3.
 */
export function scanImageFolder(root: string, options: ImageFolderOptions): ImageFolderScan {
  const listed = listImageFolder(root);
  const classIds = listed.classNames.map((name) => {
    if (!options.classNames) return listed.classNames.indexOf(name);
    const id = options.classNames.indexOf(name);
    if (id < 0) throw new DataError(join(root, name), `class folder not among the training folder's classes (${options.classNames.join(", ")})`);
    return id;
  });
  const files: string[] = [];
  const labels: number[] = [];
  let size: { height: number; width: number; file: string } | null = options.shape && !options.size ? { height: options.shape[1]!, width: options.shape[2]!, file: "the training images" } : null;
  let allGray = true;
  const head = new Uint8Array(IMAGE_HEADER_BYTES);
  listed.files.forEach((classFiles, c) => {
    for (const file of classFiles) {
      const h = imageHeader(head.subarray(0, readHead(file, head)), file);
      allGray &&= h.gray;
      if (!options.size) {
        if (size === null) size = { height: h.height, width: h.width, file };
        else if (size.height !== h.height || size.width !== h.width) {
          throw new DataError(file, `image size ${h.width}x${h.height} differs from ${size.width}x${size.height} (${size.file}): set data.size to resize them all`);
        }
      }
      files.push(file);
      labels.push(classIds[c]!);
    }
  });
  const [H, W] = options.size ?? [size!.height, size!.width];
  const C = options.channels ?? (options.shape?.[0] as 1 | 3 | undefined) ?? (allGray ? 1 : 3);
  return { classNames: options.classNames ?? listed.classNames, shape: [C, H, W], labels: Uint8Array.from(labels), files, resize: options.size !== undefined };
}

function readImageFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw unreadable(file, err);
  }
}

/** The first bytes of a file (up to head's length) into head; how many. */
function readHead(file: string, head: Uint8Array): number {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw unreadable(file, err);
  }
  try {
    return readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * One file as a sample (C·H·W u8, channel by channel): decoded (RGB), resized where data.size
 * says, then reduced to the folder's channels (luminance for 1 channel, the same plane three
 * times for a gray image in a 3-channel folder).
 */
export function imageSample(file: string, scan: Pick<ImageFolderScan, "shape" | "resize">, out: Uint8Array): void {
  const [C, H, W] = scan.shape;
  const img = decodeImage(readImageFile(file), file);
  if (!scan.resize && (img.height !== H || img.width !== W)) {
    throw new DataError(file, `decodes to ${img.width}x${img.height}, but its header and the folder say ${W}x${H}`);
  }
  const rgb = scan.resize ? resizeBilinear(img.rgb, img.height, img.width, 3, H, W) : img.rgb;
  const plane = H * W;
  // Gray pixels have luminance R (= G = B), so one rule serves gray and color images.
  if (C === 1) out.set(luminance(rgb));
  else for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) out[c * plane + p] = rgb[p * 3 + c]!;
}

/** An image folder decoded whole into memory. */
export function readImageFolder(root: string, options: ImageFolderOptions): ImageFolderData {
  return decodeImageFolder(scanImageFolder(root, options), root);
}

/** A scanned folder's every file decoded into one (N, C·H·W) buffer. */
export function decodeImageFolder(scan: ImageFolderScan, root: string): ImageFolderData {
  const width = scan.shape[0] * scan.shape[1] * scan.shape[2];
  if (scan.files.length * width > MAX_DATA_BYTES) throw new DataError(root, `the images need over ${MAX_DATA_BYTES / 2 ** 30} GiB in memory: set a smaller data.size`);
  const inputs = new Uint8Array(scan.files.length * width);
  scan.files.forEach((file, n) => imageSample(file, scan, inputs.subarray(n * width, (n + 1) * width)));
  return { classNames: scan.classNames, shape: scan.shape, inputs, labels: scan.labels, files: scan.files };
}

/** An image folder's samples decoded a batch at a time as training reads them (data.stream). */
export function imageFolderRowSource(scan: ImageFolderScan): RowSource {
  const width = scan.shape[0] * scan.shape[1] * scan.shape[2];
  return {
    count: scan.files.length, width, type: "u8",
    read(rows, out) {
      for (let i = 0; i < rows.length; i++) imageSample(scan.files[rows[i]!]!, scan, (out as Uint8Array).subarray(i * width, (i + 1) * width));
    },
  };
}
