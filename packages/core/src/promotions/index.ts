export * from "./types.ts";
export * from "./working-cart.ts";
export * from "./apply-effects.ts";
export * from "./evaluate-cart.ts";
export * from "./codes.ts";
export * from "./check-campaign.ts";
export * from "./audience-key.ts";
