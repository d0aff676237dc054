/**
 * Tiers (VIP levels): one scheme per program. Every level is qualified by the same basis, measured
 * over the same window; levels are in ascending order of threshold.
 */

/**
 * What qualifies a customer:
 * - `spend`: money paid (order totals minus refunds), in minor units;
 * - `points`: points earned (earning credits minus refund clawbacks), never the balance: spending
 *   points on a reward must not cost a customer their tier;
 * - `visits`: orders placed.
 * (`referrals` arrives with the referral programme, issue 7.)
 */
export const TIER_BASES = ["spend", "points", "visits", "referrals"] as const;
export type TierBasis = (typeof TIER_BASES)[number];

/**
 * Over which window the basis is measured, in the program's time zone. Status earned in a calendar
 * period holds until that period ends; rolling status holds twelve months from when it was earned
 * or last confirmed; lifetime status never goes down by itself.
 */
export const TIER_WINDOWS = ["lifetime", "calendar_year", "rolling_12_months", "calendar_month"] as const;
export type TierWindow = (typeof TIER_WINDOWS)[number];

export interface TierBenefits {
  /** Extra points on everything the earning rules give, as a percentage (25: a quarter more), rounded down. */
  earnBonusPercent?: number | undefined;
  /** A standing discount off every cart, as a percentage with up to two decimals. */
  discountPercent?: number | undefined;
  /** Points given the first time a customer reaches this level (once per level, ever). */
  entryPoints?: number | undefined;
  /** A catalogue reward (its id) given for 0 points the first time a customer reaches this level, on the same terms as entryPoints. */
  entryReward?: string | undefined;
}

export interface TierLevel {
  /** Stable key used in CEL (`customer.tier == "gold"`), history and the API. */
  key: string;
  name: string;
  /** The basis needed to reach this level (minor units for spend). */
  threshold: number;
  benefits: TierBenefits;
}

export interface TierScheme {
  basis: TierBasis;
  window: TierWindow;
  /** Days after a period ends before a downgrade takes effect; qualifying again meanwhile cancels it. */
  graceDays: number;
  /** `one_level`: a review lowers a customer by at most one level; `to_qualified`: to what they qualified for. */
  downgrade: "one_level" | "to_qualified";
  levels: TierLevel[];
}

/** A customer's tier as stored. `level` -1: below the first level. */
export interface TierState {
  level: number;
  since: Date;
  /** When the tier is next reviewed (before grace); null: never. */
  reviewAt: Date | null;
}

export type TierChangeKind = "upgrade" | "downgrade" | "renewal" | "manual" | "import";

/** A decided change: the new state and what to record in the history. */
export interface TierDecision {
  kind: TierChangeKind;
  from: number;
  to: number;
  state: TierState;
  metric: number;
  /** Levels whose entry gift this change may give (the level landed on, on an upgrade). */
  entered: number | null;
}
