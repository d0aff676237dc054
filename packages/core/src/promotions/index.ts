export * from "./types.ts";
export * from "./working-cart.ts";
export * from "./apply-effects.ts";
export * from "./evaluate-cart.ts";
