/** Programs (tenants), their API keys, the idempotency keys of mutating requests, the audit log and the record of scheduled jobs that ran. (db/schema.ts has the conventions.) */
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts } from "./columns.ts";

export const programs = pgTable("programs", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  pointsSingular: text("points_singular").notNull(),
  pointsPlural: text("points_plural").notNull(),
  currency: text("currency").notNull(),
  timeZone: text("time_zone").notNull(),
  defaultLocale: text("default_locale").notNull(),
  supportedLocales: text("supported_locales").array().notNull(),
  defaultCountry: text("default_country"),
  /** BasicEarning (core/earning/policy.ts). */
  earning: jsonb("earning").notNull(),
  /** LedgerPolicy: pending days, expiry, clawback. */
  ledgerPolicy: jsonb("ledger_policy").notNull(),
  /** PointValue ({ money, points }) or null: what points are worth, for `worth` effects and liability figures. */
  pointValue: jsonb("point_value"),
  /** PayWithPoints or null: points as money off an order (app/rewards/pay-with-points.ts). */
  payWithPoints: jsonb("pay_with_points"),
  /** MarginGuard ({ maxDiscountPercent, lineFloorPercent }) or null: caps what stacked promotions may take off. */
  marginGuard: jsonb("margin_guard"),
  /** Bumped by every campaign change, so each server process knows within a second that its cache is stale. */
  campaignsVersion: bigint("campaigns_version", { mode: "number" }).notNull().default(0),
  /** TierScheme (core/tiers) or null: the program's VIP levels, their basis, window, grace and benefits. */
  tiers: jsonb("tiers"),
  /** WalletPolicy (core/wallet) or null: payout limits and hold of the cash balance. */
  wallet: jsonb("wallet"),
  /** ReferralSettings (core/referrals) or null: no referral programme. */
  referrals: jsonb("referrals"),
  /** Where a referral link sends the visitor (the store's signup page); the click id and code are added to it. */
  referralLandingUrl: text("referral_landing_url"),
  createdAt: ts("created_at").notNull(),
  updatedAt: ts("updated_at").notNull(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull().references(() => programs.id),
    kind: text("kind").notNull(), // secret | publishable
    name: text("name").notNull(),
    /** sha256 of the whole key, hex. The key itself is shown once and never stored. */
    hash: text("hash").notNull(),
    /** The first characters, to recognise a key in a list (sk_ab12…). */
    hint: text("hint").notNull(),
    createdAt: ts("created_at").notNull(),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_uq").on(t.hash), index("api_keys_program_idx").on(t.programId)],
);

/**
 * Stored responses of mutating requests and events, keyed by program, scope and key. The row is
 * inserted first in the request's transaction, so a concurrent duplicate waits on it and then replays.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    programId: text("program_id").notNull(),
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status"),
    /** The response body exactly as first sent, so a replay is byte-identical. */
    response: text("response"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.scope, t.key] })],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    reason: text("reason"),
    data: jsonb("data").notNull(),
    at: ts("at").notNull(),
  },
  (t) => [index("audit_log_program_idx").on(t.programId, t.id)],
);

/** Scheduled jobs that ran for a program and a key (e.g. birthdays for a local date), so a day is done once. */
export const jobRuns = pgTable(
  "job_runs",
  {
    programId: text("program_id").notNull(),
    job: text("job").notNull(),
    runKey: text("run_key").notNull(),
    ranAt: ts("ran_at").notNull(),
    /** What the runs of this key did, added up count by count (jobs/daily.ts); null for runs recorded before it was kept. */
    result: jsonb("result"),
    /** How many times this key ran: a retry, a second server or a manual run all count. */
    runs: integer("runs").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.programId, t.job, t.runKey] })],
);
