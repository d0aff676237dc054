export * from "./types.ts";
export * from "./fraud.ts";
export * from "./reward.ts";
export * from "./codes.ts";
export * from "./check-settings.ts";
