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
