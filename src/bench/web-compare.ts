// npm run bench:web: the seed MLP at batch 64 on the wasm kernels, trained by the web page in
// headless chromium (its scaling test) and by Node (dptrain bench's measurement), at 1 and 2
// workers, in one run on one machine, interleaved (Node, page, page, Node, …) so that the
// machine's drift falls on both alike. Prints samples/s per round, the medians, and page / Node.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfigText } from "../config/parse.js";
import { packageRoot } from "../paths.js";
import { startServer } from "../serve/server.js";
import { benchEngine } from "./engine-bench.js";
import { PAGE_SCALING } from "./measure-engine.js";
import { machine } from "./machine.js";
import { launchChromium, PageDriver } from "./page-driver.js";
import { median } from "./median.js";

/** What the page's scaling test runs (its warm-up: 20 steps, PAGE_SCALING.warmupMs at least). */
const STEPS = PAGE_SCALING.steps;
const WARMUP = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const WORKERS = [1, 2];

const yaml = readFileSync(join(packageRoot, "configs", "mnist-mlp.yaml"), "utf8").replace(/^  kernels: auto$/m, "  kernels: wasm");
const config = parseConfigText(yaml, "mnist-mlp.yaml");

async function nodeRound(): Promise<number[]> {
  const out: number[] = [];
  for (const threads of WORKERS) out.push((await benchEngine(config, threads, STEPS, WARMUP, PAGE_SCALING.warmupMs)).samples_per_s);
  return out;
}

async function pageRound(page: PageDriver): Promise<number[]> {
  await page.setConfig(yaml, Math.max(...WORKERS));
  await page.page.click("#scale");
  if ((await page.waitFor(["idle", "error"])) === "error") throw new Error(`page: ${await page.text("#error")}`);
  const lines = (await page.text("#scaling-table")).split("\n");
  return WORKERS.map((w) => Number(new RegExp(`^${w}: (\\d+) samples/s`).exec(lines[w - 1] ?? "")?.[1]));
}

const server = await startServer({ port: 0, host: "127.0.0.1", isolation: true });
const browser = await launchChromium();
try {
  const page = await PageDriver.open(browser, server.url);
  const node: number[][] = [];
  const web: number[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // ABBA: which one goes first alternates
    if (r % 2 === 0) {
      node.push(await nodeRound());
      web.push(await pageRound(page));
    } else {
      web.push(await pageRound(page));
      node.push(await nodeRound());
    }
    console.log(`round ${r + 1}: node ${node[r]!.map(Math.round).join(" / ")}  page ${web[r]!.map(Math.round).join(" / ")} samples/s at ${WORKERS.join(" / ")} workers`);
  }
  const m = machine();
  console.log(`\n${m.cpuModel}, os.availableParallelism() = ${m.cpus}, Node ${process.version}, ${(await browser.version())}`);
  console.log(`seed MLP b64, wasm kernels, ${STEPS} steps after ${WARMUP}, median of ${ROUNDS} rounds`);
  console.log("| workers | Node wasm | page | page / Node |");
  console.log("|---|---|---|---|");
  WORKERS.forEach((w, i) => {
    const n = median(node.map((r) => r[i]!));
    const p = median(web.map((r) => r[i]!));
    console.log(`| ${w} | ${Math.round(n).toLocaleString("en-US")} | ${Math.round(p).toLocaleString("en-US")} | ${(p / n).toFixed(2)} |`);
  });
} finally {
  await browser.close();
  await server.close();
}
