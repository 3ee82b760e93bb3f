/** A bad data file: the message is one line naming the file and what is wrong. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "DataError";
  }
}

/** A data file that could not be opened or read, as one DataError: "file not found" (or what to say instead), else the system's code. */
export function unreadable(file: string, err: unknown, notFound = "file not found"): DataError {
  const e = err as NodeJS.ErrnoException;
  return new DataError(file, e.code === "ENOENT" ? notFound : `cannot read (${e.code ?? e.message})`);
}
