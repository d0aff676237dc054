/** Promotions: campaigns, bulk codes, counters, redemptions, completed checkouts and reservations. (db/schema.ts has the conventions.) */
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

/**
 * Promotion campaigns (core/promotions). `definition` is the CampaignDefinition of the current
 * `version`; `code` is the normalised reusable code of `code` campaigns. The counters are changed only
 * under the row's lock, by completions and rollbacks.
 */
export const campaigns = pgTable(
  "campaigns",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    name: text("name").notNull(),
    /** code | bulk_codes | automatic */
    kind: text("kind").notNull(),
    code: text("code"),
    /** enabled | disabled | archived */
    status: text("status").notNull(),
    version: integer("version").notNull(),
    definition: jsonb("definition").notNull(),
    redeemed: integer("redeemed").notNull().default(0),
    budgetMoneyUsed: money("budget_money_used").notNull().default(0),
    budgetPointsUsed: money("budget_points_used").notNull().default(0),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [index("campaigns_program_idx").on(t.programId, t.status), uniqueIndex("campaigns_code_uq").on(t.programId, t.code).where(sql`code is not null`)],
);

/**
 * Unique codes of `bulk_codes` campaigns (generated, imported, or issued to one customer as a
 * follow-up). `used` counts completed orders against `max_uses`; rollbacks give a use back.
 */
export const campaignCodes = pgTable(
  "campaign_codes",
  {
    programId: text("program_id").notNull(),
    code: text("code").notNull(),
    campaignId: text("campaign_id").notNull(),
    /** A personal code: only this customer (internal id) may use it. */
    customerId: text("customer_id"),
    maxUses: integer("max_uses").notNull().default(1),
    used: integer("used").notNull().default(0),
    /** A code with its own value (a follow-up worth a share of an order): the campaign's order_fixed effects give it. */
    value: money("value"),
    expiresAt: ts("expires_at"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.code] }), index("campaign_codes_campaign_idx").on(t.campaignId, t.code)],
);

/** Redemptions per campaign, customer key (`cus:…`, `email:…`, `phone:…`) and period key (rules/periods.ts). */
export const campaignCounters = pgTable(
  "campaign_counters",
  {
    campaignId: text("campaign_id").notNull(),
    customerKey: text("customer_key").notNull(),
    period: text("period").notNull(),
    used: integer("used").notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.customerKey, t.period] })],
);

/** One campaign applied to one completed order; rolled back at most once. */
export const campaignRedemptions = pgTable(
  "campaign_redemptions",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    campaignId: text("campaign_id").notNull(),
    campaignVersion: integer("campaign_version").notNull(),
    code: text("code"),
    orderId: text("order_id").notNull(),
    customerId: text("customer_id"),
    customerKeys: text("customer_keys").array().notNull(),
    period: text("period"),
    discount: money("discount").notNull(),
    points: money("points").notNull(),
    /** The ledger transaction of the bonus points, if any. */
    transactionId: text("transaction_id"),
    /** Whether the campaign's counters (uses, budgets, per customer) counted it: limited campaigns only. */
    counted: boolean("counted").notNull(),
    /** applied | rolled_back */
    status: text("status").notNull(),
    createdAt: ts("created_at").notNull(),
    rolledBackAt: ts("rolled_back_at"),
  },
  (t) => [uniqueIndex("campaign_redemptions_order_uq").on(t.programId, t.orderId, t.campaignId), index("campaign_redemptions_campaign_idx").on(t.campaignId, t.createdAt)],
);

/** A completed checkout: the evaluation that was recorded for an order, so a retry returns it unchanged. */
export const cartCompletions = pgTable(
  "cart_completions",
  {
    programId: text("program_id").notNull(),
    orderId: text("order_id").notNull(),
    requestHash: text("request_hash").notNull(),
    result: jsonb("result").notNull(),
    createdAt: ts("created_at").notNull(),
    rolledBackAt: ts("rolled_back_at"),
  },
  (t) => [primaryKey({ columns: [t.programId, t.orderId] })],
);

/** Uses of a campaign (and its code) held for a checkout session until `expires_at`. */
export const campaignReservations = pgTable(
  "campaign_reservations",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    sessionId: text("session_id").notNull(),
    campaignId: text("campaign_id").notNull(),
    code: text("code"),
    customerKeys: text("customer_keys").array().notNull(),
    /** What the held use would take of the campaign's budgets: other sessions count it as spent. */
    money: money("money").notNull().default(0),
    points: money("points").notNull().default(0),
    expiresAt: ts("expires_at").notNull(),
    /** Set when the session's order completes (or the reservation is released). */
    endedAt: ts("ended_at"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [index("campaign_reservations_campaign_idx").on(t.campaignId, t.expiresAt).where(sql`ended_at is null`), index("campaign_reservations_session_idx").on(t.programId, t.sessionId)],
);
