import type { LimitPeriod } from "../rules/types.ts";

/**
 * A program's referral settings (issue 7). A referrer shares a personal code or link; a friend who
 * signs up through it is attributed to them (first touch wins, once per friend). The friend gets a
 * first-order discount and/or points; the referrer gets a reward when the friend converts, held until
 * the friend's order clears a hold period, stepping up along a ladder; optionally a commission on
 * what referred friends buy.
 */

/** What a reward gives: points, bonus wallet money (minor units), or both. */
export interface ReferralReward {
  points?: number | undefined;
  bonus?: number | undefined;
}

/** From the `from`-th converted referral on (1-based), each conversion gives `reward`. */
export interface LadderStep {
  from: number;
  reward: ReferralReward;
}

/** What converts a referral for the referrer: the friend's signup, their first order, or every order for a while. */
export type ConversionTrigger = "signup" | "first_order" | "every_order";

export interface ReferralSettings {
  enabled: boolean;
  /** Days a link click keeps its claim on a signup (first touch wins within it). */
  attributionDays: number;
  friend: {
    /** A bulk_codes campaign whose personal code the friend gets at signup (its effects: "10% off the first order"). */
    campaignId: string | null;
    /** Days the friend's code stays valid. */
    validDays: number;
    /** Points the friend gets at signup. */
    points: number;
  };
  referrer: {
    on: ConversionTrigger;
    /** `every_order`: for this many months after the friend signed up. */
    months?: number | undefined;
    /** Days a conversion's reward stays pending; a refund of the converting order in that time cancels it. */
    holdDays: number;
    /** The reward before any ladder step. */
    reward: ReferralReward;
    ladder: LadderStep[];
  };
  /** A share of referred friends' purchases, for `months` after they signed up, capped per friend and per period. */
  commission: {
    percent: number;
    asset: "points" | "bonus";
    months: number;
    capPerFriend?: number | undefined;
    capPerPeriod?: { amount: number; per: LimitPeriod } | undefined;
  } | null;
  /** Converted referrals rewarded per referrer and period; conversions over a cap earn nothing. */
  caps: { per: LimitPeriod; max: number }[];
  /** Suspicious referrals (a fraud signal short of proof) are held for review instead of rewarded. */
  holdSuspicious: boolean;
}

/** What the store may tell us about a signup or an order, to compare referrer and friend. */
export interface ReferralIdentity {
  customerId: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  device: string | null;
  ip: string | null;
}

/** Why a referral earns nothing (blocked) or waits for a person (held). Stable forever. */
export const REFERRAL_FLAGS = [
  "SELF_REFERRAL", "SAME_EMAIL", "SAME_PHONE", "SAME_ADDRESS", "SAME_DEVICE", "SAME_IP", "FRIEND_NOT_NEW", "ALREADY_REFERRED", "REFERRER_CAP_REACHED",
] as const;
export type ReferralFlag = (typeof REFERRAL_FLAGS)[number];
