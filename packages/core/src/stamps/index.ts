export * from "./types.ts";
export * from "./check-card.ts";
export * from "./plan.ts";
