// Locations of the build outputs that are loaded at run time (worker entry, WASM kernels).
// This file runs from dist/src/paths.js when built, and from src/paths.ts under vitest.
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const builtFromDist = basename(dirname(here)) === "dist";

export const packageRoot = builtFromDist ? dirname(dirname(here)) : dirname(here);
export const distDir = join(packageRoot, "dist");
export const stepWorkerFile = join(distDir, "workers", "step.worker.js");
export const sessionWorkerFile = join(distDir, "workers", "session.worker.js");
export const wasmKernelsFile = join(distDir, "kernels.wasm");
