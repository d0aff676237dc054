export * from "./codes.ts";
export * from "./discount.ts";
