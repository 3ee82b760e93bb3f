// Node: a folder of class folders of PNG and JPEG images, read as torchvision's ImageFolder
// reads one: classes are the sub-folders sorted by name (class id = position), and each
// class's images are its files sorted by name. Samples are stored (C, H, W) u8, the layout
// every dataset has here (split.ts).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { DataError } from "./errors.js";
import { decodeImage, luminance } from "./image-decode.js";
import { resizeBilinear } from "./resize.js";
import { MAX_CLASSES, MAX_DATA_BYTES } from "./split.js";

/** The files ImageFolder would take that dptrain decodes (others are left out, as ImageFolder leaves out what it cannot open). */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

export interface ImageFolderOptions {
  /** resize every image to [H, W] */
  size: [number, number] | undefined;
  /** 1 or 3; default 3 where any image has color, else 1 */
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

export function readImageFolder(root: string, options: ImageFolderOptions): ImageFolderData {
  const listed = listImageFolder(root);
  const classIds = listed.classNames.map((name) => {
    if (!options.classNames) return listed.classNames.indexOf(name);
    const id = options.classNames.indexOf(name);
    if (id < 0) throw new DataError(join(root, name), `class folder not among the training folder's classes (${options.classNames.join(", ")})`);
    return id;
  });
  const wanted = options.channels ?? (options.shape?.[0] as 1 | 3 | undefined);
  // Each image as one gray plane (H·W) while it is gray or gray is asked for, else RGB (H·W·3).
  const kept: { gray: boolean; pixels: Uint8Array }[] = [];
  const files: string[] = [];
  const labels: number[] = [];
  let size: { height: number; width: number; file: string } | null = options.shape ? { height: options.shape[1]!, width: options.shape[2]!, file: "the training images" } : null;
  let anyColor = false;
  let bytes = 0;
  listed.files.forEach((classFiles, c) => {
    for (const file of classFiles) {
      const img = decodeImage(readFileSync(file), file);
      let { rgb, height, width } = img;
      if (options.size) {
        [height, width] = options.size;
        rgb = resizeBilinear(rgb, img.height, img.width, 3, height, width);
      }
      if (size === null) size = { height, width, file };
      else if (size.height !== height || size.width !== width) {
        throw new DataError(file, `image size ${width}x${height} differs from ${size.width}x${size.height} (${size.file}): set data.size to resize them all`);
      }
      const isG = options.size ? isGray(rgb) : img.gray;
      anyColor ||= !isG;
      // A gray image is kept as one plane (copied to each channel at the end if C is 3).
      const gray = isG || wanted === 1;
      const pixels = isG ? firstChannel(rgb) : wanted === 1 ? luminance(rgb) : rgb;
      bytes += width * height * (anyColor ? 3 : 1);
      if (bytes > MAX_DATA_BYTES) throw new DataError(root, `the images need over ${MAX_DATA_BYTES / 2 ** 30} GiB in memory: set a smaller data.size`);
      kept.push({ gray, pixels });
      files.push(file);
      labels.push(classIds[c]!);
    }
  });
  const C = wanted ?? (anyColor ? 3 : 1);
  const { height: H, width: W } = size!;
  const plane = H * W;
  const inputs = new Uint8Array(kept.length * C * plane);
  kept.forEach(({ gray, pixels }, n) => {
    const base = n * C * plane;
    for (let c = 0; c < C; c++) {
      if (gray) inputs.set(pixels, base + c * plane);
      else for (let p = 0; p < plane; p++) inputs[base + c * plane + p] = pixels[p * 3 + c]!;
    }
  });
  return { classNames: options.classNames ?? listed.classNames, shape: [C, H, W], inputs, labels: Uint8Array.from(labels), files };
}

function isGray(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i + 1] !== rgb[i + 2]) return false;
  return true;
}

function firstChannel(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = rgb[3 * i]!;
  return out;
}
