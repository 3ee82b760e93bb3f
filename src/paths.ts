// Locations of the build outputs that are loaded at run time (worker entry, WASM kernels).
// This file runs from dist/src/paths.js when built, and from src/paths.ts under vitest.
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const builtFromDist = basename(dirname(here)) === "dist";

export const packageRoot = builtFromDist ? dirname(dirname(here)) : dirname(here);
export const distDir = join(packageRoot, "dist");
/** The CLI entry: benchmark child processes run it. */
export const cliMainFile = join(distDir, "src", "cli", "main.js");
export const stepWorkerFile = join(distDir, "workers", "step.worker.js");
export const sessionWorkerFile = join(distDir, "workers", "session.worker.js");
/** The two threads of `dptrain bench --profile`'s core round-trip probe (src/bench/core-round-trip.ts). */
export const pingWorkerFile = join(distDir, "workers", "ping.worker.js");
export const wasmKernelsFile = join(distDir, "kernels.wasm");
/** The native kernels' Node-API addon, built by node-gyp at npm ci (src/kernels/native/binding.gyp). */
export const nativeAddonDefault = join(packageRoot, "src", "kernels", "native", "build", "Release", "dptrain_native.node");
/** What the last native build did (written by build-addon.ts): read to say why native is unavailable. */
export const nativeBuildRecord = join(distDir, "native-build.json");
/** The web page, bundled at build time (src/serve/build-web.ts) and served by dptrain serve. */
export const webDistDir = join(distDir, "web");
export const webSourceDir = join(packageRoot, "src", "web");
