// Build step (npm run build:web): bundles the web page (src/web/) with esbuild into dist/web/:
// the page's main thread, its session worker and its step worker as ES modules, index.html,
// and the WASM kernels (dist/kernels.wasm, built before this step).
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { distDir, wasmKernelsFile, webDistDir, webSourceDir } from "../paths.js";

if (!existsSync(wasmKernelsFile)) {
  console.error(`${wasmKernelsFile}: not built; run npm run build:wasm first`);
  process.exit(1);
}
mkdirSync(webDistDir, { recursive: true });
const t0 = performance.now();
await build({
  entryPoints: {
    main: join(webSourceDir, "main.ts"),
    "session.worker": join(webSourceDir, "session.worker.ts"),
    "step.worker": join(webSourceDir, "step.worker.ts"),
  },
  outdir: webDistDir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "chrome110",
  // the preset configs go in as text
  loader: { ".yaml": "text" },
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
copyFileSync(join(webSourceDir, "index.html"), join(webDistDir, "index.html"));
copyFileSync(wasmKernelsFile, join(webDistDir, "kernels.wasm"));
console.log(`web page: built into ${webDistDir.slice(distDir.length - 4)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
