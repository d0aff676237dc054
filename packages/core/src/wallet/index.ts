export * from "./policy.ts";
export * from "./payouts.ts";
export * from "./payments.ts";
export * from "./gift-cards.ts";
