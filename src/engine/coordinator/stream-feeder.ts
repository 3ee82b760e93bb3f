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
import type { BatchSource } from "./step-loop.js";
import type { StreamRing } from "../common/protocol.js";

/** Batches the ring holds: how far the workers may run ahead of the feeding. */
export const STREAM_SLOTS = 8;


export class StreamFeeder {
  private readonly order: Uint32Array;
  private readonly filled: Int32Array;
  private readonly staging: Uint8Array | Float32Array;
  private readonly inputs: Uint8Array | Float32Array;
  private readonly labels: Uint8Array;
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
  ) {
    this.order = new Uint32Array(source.count);
    this.filled = new Int32Array(memory.buffer, layout.streamFilled.offset, 1);
    const width = source.width;
    this.staging = source.type === "f32" ? new Float32Array(ring.slotRows * width) : new Uint8Array(ring.slotRows * width);
    const regions = layout.data.train;
    this.inputs = source.type === "f32" ? f32View(memory, regions.inputs) : u8View(memory, regions.inputs);
    this.labels = u8View(memory, regions.labels);
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
  }

  private fill(step: number, batches: BatchSource): void {
    const { batchStart, rows } = "rows" in batches
      ? { batchStart: batches.start, rows: batches.rows }
      : { batchStart: (step - batches.epochFirstStep) * batches.batchSize, rows: Math.min(batches.batchSize, batches.trainRows - (step - batches.epochFirstStep) * batches.batchSize) };
    const ids = this.order.subarray(batchStart, batchStart + rows);
    const width = this.source.width;
    const staged = this.staging.subarray(0, rows * width);
    this.source.read(ids, staged);
    if (this.standardize) applyStandardization(staged as Float32Array, this.standardize);
    const slot = step % this.ring.slots;
    this.inputs.set(staged, slot * this.ring.slotRows * width);
    for (let i = 0; i < rows; i++) this.labels[slot * this.ring.slotRows + i] = this.trainLabels[ids[i]!]!;
  }
}
