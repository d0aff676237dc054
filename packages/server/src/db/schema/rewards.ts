/** The reward catalogue, partner code pools and redemptions. (db/schema.ts has the conventions.) */
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

/** The reward catalogue. `issued` counts redemptions against `stock` (cancelled ones give it back). */
export const rewards = pgTable(
  "rewards",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** core/rewards/discount.ts RewardKind */
    kind: text("kind").notNull(),
    /** RewardConfig: amount, percent, cap, sku, partner. */
    config: jsonb("config").notNull(),
    cost: money("cost").notNull(),
    minOrder: money("min_order"),
    /** Days an issued code stays valid; null: until used or cancelled. */
    validDays: integer("valid_days"),
    activeFrom: ts("active_from"),
    activeTo: ts("active_to"),
    /** null: unlimited (partner coupons: the pool is the stock). */
    stock: integer("stock"),
    issued: integer("issued").notNull(),
    /** { max, per } redemptions per customer and period, or null. */
    perCustomer: jsonb("per_customer"),
    /** A CEL condition on the customer, or null. */
    condition: text("condition"),
    /** enabled | disabled | archived */
    status: text("status").notNull(),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [index("rewards_program_idx").on(t.programId, t.status)],
);

/** Partner coupon codes uploaded for a reward; a code is handed out once (`redemption_id` set). */
export const rewardPoolCodes = pgTable(
  "reward_pool_codes",
  {
    rewardId: text("reward_id").notNull(),
    code: text("code").notNull(),
    redemptionId: text("redemption_id"),
    uploadedAt: ts("uploaded_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.rewardId, t.code] }), index("reward_pool_codes_free_idx").on(t.rewardId, t.code).where(sql`redemption_id is null`)],
);

/** A reward bought with points: issued, then used, expired or cancelled. */
export const redemptions = pgTable(
  "redemptions",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    customerId: text("customer_id").notNull(),
    rewardId: text("reward_id").notNull(),
    /** The reward as it was when redeemed: name, kind, config, minOrder. */
    reward: jsonb("reward").notNull(),
    points: money("points").notNull(),
    /** issued | used | expired | cancelled */
    status: text("status").notNull(),
    /** Our code, for rewards used at checkout (discounts, free product, free shipping); null otherwise. */
    code: text("code"),
    /** partner_coupon: the code drawn from the reward's pool. */
    partnerCode: text("partner_code"),
    /** physical gifts: pending | shipped | delivered | cancelled */
    fulfilment: text("fulfilment"),
    /** The ledger transaction that paid for it (points, or a full stamp card's stamps); null for a gift that cost nothing (a tier's entry reward). */
    transactionId: text("transaction_id"),
    returnTransactionId: text("return_transaction_id"),
    /**
     * The business key of a reward given for free, unique per program forever, so it is never given
     * twice: `tier-gift:{customer}:{level}`, `stamps:{card}:completion:{customer}:{n}`; null when bought with points.
     */
    reference: text("reference"),
    usedOrderId: text("used_order_id"),
    usedAt: ts("used_at"),
    expiresAt: ts("expires_at"),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("redemptions_code_uq").on(t.programId, t.code),
    uniqueIndex("redemptions_reference_uq").on(t.programId, t.reference).where(sql`reference is not null`),
    index("redemptions_customer_idx").on(t.programId, t.customerId, t.createdAt),
    index("redemptions_reward_idx").on(t.rewardId),
    index("redemptions_used_order_idx").on(t.usedOrderId).where(sql`used_order_id is not null`),
  ],
);
