/**
 * The one schema, for PGlite and PostgreSQL alike. Migrations in ../../drizzle are generated from it
 * (`npm run db:generate -w @patron/server`), plus hand-written SQL for what drizzle cannot express
 * (triggers that make the ledger append-only).
 *
 * Amounts are bigint (mode number: points and minor units stay below 2^53, which validation enforces).
 * Instants are timestamptz.
 *
 * The tables live in ./schema/, one file per area; this file gathers them, for drizzle-kit
 * (drizzle.config.ts) and for the code that imports tables.
 */
export * from "./schema/programs.ts";
export * from "./schema/customers.ts";
export * from "./schema/orders.ts";
export * from "./schema/ledger.ts";
export * from "./schema/rules.ts";
export * from "./schema/rewards.ts";
export * from "./schema/promotions.ts";
export * from "./schema/tiers.ts";
export * from "./schema/stamps.ts";
export * from "./schema/wallet.ts";
export * from "./schema/referrals.ts";
