/** Customers' tiers and the history of tier changes. (db/schema.ts has the conventions.) */
import { sql } from "drizzle-orm";
import { index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

/**
 * Each customer's current tier (issue 6). `tier` is a level key of the program's TierScheme, or null
 * (below the first level). `review_at` is when the tier is next reviewed for a downgrade (the end of
 * the period it holds for, before grace); null: never (lifetime windows, or no tier).
 */
export const customerTiers = pgTable(
  "customer_tiers",
  {
    programId: text("program_id").notNull(),
    customerId: text("customer_id").notNull(),
    tier: text("tier"),
    since: ts("since").notNull(),
    reviewAt: ts("review_at"),
    /** earned | manual | import */
    source: text("source").notNull(),
    reason: text("reason"),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.customerId] }), index("customer_tiers_review_idx").on(t.programId, t.reviewAt).where(sql`review_at is not null`)],
);

/** Append-only history of tier changes: upgrades, downgrades, renewals, manual and imported changes. */
export const tierChanges = pgTable(
  "tier_changes",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    customerId: text("customer_id").notNull(),
    fromTier: text("from_tier"),
    toTier: text("to_tier"),
    /** upgrade | downgrade | renewal | manual | import */
    kind: text("kind").notNull(),
    reason: text("reason"),
    /** The basis measured when the change was decided (money, points, visits or referrals). */
    metric: money("metric"),
    occurredAt: ts("occurred_at").notNull(),
    recordedAt: ts("recorded_at").notNull(),
  },
  (t) => [index("tier_changes_customer_idx").on(t.programId, t.customerId, t.occurredAt)],
);
