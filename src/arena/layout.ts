// Pure sizing of the one shared arena. Every byte the training run touches lives in a named
// region here; the coordinator and the workers derive all their views from this object.
//
//   data        trainImages (N, C) u8 · trainLabels (N) u8 · testImages · testLabels
//   order       trainOrder (N) u32: this epoch's permutation · testOrder (Nt) u32: identity
//   params[2]   θ_t and θ_{t+1} (P) f32, double-buffered by step parity
//   velocity[2] momentum buffers (P) f32, double-buffered the same way
//   gradSlots   (S, P) f32: slot s holds micro-shard s's Σ-gradient
//   scratch[W]  per task slot: activations and their gradients for scratchRows rows, gathered labels
//   control     (CONTROL_INTS) i32: flags shared by all threads (fault injection in tests)
//   barrier     i32: the step loop's command words and per-worker results (engine/step-loop.ts)
import { activationWidths, paramLayout, type ModelSpec, type ParamEntry } from "../model/spec.js";

export type RegionType = "u8" | "u32" | "i32" | "f32";

export interface Region {
  /** bytes from the start of the memory (a multiple of REGION_ALIGN) */
  offset: number;
  /** elements of `type` */
  length: number;
  type: RegionType;
}

export interface ScratchSlot {
  /** acts[i] (scratchRows, widths[i]) f32 */
  acts: Region[];
  /** dacts[i] (scratchRows, widths[i]) f32; dacts[0] is allocated empty */
  dacts: Region[];
  /** gathered labels (scratchRows) u8 */
  labels: Region;
}

export interface ArenaLayout {
  bytes: number;
  /** WebAssembly pages (64 KiB) */
  pages: number;
  pixelsPerImage: number;
  trainCount: number;
  testCount: number;
  trainImages: Region;
  trainLabels: Region;
  testImages: Region;
  testLabels: Region;
  trainOrder: Region;
  testOrder: Region;
  params: [Region, Region];
  velocity: [Region, Region];
  gradSlots: Region;
  nSlots: number;
  /** floats between consecutive slots (= nParams) */
  slotStride: number;
  nParams: number;
  paramEntries: ParamEntry[];
  scratch: ScratchSlot[];
  scratchRows: number;
  control: Region;
  barrier: Region;
}

export interface LayoutInput {
  spec: ModelSpec;
  trainCount: number;
  testCount: number;
  pixelsPerImage: number;
  /** S micro-shards (= gradient slots) */
  shards: number;
  /** W task slots with their own scratch */
  workers: number;
  /** the most rows one task holds in scratch at once (max shard rows, eval chunk) */
  scratchRows: number;
}

export const REGION_ALIGN = 64;
export const PAGE_BYTES = 65536;
export const CONTROL_INTS = 64;
/** Step-loop barrier: 16 command words (64 bytes), then BARRIER_RESULT_FIELDS float64 results per worker. */
export const BARRIER_HEADER_INTS = 16;
export const BARRIER_RESULT_FIELDS = 5;
const BARRIER_RESULT_INTS = BARRIER_RESULT_FIELDS * 2;
/** Bytes at the bottom of the memory left to the WASM module (checked against its __heap_base). */
export const RESERVED_LOW_BYTES = 65536;
/** WebAssembly memory32 cannot exceed 4 GiB. */
const MAX_PAGES = 65536;

const ELEMENT_BYTES: Record<RegionType, number> = { u8: 1, u32: 4, i32: 4, f32: 4 };

export function layout(input: LayoutInput): ArenaLayout {
  const { spec, trainCount, testCount, pixelsPerImage, shards, workers, scratchRows } = input;
  for (const [key, value] of Object.entries({ trainCount, testCount, pixelsPerImage, shards, workers, scratchRows })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`layout: ${key} must be a positive integer, got ${value}`);
  }
  if (pixelsPerImage !== spec.nInputs) throw new RangeError(`layout: images have ${pixelsPerImage} pixels but the model expects ${spec.nInputs} inputs`);
  // The first RESERVED_LOW_BYTES belong to the WASM kernel module (its static data and stack);
  // no region starts at 0, so pointer 0 can mean "none" (e.g. no dinp for the first layer).
  let cursor = RESERVED_LOW_BYTES;
  const region = (type: RegionType, length: number): Region => {
    const r = { offset: cursor, length, type };
    cursor += Math.ceil((length * ELEMENT_BYTES[type]) / REGION_ALIGN) * REGION_ALIGN;
    return r;
  };
  const { entries, nParams } = paramLayout(spec);
  const widths = activationWidths(spec);
  const trainImages = region("u8", trainCount * pixelsPerImage);
  const trainLabels = region("u8", trainCount);
  const testImages = region("u8", testCount * pixelsPerImage);
  const testLabels = region("u8", testCount);
  const trainOrder = region("u32", trainCount);
  const testOrder = region("u32", testCount);
  const params: [Region, Region] = [region("f32", nParams), region("f32", nParams)];
  const velocity: [Region, Region] = [region("f32", nParams), region("f32", nParams)];
  const gradSlots = region("f32", shards * nParams);
  const scratch: ScratchSlot[] = [];
  for (let w = 0; w < workers; w++) {
    scratch.push({
      acts: widths.map((width) => region("f32", scratchRows * width)),
      dacts: widths.map((width, i) => region("f32", i === 0 ? 0 : scratchRows * width)),
      labels: region("u8", scratchRows),
    });
  }
  const control = region("i32", CONTROL_INTS);
  const barrier = region("i32", BARRIER_HEADER_INTS + workers * BARRIER_RESULT_INTS);
  const pages = Math.ceil(cursor / PAGE_BYTES);
  if (pages > MAX_PAGES) {
    throw new RangeError(`layout: the arena needs ${(cursor / 2 ** 30).toFixed(2)} GiB, over WebAssembly's 4 GiB; lower train.batchSize or engine.workers`);
  }
  return {
    bytes: pages * PAGE_BYTES, pages, pixelsPerImage, trainCount, testCount,
    trainImages, trainLabels, testImages, testLabels, trainOrder, testOrder,
    params, velocity, gradSlots, nSlots: shards, slotStride: nParams, nParams, paramEntries: entries,
    scratch, scratchRows, control, barrier,
  };
}
