/** Events as received, and the orders, lines, refunds and per-customer order aggregates ingest keeps. (db/schema.ts has the conventions.) */
import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    /** The sender's id: unique per program forever. */
    externalId: text("external_id").notNull(),
    type: text("type").notNull(),
    name: text("name"),
    customerId: text("customer_id"),
    data: jsonb("data").notNull(),
    occurredAt: ts("occurred_at").notNull(),
    recordedAt: ts("recorded_at").notNull(),
    /**
     * What the event was answered (JSON), for replays of its id. Kept here, written once with the
     * event, rather than by a second write of its idempotency row; null for events recorded before
     * 2026-11-24, whose answer is that row's `response`.
     */
    response: text("response"),
  },
  (t) => [uniqueIndex("events_external_uq").on(t.programId, t.externalId), index("events_customer_idx").on(t.programId, t.customerId)],
);

export const orders = pgTable(
  "orders",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    externalId: text("external_id").notNull(),
    customerId: text("customer_id").notNull(),
    currency: text("currency").notNull(),
    subtotal: money("subtotal").notNull(),
    discount: money("discount").notNull(),
    shipping: money("shipping").notNull(),
    tax: money("tax").notNull(),
    total: money("total").notNull(),
    earningBase: money("earning_base").notNull(),
    weight: money("weight").notNull(),
    channel: text("channel"),
    store: text("store"),
    /** Points credited for this order and the lot that holds them (for proportional clawback). */
    pointsEarned: money("points_earned").notNull(),
    earnLotId: text("earn_lot_id"),
    refundedAmount: money("refunded_amount").notNull(),
    /** The refunded part of the earning base: what clawbacks are proportional to (shipping and tax earn nothing). */
    refundedBase: money("refunded_base").notNull().default(0),
    /** Points the refunds called for, shortfalls included (refunds.shortfall says what a capped clawback could not take). */
    pointsClawedBack: money("points_clawed_back").notNull(),
    placedAt: ts("placed_at").notNull(),
    recordedAt: ts("recorded_at").notNull(),
  },
  (t) => [uniqueIndex("orders_external_uq").on(t.programId, t.externalId), index("orders_customer_idx").on(t.programId, t.customerId, t.placedAt)],
);

/**
 * What an order earned in each wallet asset (bonus, cash: cashback rules on order.completed), so a
 * refund takes back its share, as orders.points_earned / earn_lot_id / points_clawed_back do for
 * points (those columns stay the points record). One row per order and asset that earned anything.
 */
export const orderEarnings = pgTable(
  "order_earnings",
  {
    programId: text("program_id").notNull(),
    orderId: text("order_id").notNull(),
    asset: text("asset").notNull(),
    earned: money("earned").notNull(),
    /** The order's first lot of the asset: a clawback takes from it first. */
    lotId: text("lot_id"),
    /** What refunds (or a reversal of the earn) called for, shortfalls included: never more than earned. */
    clawedBack: money("clawed_back").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.asset] }), check("order_earnings_clawed_back_ck", sql`clawed_back >= 0 and clawed_back <= earned`)],
);

/**
 * A customer's orders in aggregate, kept by ingest's write statement as orders are recorded and
 * refunded (write-batch.ts), so that rule conditions read a customer's lifetime metrics from one row
 * instead of summing every order they ever placed (rule-facts.ts). `spend` is totals minus refunds.
 */
export const customerOrderStats = pgTable(
  "customer_order_stats",
  {
    programId: text("program_id").notNull(),
    customerId: text("customer_id").notNull(),
    orders: integer("orders").notNull(),
    spend: money("spend").notNull(),
    firstAt: ts("first_at"),
    lastAt: ts("last_at"),
  },
  (t) => [primaryKey({ columns: [t.programId, t.customerId] })],
);

export const orderLines = pgTable(
  "order_lines",
  {
    orderId: text("order_id").notNull(),
    lineNo: integer("line_no").notNull(),
    sku: text("sku").notNull(),
    name: text("name"),
    category: text("category"),
    quantity: integer("quantity").notNull(),
    unitPrice: money("unit_price").notNull(),
    weight: money("weight"),
    discount: money("discount").notNull(),
    net: money("net").notNull(),
    refundedQuantity: integer("refunded_quantity").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.lineNo] })],
);

export const refunds = pgTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    externalId: text("external_id").notNull(),
    orderId: text("order_id").notNull(),
    amount: money("amount").notNull(),
    pointsClawedBack: money("points_clawed_back").notNull(),
    shortfall: money("shortfall").notNull(),
    /** Wallet credit the refund took back, per asset: `{"bonus": {"clawedBack": 25, "shortfall": 0}}` (shortfall under `clawback: cap`). */
    walletClawedBack: jsonb("wallet_clawed_back").notNull().default({}),
    recordedAt: ts("recorded_at").notNull(),
  },
  (t) => [uniqueIndex("refunds_external_uq").on(t.programId, t.externalId)],
);
