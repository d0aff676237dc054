export * from "./types.ts";
export * from "./windows.ts";
export * from "./decide.ts";
export * from "./check-scheme.ts";
export * from "./progress.ts";
