// dptrain serve [--port N] [--host H] [--no-isolation]
import type { Command } from "commander";
import { startServer } from "../serve/server.js";
import { UsageError } from "../errors.js";
import { intOption } from "./options.js";

interface ServeFlags {
  port: number;
  host: string;
  isolation: boolean;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve the training page (dist/web/) and the MNIST files on this machine, cross-origin isolated")
    .option("--port <n>", "TCP port (0: any free port)", intOption("--port", 0), 8080)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--no-isolation", "leave out the COOP/COEP headers (the page then trains on one worker)")
    .action(async (flags: ServeFlags) => {
      if (flags.port > 65535) throw new UsageError(`--port: expected an integer <= 65535, found ${flags.port}`);
      const server = await startServer(flags);
      process.stdout.write(`dptrain: serving the training page at ${server.url}${flags.isolation ? "" : " (not cross-origin isolated: one worker)"}; Ctrl-C stops\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
    });
}
