// mnist-dataset ships no types; see src/data/sources.ts (MnistDatasetModule) for the parts used.
declare module "mnist-dataset";
