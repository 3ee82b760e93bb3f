// Both threads. Which rows of the epoch's order a step trains on: the coordinator's stream feeder
// reads them, the step workers gather them, from the same words.

/** Where a command's batches come from: the epoch's consecutive batches, or one fixed range (tests and tools). */
export type BatchSource =
  | { epochFirstStep: number; batchSize: number; trainRows: number }
  | { start: number; rows: number };

/** A BatchSource as the command's barrier words hold it (fixedRows −1: the epoch's batches). */
export interface BatchWords {
  epochFirst: number;
  batch: number;
  trainRows: number;
  fixedStart: number;
  fixedRows: number;
}

export function batchWords(b: BatchSource): BatchWords {
  return "rows" in b
    ? { epochFirst: 0, batch: 0, trainRows: 0, fixedStart: b.start, fixedRows: b.rows }
    : { epochFirst: b.epochFirstStep, batch: b.batchSize, trainRows: b.trainRows, fixedStart: 0, fixedRows: -1 };
}

/** Step `step`'s rows [batchStart, batchStart + rows) of the epoch's order; the epoch's last batch may be short. */
export function batchOf(step: number, w: BatchWords): { batchStart: number; rows: number } {
  if (w.fixedRows >= 0) return { batchStart: w.fixedStart, rows: w.fixedRows };
  const batchStart = (step - w.epochFirst) * w.batch;
  return { batchStart, rows: Math.min(w.batch, w.trainRows - batchStart) };
}
