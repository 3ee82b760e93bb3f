// The benches' summary of repeated measurements.

/** The median of xs (the lower middle for an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
