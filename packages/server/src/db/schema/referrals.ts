/** Referral codes, clicks, referrals and what they paid. (db/schema.ts has the conventions.) */
import { index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

/** Each customer's personal referral code (issue 7): `code` is the lookup form (no dash), `display` the shown one. */
export const referralCodes = pgTable(
  "referral_codes",
  {
    programId: text("program_id").notNull(),
    code: text("code").notNull(),
    display: text("display").notNull(),
    customerId: text("customer_id").notNull(),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.code] }), uniqueIndex("referral_codes_customer_uq").on(t.programId, t.customerId)],
);

/** A visit through a referral link: its id travels into the signup, so the first touch can win. */
export const referralClicks = pgTable(
  "referral_clicks",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    code: text("code").notNull(),
    referrerId: text("referrer_id").notNull(),
    ip: text("ip"),
    device: text("device"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [index("referral_clicks_referrer_idx").on(t.programId, t.referrerId, t.createdAt)],
);

/**
 * One friend attributed to one referrer (a friend is referred once: unique per program). `status`:
 * attributed -> converted, or blocked (a self-referral, a friend who is not new, a cap) or held
 * (suspicious, for review). `flags` says why.
 */
export const referrals = pgTable(
  "referrals",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    referrerId: text("referrer_id").notNull(),
    friendId: text("friend_id").notNull(),
    code: text("code").notNull(),
    clickId: text("click_id"),
    /** attributed | converted | blocked | held */
    status: text("status").notNull(),
    flags: text("flags").array().notNull(),
    /** The friend's personal first-order code, if the programme gives one. */
    friendCode: text("friend_code"),
    attributedAt: ts("attributed_at").notNull(),
    convertedAt: ts("converted_at"),
    reviewedAt: ts("reviewed_at"),
  },
  (t) => [uniqueIndex("referrals_friend_uq").on(t.programId, t.friendId), index("referrals_referrer_idx").on(t.programId, t.referrerId, t.attributedAt)],
);

/** What a referral paid its referrer: a conversion reward or a commission, pending until the hold passes, cancelled by a refund within it. */
export const referralRewards = pgTable(
  "referral_rewards",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    referralId: text("referral_id").notNull(),
    referrerId: text("referrer_id").notNull(),
    /** The friend's order that converted it (the store's id). */
    orderId: text("order_id"),
    /** conversion | commission */
    kind: text("kind").notNull(),
    /** Which conversion of the referrer this was (1-based), for the ladder; null for commissions. */
    sequence: integer("sequence"),
    points: money("points").notNull(),
    bonus: money("bonus").notNull(),
    /** pending | available | cancelled */
    status: text("status").notNull(),
    availableAt: ts("available_at"),
    transactionIds: text("transaction_ids").array().notNull(),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [index("referral_rewards_referrer_idx").on(t.programId, t.referrerId, t.createdAt), index("referral_rewards_order_idx").on(t.programId, t.orderId)],
);
