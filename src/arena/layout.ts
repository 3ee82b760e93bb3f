// Pure sizing of the one shared arena. Every byte the training run touches lives in a named
// region here; the coordinator and the workers derive all their views from this object.
//
//   data        per split (train, validation, test): inputs (N, inputWidth) u8 pixels or f32
//               features (inputType) · labels (N) u8
//   order       trainOrder (N) u32: this epoch's permutation · evalOrder (max(Nv, Nt)) u32: identity
//   params[2]   θ_t and θ_{t+1} (P) f32, double-buffered by step parity
//   optimState[2] the optimizer's state (S, P) f32, S slots (optim/optimizers.ts), double-buffered the same way
//   grad        (P) f32: the mean gradient of this step, for optimizers not fused into PARAMS (not SGD)
//   workspace   the step's activations and their gradients, one row per batch row:
//               acts[i], dacts[i] (R, widths[i]) f32, labels (R) u8, rowLoss (2, R) f32 by step parity,
//               cols[j], dcols[j] (R, OH·OW·C·KH·KW) f32: each conv layer's im2col matrix and its gradient (empty for native: direct conv kernels)
//               (R = max(batch, W · eval chunk): eval worker w uses rows [w·E, (w+1)·E))
//   evalLoss    (max(Nv, Nt)) f32: each evaluated row's loss, summed in row order after EVAL
//   rowSq       (nParamRows) f64: Σ g² of each parameter row (one output feature of one layer)
//   control     (CONTROL_INTS) i32: flags shared by all threads (fault injection in tests)
//   streamFilled (1) i32: data.stream: the ring of batches (data.train's regions) holds steps below it
//   barrier     i32: the step loop's command words and per-worker results (engine/barrier.ts)
//   stepRing    (RING_STEPS, RING_FIELDS) f64: each finished step's figures, read by the coordinator
//   profile     (workers, PROFILE_FIELDS) f64: each worker's summed phase times (bench --profile)
import { RESERVED_LOW_BYTES } from "../kernels/kernels.js";
import { activationWidths, colWidths, paramLayout, paramRows, type ModelSpec, type ParamEntry } from "../model/spec.js";

export type RegionType = "u8" | "u32" | "i32" | "f32" | "f64";

export interface Region {
  /** bytes from the start of the memory (a multiple of REGION_ALIGN) */
  offset: number;
  /** elements of `type` */
  length: number;
  type: RegionType;
}

export interface WorkspaceRegions {
  /** rows of every buffer below */
  rows: number;
  /** rows of a training batch (≤ rows) */
  batchRows: number;
  /** acts[i] (rows, widths[i]) f32 */
  acts: Region[];
  /** dacts[i] (rows, widths[i]) f32; dacts[0] is allocated empty */
  dacts: Region[];
  widths: number[];
  /** gathered labels (rows) u8 */
  labels: Region;
  /** per-row loss (2, rows) f32: half (step & 1) holds step's losses */
  rowLoss: Region;
  /** cols[j] (rows, colWidths[j]) f32: conv layer j's im2col matrix; dcols[j] its gradient (empty for a first layer) */
  cols: Region[];
  dcols: Region[];
  colWidths: number[];
  /** (rows, inputWidth) f32: training rows as gathered, which data.augment transforms into acts[0] (empty without it) */
  gathered: Region;
}

/** The splits of a dataset in the arena: train every step, validation and test in EVAL. */
export type SplitName = "train" | "validation" | "test";
/** The splits EVAL runs over. */
export type EvalSplit = Exclude<SplitName, "train">;

export interface SplitRegions {
  /** (count, inputWidth) of inputType */
  inputs: Region;
  /** (count) u8 */
  labels: Region;
  count: number;
}

export interface ArenaLayout {
  bytes: number;
  /** WebAssembly pages (64 KiB) */
  pages: number;
  /** values per sample (the model's nInputs) */
  inputWidth: number;
  /** u8 pixels (normalized at gather) or f32 features (copied) */
  inputType: "u8" | "f32";
  data: Record<SplitName, SplitRegions>;
  trainOrder: Region;
  /** identity order over the largest eval split */
  evalOrder: Region;
  params: [Region, Region];
  optimState: [Region, Region];
  /** S: state vectors of P floats in each optimState buffer */
  stateSlots: number;
  grad: Region;
  nParams: number;
  paramEntries: ParamEntry[];
  workspace: WorkspaceRegions;
  /** rows a worker's EVAL chunk holds (its own rows [w·E, (w+1)·E) of the workspace) */
  evalChunkRows: number;
  /** per-row losses of the split being evaluated */
  evalLoss: Region;
  rowSq: Region;
  control: Region;
  /** (1) i32: data.stream's ring holds the batches of steps below this value (engine/coordinator/stream-feeder.ts) */
  streamFilled: Region;
  barrier: Region;
  stepRing: Region;
  /** (workers, PROFILE_FIELDS) f64: each worker's accumulated phase times (engine/common/barrier.ts) */
  profile: Region;
  /** per worker (a loop task's worker, an eval task's chunk) kernelScratchFloats f32 a kernel set's direct convs may use (wasm) */
  kernelScratch: Region;
  kernelScratchFloats: number;
}

