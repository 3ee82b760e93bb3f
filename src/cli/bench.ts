// dptrain bench -c FILE --threads 1,2,4 --steps N [--warmup M] [--warmup-ms T] [--repeat R] [--json] [--out DIR]
// dptrain bench kernels [--rows 8,64] [--json]
// The options; the benchmarks themselves are in src/bench/.
import { Option, type Command } from "commander";
import { loadConfig } from "../config/load.js";
import { benchEngine } from "../bench/engine-bench.js";
import { kernelsBench } from "../bench/kernels-report.js";
import { scalingBench } from "../bench/scaling-bench.js";
import { scaleSuite, SCALE_THREADS } from "../bench/scale-suite.js";
import { UsageError } from "../errors.js";
import { collect, intListOption, intOption } from "./options.js";

interface BenchFlags {
  config?: string;
  set: string[];
  threads: number[];
  steps: number;
  warmup: number;
  warmupMs: number;
  repeat: number;
  rows: number[];
  json: boolean;
  out?: string;
  profile: boolean;
  child?: number;
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("scaling across thread counts (default); `bench kernels`: GEMM GFLOP/s per kernel set; `bench scale`: the scaling suite (MLP b64/b256, CNN) at 1–16 threads")
    .argument("[target]", "engine | kernels | scale", "engine")
    .option("-c, --config <file>", "experiment config to benchmark (engine)")
    .option("--set <key=value>", "override a config key (repeatable)", collect, [])
    .option("--threads <list>", "thread counts, comma-separated", intListOption("--threads"), [1, 2])
    .option("--steps <n>", "timed training steps per thread count", intOption("--steps"), 100)
    .option("--warmup <n>", "untimed steps before timing", intOption("--warmup", 0), 10)
    .option("--warmup-ms <n>", "engine: the untimed steps also last at least this long (V8 compiles the hot paths on background threads for the first seconds); the timed steps then start again from the initial state", intOption("--warmup-ms", 0), 3000)
    .option("--repeat <n>", "interleaved rounds over the thread counts; each reports its median run", intOption("--repeat"), 3)
    .option("--rows <list>", "kernels: rows per GEMM (8 = one micro-shard of batch 64)", intListOption("--rows"), [8, 64])
    .option("--json", "print exactly one JSON object", false)
    .option("--profile", "engine: each worker's ms per step in ROWS, barrier waits, PARAMS, optimizer, other; and N one-worker processes side by side", false)
    .option("--out <dir>", "where bench.json and the chart go (default runs/bench/<yyyymmdd-hhmmss>)")
    .addOption(new Option("--child <threads>", "internal: run one thread count in this process and print JSON").hideHelp().argParser(intOption("--child")))
    .action(async (target: string, flags: BenchFlags, command: Command) => {
      if (target === "kernels") return kernelsBench(flags);
      if (target === "scale") {
        // The suite's own defaults unless given: threads 1–16, one round (it runs 15 thread counts and their side-by-side runs).
        const given = (name: string) => command.getOptionValueSource(name) === "cli";
        return scaleSuite({
          threads: given("threads") ? flags.threads : SCALE_THREADS, repeat: given("repeat") ? flags.repeat : 1, warmup: flags.warmup, warmupMs: flags.warmupMs, set: flags.set,
          ...(flags.out ? { out: flags.out } : {}),
        });
      }
      if (target !== "engine") throw new UsageError(`bench: expected target engine, kernels or scale, found ${JSON.stringify(target)}`);
      if (!flags.config) throw new UsageError("bench: expected -c FILE (the experiment to benchmark)");
      if (flags.child !== undefined) {
        const { config } = loadConfig(flags.config, flags.set);
        process.stdout.write(`${JSON.stringify(await benchEngine(config, flags.child, flags.steps, flags.warmup, flags.warmupMs))}\n`);
        return;
      }
      await scalingBench({ ...flags, config: flags.config });
      return;
    });
}
