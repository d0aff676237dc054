/** Cash payouts and gift cards. (db/schema.ts has the conventions.) */
import { index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

/** Payout requests of a customer's cash balance: pending -> approved -> paid, or rejected. */
export const payouts = pgTable(
  "payouts",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    customerId: text("customer_id").notNull(),
    amount: money("amount").notNull(),
    /** pending | approved | paid | rejected */
    status: text("status").notNull(),
    /** The ledger transaction that moved the amount from the cash balance to the payout hold. */
    transactionId: text("transaction_id").notNull(),
    /** The transaction that settled it (paid) or returned it (rejected). */
    settleTransactionId: text("settle_transaction_id"),
    reason: text("reason"),
    requestedAt: ts("requested_at").notNull(),
    decidedAt: ts("decided_at"),
    paidAt: ts("paid_at"),
  },
  (t) => [index("payouts_customer_idx").on(t.programId, t.customerId, t.requestedAt), index("payouts_status_idx").on(t.programId, t.status)],
);

/**
 * Gift cards: a code and a money balance, held in the ledger as asset `gift_card` on the card's own
 * accounts (account_balances.customer_id is the card id). A card may be given to a customer.
 */
export const giftCards = pgTable(
  "gift_cards",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    code: text("code").notNull(),
    currency: text("currency").notNull(),
    initialAmount: money("initial_amount").notNull(),
    /** active | disabled */
    status: text("status").notNull(),
    customerId: text("customer_id"),
    expiresAt: ts("expires_at"),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [uniqueIndex("gift_cards_code_uq").on(t.programId, t.code), index("gift_cards_customer_idx").on(t.programId, t.customerId)],
);
