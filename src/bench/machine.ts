// The machine a benchmark ran on, printed beside every figure (cores as Node sees them).
import { availableParallelism, cpus } from "node:os";

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
}

export function machine(): Machine {
  return { cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? "unknown", node: process.version };
}
