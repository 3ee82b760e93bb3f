/** Class names by dataset, for charts and `dptrain predict`. Fashion-MNIST names follow d2l. */
export function classNames(dataset: string, nClasses: number): string[] {
  if (dataset === "fashion-mnist" && nClasses === 10) {
    return ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];
  }
  return Array.from({ length: nClasses }, (_, i) => String(i));
}
