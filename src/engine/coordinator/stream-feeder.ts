// Coordinator thread.
// data.stream: the training rows are not in the arena; a ring of `slots` batches is. Before step
// s can gather, the coordinator writes its batch, the rows order[batchStart … batchStart + rows)
// of the epoch's permutation read from the source, into slot s mod slots (in the permutation's
// order, so the workers gather slot rows 0, 1, … with an identity index), and then publishes
// `filled` = s + 1. The workers wait for that (worker/step-handlers.ts). A slot is written again
// only for step s + slots, after step s has been reported finished; so the workers run up to
// `slots` steps ahead of the disk, and never wait on it while it keeps up. The rows a step
// gathers are the in-memory path's rows in the same order, so the bits are the same.
import { f32View, u8View } from "../../arena/arena.js";
import type { ArenaLayout } from "../../arena/layout.js";
import type { RowSource } from "../../data/row-source.js";
import { applyStandardization, type Standardization } from "../../data/standardize.js";
import { writeEpochOrder } from "../../data/order.js";
import { modelInputs, readsChannelsLast } from "../../model/input-layout.js";
import type { ModelSpec } from "../../model/spec.js";
import { batchOf, batchWords, type BatchSource } from "../common/batches.js";
import type { StreamRing } from "../common/protocol.js";

/**
 * Batches the ring holds: how far the workers may run ahead of the feeding. The coordinator
 * reads finished steps every 20 ms (step-loop.ts) and refills their slots then, so the ring must
 * hold well over 20 ms of rows: 8 slots of 64 rows capped the seed MLP at 25k samples/s. It holds
 * about STREAM_RING_ROWS rows (at least 8 batches), and at most STREAM_RING_BYTES of inputs.
 */
export const STREAM_RING_ROWS = 8192;
export const STREAM_RING_BYTES = 64 * 2 ** 20;

export function streamSlots(batchSize: number, rowBytes: number): number {
  const byRows = Math.ceil(STREAM_RING_ROWS / batchSize);
  const byBytes = Math.floor(STREAM_RING_BYTES / (batchSize * rowBytes));
  return Math.max(8, Math.min(byRows, byBytes));
}


export class StreamFeeder {
  private readonly order: Uint32Array;
  private readonly filled: Int32Array;
  private readonly inputs: Uint8Array | Float32Array;
  private readonly labels: Uint8Array;
  /** a batch as read, before a conv first layer's transpose to channels last */
  private readonly staging: Uint8Array | Float32Array;
  private range: { next: number; end: number; batches: BatchSource } | null = null;

  constructor(
    memory: WebAssembly.Memory,
    layout: ArenaLayout,
    private readonly source: RowSource,
    /** the training split's labels, all in memory */
    private readonly trainLabels: Uint8Array,
    private readonly ring: StreamRing,
    private readonly standardize: Standardization | null,
    private readonly seed: number,
    private readonly spec: ModelSpec,
  ) {
    this.order = new Uint32Array(source.count);
    this.filled = new Int32Array(memory.buffer, layout.streamFilled.offset, 1);
    const regions = layout.data.train;
    this.inputs = source.type === "f32" ? f32View(memory, regions.inputs) : u8View(memory, regions.inputs);
    this.labels = u8View(memory, regions.labels);
    const batch = ring.slotRows * source.width;
    this.staging = source.type === "f32" ? new Float32Array(batch) : new Uint8Array(batch);
  }

  /** The epoch's permutation of the training rows (data/order.ts), kept here rather than in the arena. */
  writeEpochOrder(epoch: number): void {
    writeEpochOrder(this.order, this.seed, epoch);
  }

  /** A run of steps [first, first + count) begins: the slots fill for its first steps. */
  begin(first: number, count: number, batches: BatchSource): void {
    this.range = { next: first, end: first + count, batches };
    Atomics.store(this.filled, 0, first);
    this.feed(first);
  }

  /** Steps before `done` have finished: their slots take the steps `slots` later. */
  feed(done: number): void {
    const r = this.range;
    if (!r) return;
    while (r.next < r.end && r.next < done + this.ring.slots) {
      this.fill(r.next, r.batches);
      r.next++;
      Atomics.store(this.filled, 0, r.next);
      Atomics.notify(this.filled, 0);
    }
  }

  end(): void {
    this.range = null;
    this.source.release?.();
  }

  private fill(step: number, batches: BatchSource): void {
    const { batchStart, rows } = batchOf(step, batchWords(batches));
    const ids = this.order.subarray(batchStart, batchStart + rows);
    const width = this.source.width;
    const slot = step % this.ring.slots;
    const into = this.inputs.subarray(slot * this.ring.slotRows * width, (slot * this.ring.slotRows + rows) * width);
    // As the in-memory path prepares rows: standardized (f32 features) in the stored (C, H, W)
    // order, then in the order the first layer reads (Engine: modelInputs). Where that is the
    // stored order, straight into the slot.
    const channelsLast = readsChannelsLast(this.spec);
    const staged = channelsLast ? this.staging.subarray(0, rows * width) : into;
    this.source.read(ids, staged);
    if (this.standardize) applyStandardization(staged as Float32Array, this.standardize);
    if (channelsLast) into.set(modelInputs(staged, this.spec));
    for (let i = 0; i < rows; i++) this.labels[slot * this.ring.slotRows + i] = this.trainLabels[ids[i]!]!;
  }
}
