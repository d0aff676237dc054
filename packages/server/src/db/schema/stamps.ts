/** Stamp cards, completed cards, and the staff who confirm stamps in the shop. (db/schema.ts has the conventions.) */
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts } from "./columns.ts";

/** Stamp card definitions (core/stamps). Stamps of card X are the ledger asset `stamps:X`. */
export const stampCards = pgTable(
  "stamp_cards",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    name: text("name").notNull(),
    definition: jsonb("definition").notNull(),
    /** enabled | disabled | archived */
    status: text("status").notNull(),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [index("stamp_cards_program_idx").on(t.programId, t.status)],
);

/** One completed card: N stamps taken from the balance and the reward given for them. Sequence is per card and customer. */
export const stampCompletions = pgTable(
  "stamp_completions",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    cardId: text("card_id").notNull(),
    customerId: text("customer_id").notNull(),
    sequence: integer("sequence").notNull(),
    transactionId: text("transaction_id").notNull(),
    redemptionId: text("redemption_id"),
    completedAt: ts("completed_at").notNull(),
  },
  (t) => [uniqueIndex("stamp_completions_uq").on(t.programId, t.cardId, t.customerId, t.sequence)],
);

/** Staff who confirm stamps and custom actions in the shop, by PIN (hashed, per program) or key. */
export const staffMembers = pgTable(
  "staff_members",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    name: text("name").notNull(),
    store: text("store"),
    /** scrypt hash of the PIN, with its salt. */
    pinHash: text("pin_hash").notNull(),
    /** sha256 of the staff member's badge key (scanned instead of typing the PIN), hex; null: no key issued. */
    keyHash: text("key_hash"),
    /** active | disabled */
    status: text("status").notNull(),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [index("staff_members_program_idx").on(t.programId), uniqueIndex("staff_members_key_uq").on(t.keyHash).where(sql`key_hash is not null`)],
);
