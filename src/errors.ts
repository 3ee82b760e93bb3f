// Ground floor: the error every layer may throw for bad input that is not a config, data or
// checkpoint file (a flag, a queue URL, a missing folder). The CLI turns it into one line, exit 2.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
