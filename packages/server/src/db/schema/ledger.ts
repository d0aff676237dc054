/** The double-entry ledger: transactions, postings, balances and lots (append-only where it says so). (db/schema.ts has the conventions.) */
import { sql } from "drizzle-orm";
import { bigserial, boolean, index, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

/** Append-only: a trigger refuses UPDATE and DELETE. */
export const ledgerTransactions = pgTable(
  "ledger_transactions",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    type: text("type").notNull(), // earn | refund | adjustment | reversal | expiry | release
    customerId: text("customer_id"),
    /** A business key unique per program forever (order:{id}, refund:{id}); null where there is none (adjustments, reversals, settlement). */
    reference: text("reference"),
    reversesId: text("reverses_id"),
    /** What produced it: basic earning now, a rule id and version later. */
    source: jsonb("source"),
    metadata: jsonb("metadata").notNull(),
    effectiveAt: ts("effective_at").notNull(),
    recordedAt: ts("recorded_at").notNull(),
  },
  (t) => [
    uniqueIndex("ledger_transactions_reference_uq").on(t.programId, t.reference),
    // A transaction can be reversed once: the database says so, not a read-then-write.
    uniqueIndex("ledger_transactions_reverses_uq").on(t.reversesId).where(sql`reverses_id is not null`),
    index("ledger_transactions_customer_idx").on(t.programId, t.customerId, t.id),
  ],
);

/** Append-only: a trigger refuses UPDATE and DELETE. */
export const ledgerPostings = pgTable(
  "ledger_postings",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    transactionId: text("transaction_id").notNull(),
    programId: text("program_id").notNull(),
    source: text("source").notNull(),
    destination: text("destination").notNull(),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    lotId: text("lot_id"),
  },
  // Keyed by transaction, then id (the order postings are listed in): every read finds postings by
  // their transaction, so one index serves them, where an id key and a transaction index were two
  // entries to write per posting.
  (t) => [primaryKey({ columns: [t.transactionId, t.id] })],
);

/**
 * Balances of customer accounts, kept in the same transaction as the postings and locked in a fixed
 * order. System accounts (world, expired) have no row: their balance is a sum of postings, so no
 * single hot row serialises every write.
 */
export const accountBalances = pgTable(
  "account_balances",
  {
    programId: text("program_id").notNull(),
    customerId: text("customer_id").notNull(),
    asset: text("asset").notNull(),
    available: money("available").notNull(),
    pending: money("pending").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.customerId, t.asset] })],
);

export const lots = pgTable(
  "lots",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    customerId: text("customer_id").notNull(),
    asset: text("asset").notNull(),
    transactionId: text("transaction_id").notNull(),
    amount: money("amount").notNull(),
    remaining: money("remaining").notNull(),
    pending: boolean("pending").notNull(),
    pendingUntil: ts("pending_until"),
    expiresAt: ts("expires_at"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [
    index("lots_customer_open_idx").on(t.programId, t.customerId, t.asset).where(sql`remaining > 0`),
    index("lots_due_expiry_idx").on(t.programId, t.expiresAt).where(sql`remaining > 0 and expires_at is not null`),
    index("lots_due_release_idx").on(t.programId, t.pendingUntil).where(sql`pending and remaining > 0`),
  ],
);
