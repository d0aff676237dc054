export * from "./types.ts";
export * from "./schedule.ts";
export * from "./periods.ts";
export * from "./cel.ts";
export * from "./evaluate.ts";
