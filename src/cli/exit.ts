// Exit codes and how errors reach the user: bad input is one line and exit 2; anything else
// is one line and exit 1 (with the stack under --verbose).

export const EXIT = { ok: 0, failure: 1, badInput: 2, interrupted: 130 } as const;

/** Error classes that mean "the user's input is bad" (errors crossing threads keep their name). */
const BAD_INPUT = new Set(["ConfigError", "DataError", "CheckpointError", "SafetensorsError", "RunDirError", "UsageError", "CommanderError", "QueueError", "OnnxExportError"]);

export function exitCodeFor(err: unknown): number {
  return err instanceof Error && BAD_INPUT.has(err.name) ? EXIT.badInput : EXIT.failure;
}

export function reportError(err: unknown, verbose: boolean): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const firstLine = e.message.split("\n")[0] ?? e.name;
  process.stderr.write(`dptrain: ${firstLine}\n`);
  if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
  return exitCodeFor(e);
}
