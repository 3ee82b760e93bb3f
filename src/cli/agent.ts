// dptrain agent --queue redis://HOST:PORT [--concurrency K] [--workers N]
// Takes trials of any sweep queued on that Redis until stopped. SIGINT/SIGTERM: the running
// trials reach a checkpoint, go back to the queue, and the agent exits 0 (a second signal exits
// at once; the trials then come back through BullMQ's stalled-job check).
import type { Command } from "commander";
import { connectRedis } from "../queue/connect.js";
import { givenQueueUrl, QUEUE_ENV } from "../queue/url.js";
import { startAgent } from "../sweep/agent.js";
import { EXIT, reportError } from "./exit.js";
import { intOption } from "./options.js";

interface AgentFlags {
  queue?: string;
  queueFile?: string;
  concurrency: number;
  workers?: number;
  lockMs: number;
}

export function registerAgent(program: Command): void {
  program
    .command("agent")
    .description("take trials of queued sweeps (dptrain sweep --queue) and train them here, until stopped")
    .option("--queue <url>", "the Redis the sweeps are queued on (redis://[:PASSWORD@]HOST:PORT[/DB]; default: --queue-file, else $DPTRAIN_QUEUE)")
    .option("--queue-file <file>", "a file whose first line is the queue URL (keeps a password out of `ps`)")
    .option("--concurrency <k>", "trials side by side on this machine", intOption("--concurrency"), 1)
    .option("--workers <n>", "step workers per trial (default: the cores split between the trials)", intOption("--workers"))
    .option("--lock-ms <ms>", "a trial whose agent is silent this long goes back to the queue", intOption("--lock-ms", 1000), 30_000)
    .action(async (flags: AgentFlags, cmd: Command) => {
      const verbose = cmd.optsWithGlobals<{ verbose: boolean }>().verbose;
      try {
        process.exitCode = await agentCommand(flags);
      } catch (err) {
        process.exitCode = reportError(err, verbose);
      }
    });
}

async function agentCommand(flags: AgentFlags): Promise<number> {
  const say = (line: string) => void process.stdout.write(`${line}\n`);
  const url = givenQueueUrl(flags, `agent: expected the queue's URL: --queue URL, --queue-file FILE, or ${QUEUE_ENV} in the environment`);
  const redis = await connectRedis(url, say, "dptrain-agent");
  const agent = startAgent({ redis, concurrency: flags.concurrency, lockMs: flags.lockMs, say, ...(flags.workers ? { workers: flags.workers } : {}) });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      process.once("SIGINT", () => process.exit(EXIT.interrupted));
      process.once("SIGTERM", () => process.exit(EXIT.interrupted));
      say(`${signal}: running trials checkpoint and go back to the queue`);
      void agent.stop().then(resolve);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  redis.disconnect();
  say(`agent ${agent.name}: stopped`);
  return EXIT.ok;
}