export interface LayoutInput {
  spec: ModelSpec;
  /** rows of each split (validation and test may be 0; a streamed train split: the ring's rows) */
  counts: Record<SplitName, number>;
  inputWidth: number;
  /** default u8 */
  inputType?: "u8" | "f32";
  /** the most rows in one training step */
  batchRows: number;
  /** W step workers */
  workers: number;
  /** test rows each worker evaluates at once */
  evalChunkRows: number;
  /** the optimizer's state vectors (default 1: SGD's momentum buffer) */
  stateSlots?: number;
  /** a P-float gradient buffer (optimizers applied after the weight-gradient kernel) */
  gradScratch?: boolean;
  /** conv layers' im2col matrices and their gradients (default true; a kernel set with the direct conv kernels needs none) */
  convMatrices?: boolean;
  /** data.augment: the gathered rows before augmentation, (rows, inputWidth) f32 in the workspace */
  augment?: boolean;
  /** a scratch slot per worker for the direct conv kernels (the wasm set: its threads share one memory, so a kernel has no private buffer of its own) */
  convScratch?: boolean;
}

/** Tiles per chunk of the wasm Winograd kernels (kernels/wasm/assembly/winograd.ts CHUNK). */
export const WINOGRAD_CHUNK = 64;

/**
 * Floats one worker's direct conv kernels use at most (kernels/wasm/assembly/direct-conv.ts):
 * forward, the weight rearranged (K, OC rounded up to 4); input gradient (not for the first
 * layer), the weight rearranged (KH·KW, OC, C rounded up to 4) and a zero-bordered copy of one
 * image's output gradient (H + KH − 1, W + KW − 1, OC); weight gradient, the partial sums
 * (K, rows) and the bias sums (rows ≤ OC). A 3×3 stride-1 conv on channel counts that are
 * multiples of 4 runs Winograd F(2×2, 3×3) instead (kernels/wasm/assembly/winograd.ts): forward
 * and input gradient, the transformed weight (16, C, OC) and one chunk of WINOGRAD_CHUNK tiles'
 * transformed inputs (16, chunk, C) and products (16, chunk, OC); weight gradient, the direct
 * kernel's partial sums and bias sums, then the transformed sums (16, rows, C) and a chunk's
 * transformed inputs (16, chunk, C) and output gradients (16, chunk, rows). This counts it for
 * every conv layer: a few hundred KB at most for the models here.
 */
export function convScratchFloats(spec: ModelSpec): number {
  let most = 0;
  spec.layers.forEach((l, i) => {
    if (l.kind !== "conv2d") return;
    const { g } = l;
    const K = g.C * g.KH * g.KW;
    const OC = l.outChannels;
    const up4 = (n: number) => Math.ceil(n / 4) * 4;
    const bordered = i > 0 ? g.KH * g.KW * OC * up4(g.C) + (g.H + g.KH - 1) * (g.W + g.KW - 1) * OC : 0;
    const winograd = 16 * (g.C * OC + WINOGRAD_CHUNK * (g.C + OC));
    most = Math.max(most, K * up4(OC), bordered, K * OC + OC + winograd);
  });
  return most;
}

export const REGION_ALIGN = 64;
export const PAGE_BYTES = 65536;
export const CONTROL_INTS = 64;
/** Step-loop barrier: 32 command words (128 bytes), then BARRIER_RESULT_FIELDS float64 results per worker and step parity. */
export const BARRIER_HEADER_INTS = 32;
export const BARRIER_RESULT_FIELDS = 4;
const BARRIER_RESULT_INTS = BARRIER_RESULT_FIELDS * 2;
/** Finished steps the workers may run ahead of the coordinator's reading. */
export const RING_STEPS = 1024;
export const RING_FIELDS = 8;
/** Per-worker phase-time accumulators (engine/common/barrier.ts PROFILE_*). */
export const PROFILE_FIELDS = 9;
/** WebAssembly memory32 cannot exceed 4 GiB. */
export const MAX_ARENA_BYTES = 65536 * PAGE_BYTES;

const ELEMENT_BYTES: Record<RegionType, number> = { u8: 1, u32: 4, i32: 4, f32: 4, f64: 8 };

/** The arena would exceed WebAssembly's 4 GiB: a config error naming what to lower. */
export class ArenaTooLargeError extends RangeError {
  constructor(readonly bytes: number) {
    super(`the arena would need ${(bytes / 2 ** 30).toFixed(2)} GiB, over WebAssembly's 4 GiB`);
    this.name = "ArenaTooLargeError";
  }
}

