/**
 * The one schema, for PGlite and PostgreSQL alike. Migrations in ../../drizzle are generated from it
 * (`npm run db:generate -w @patron/server`), plus hand-written SQL for what drizzle cannot express
 * (triggers that make the ledger append-only).
 *
 * Amounts are bigint (mode number: points and minor units stay below 2^53, which validation enforces).
 * Instants are timestamptz.
 */
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const money = (name: string) => bigint(name, { mode: "number" });

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

export const customers = pgTable(
  "customers",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull().references(() => programs.id),
    /** The store's own id; null once erased. */
    externalId: text("external_id"),
    email: text("email"),
    phone: text("phone"),
    name: text("name"),
    birthday: date("birthday", { mode: "string" }),
    locale: text("locale"),
    timeZone: text("time_zone"),
    consent: jsonb("consent").notNull(),
    attributes: jsonb("attributes").notNull(),
    tags: text("tags").array().notNull(),
    status: text("status").notNull(), // active | blocked | erased
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
    erasedAt: ts("erased_at"),
  },
  (t) => [
    uniqueIndex("customers_external_uq").on(t.programId, t.externalId),
    index("customers_email_idx").on(t.programId, t.email),
    index("customers_phone_idx").on(t.programId, t.phone),
    index("customers_program_id_idx").on(t.programId, t.id),
  ],
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
    id: bigserial("id", { mode: "number" }).primaryKey(),
    transactionId: text("transaction_id").notNull(),
    programId: text("program_id").notNull(),
    source: text("source").notNull(),
    destination: text("destination").notNull(),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    lotId: text("lot_id"),
  },
  (t) => [index("ledger_postings_txn_idx").on(t.transactionId)],
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

/** Earning rules. `definition` is the current version's RuleDefinition (core/rules/types.ts); every version is kept in rule_versions. */
export const rules = pgTable(
  "rules",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    /** enabled | disabled | archived */
    status: text("status").notNull(),
    version: integer("version").notNull(),
    definition: jsonb("definition").notNull(),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [index("rules_program_idx").on(t.programId, t.status)],
);

/** Every version of every rule, as it was saved. Ledger transactions name a rule and a version from here. */
export const ruleVersions = pgTable(
  "rule_versions",
  {
    ruleId: text("rule_id").notNull(),
    version: integer("version").notNull(),
    definition: jsonb("definition").notNull(),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.version] })],
);

/**
 * Limit and budget counters: awards and points per rule, customer (`*` for the rule's global budget)
 * and period key (core/rules/periods.ts). Locked in key order in the same transaction as the awards.
 */
export const ruleCounters = pgTable(
  "rule_counters",
  {
    programId: text("program_id").notNull(),
    ruleId: text("rule_id").notNull(),
    scope: text("scope").notNull(),
    period: text("period").notNull(),
    awards: integer("awards").notNull(),
    points: money("points").notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.ruleId, t.scope, t.period] })],
);

/** Run-time failures of a rule version's condition or effect: counted, with the last message, for admins. */
export const ruleFailures = pgTable(
  "rule_failures",
  {
    programId: text("program_id").notNull(),
    ruleId: text("rule_id").notNull(),
    version: integer("version").notNull(),
    failures: integer("failures").notNull(),
    lastError: text("last_error").notNull(),
    lastAt: ts("last_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.version] })],
);

/** Scheduled jobs that ran for a program and a key (e.g. birthdays for a local date), so a day is done once. */
export const jobRuns = pgTable(
  "job_runs",
  {
    programId: text("program_id").notNull(),
    job: text("job").notNull(),
    runKey: text("run_key").notNull(),
    ranAt: ts("ran_at").notNull(),
    /** What the last run of this key did (counts); null for runs recorded before it was kept. */
    result: jsonb("result"),
    /** How many times this key ran: a retry, a second server or a manual run all count. */
    runs: integer("runs").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.programId, t.job, t.runKey] })],
);

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
    expiresAt: ts("expires_at").notNull(),
    /** Set when the session's order completes (or the reservation is released). */
    endedAt: ts("ended_at"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [index("campaign_reservations_campaign_idx").on(t.campaignId, t.expiresAt).where(sql`ended_at is null`), index("campaign_reservations_session_idx").on(t.programId, t.sessionId)],
);

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