export function layout(input: LayoutInput): ArenaLayout {
  const { spec, counts, inputWidth, batchRows, workers, evalChunkRows } = input;
  const inputType = input.inputType ?? "u8";
  for (const [key, value] of Object.entries({ trainCount: counts.train, inputWidth, batchRows, workers, evalChunkRows })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`layout: ${key} must be a positive integer, got ${value}`);
  }
  for (const key of ["validation", "test"] as const) {
    if (!Number.isInteger(counts[key]) || counts[key] < 0) throw new RangeError(`layout: the ${key} count must be a non-negative integer, got ${counts[key]}`);
  }
  if (inputWidth !== spec.nInputs) throw new RangeError(`layout: samples have ${inputWidth} values but the model expects ${spec.nInputs} inputs`);
  // The first RESERVED_LOW_BYTES belong to the WASM kernel module (its static data and stack);
  // no region starts at 0, so pointer 0 can mean "none" (e.g. no mask for denseInputGrad).
  let cursor = RESERVED_LOW_BYTES;
  const region = (type: RegionType, length: number): Region => {
    const r = { offset: cursor, length, type };
    cursor += Math.ceil((length * ELEMENT_BYTES[type]) / REGION_ALIGN) * REGION_ALIGN;
    return r;
  };
  const { entries, nParams } = paramLayout(spec);
  const widths = activationWidths(spec);
  const splitRegions = (count: number): SplitRegions => ({ inputs: region(inputType, count * inputWidth), labels: region("u8", count), count });
  const data = { train: splitRegions(counts.train), validation: splitRegions(counts.validation), test: splitRegions(counts.test) };
  const evalRows = Math.max(counts.validation, counts.test);
  const trainOrder = region("u32", counts.train);
  const evalOrder = region("u32", evalRows);
  const params: [Region, Region] = [region("f32", nParams), region("f32", nParams)];
  const stateSlots = input.stateSlots ?? 1;
  const optimState: [Region, Region] = [region("f32", stateSlots * nParams), region("f32", stateSlots * nParams)];
  const grad = region("f32", input.gradScratch ? nParams : 0);
  const rows = Math.max(batchRows, workers * evalChunkRows);
  const matrices = input.convMatrices ?? true;
  const workspace: WorkspaceRegions = {
    rows, batchRows, widths,
    acts: widths.map((width) => region("f32", rows * width)),
    dacts: widths.map((width, i) => region("f32", i === 0 ? 0 : rows * width)),
    labels: region("u8", rows),
    rowLoss: region("f32", 2 * rows),
    colWidths: colWidths(spec).map((width) => (matrices ? width : 0)),
    cols: colWidths(spec).map((width) => region("f32", matrices ? rows * width : 0)),
    gathered: region("f32", input.augment ? rows * inputWidth : 0),
    dcols: spec.layers.flatMap((l, i) => (l.kind === "conv2d" ? [region("f32", i === 0 || !matrices ? 0 : rows * l.g.OH * l.g.OW * l.g.C * l.g.KH * l.g.KW)] : [])),
  };
  const evalLoss = region("f32", evalRows);
  const rowSq = region("f64", paramRows(spec));
  const control = region("i32", CONTROL_INTS);
  const streamFilled = region("i32", 1);
  const barrier = region("i32", BARRIER_HEADER_INTS + 2 * workers * BARRIER_RESULT_INTS);
  const stepRing = region("f64", RING_STEPS * RING_FIELDS);
  const profile = region("f64", workers * PROFILE_FIELDS);
  const kernelScratchFloats = input.convScratch ? convScratchFloats(spec) : 0;
  const kernelScratch = region("f32", workers * kernelScratchFloats);
  if (cursor > MAX_ARENA_BYTES) throw new ArenaTooLargeError(cursor);
  const pages = Math.ceil(cursor / PAGE_BYTES);
  return {
    bytes: pages * PAGE_BYTES, pages, inputWidth, inputType, data, trainOrder, evalOrder,
    params, optimState, stateSlots, grad, nParams, paramEntries: entries,
    workspace, evalChunkRows, evalLoss, rowSq, control, streamFilled, barrier, stepRing, profile, kernelScratch, kernelScratchFloats,
  };
}

/** Rows [first, first+count) of a row-major (rows, width) region. */
export function rowsOf(r: Region, width: number, first: number, count: number): Region {
  return { offset: r.offset + first * width * ELEMENT_BYTES[r.type], length: count * width, type: r.type };
}

/** The part of a region holding one parameter tensor (offset in floats from the buffer's start). */
export function tensorOf(buffer: Region, entry: ParamEntry): Region {
  return { offset: buffer.offset + entry.offset * 4, length: entry.size, type: "f32" };
}
