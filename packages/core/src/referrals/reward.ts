import { applyRate } from "../money/rate.ts";
import type { ReferralReward, ReferralSettings } from "./types.ts";

/** The referrer's reward for their `n`-th converted referral (1-based): the highest ladder step reached, else the base reward. */
export function referrerReward(s: ReferralSettings, n: number): ReferralReward {
  let reward = s.referrer.reward;
  for (const step of s.referrer.ladder) if (n >= step.from) reward = step.reward;
  return reward;
}

/**
 * Where a referrer with `converted` conversions stands on the ladder: the steps reached (0: the base
 * reward) and the next step, with the conversions still needed to reach it (the one that reaches it
 * included).
 */
export function ladderPosition(s: ReferralSettings, converted: number): { step: number; next: { from: number; remaining: number; reward: ReferralReward } | null } {
  const steps = s.referrer.ladder;
  const step = steps.filter((l) => l.from <= converted).length;
  const next = steps[step];
  return { step, next: next ? { from: next.from, remaining: next.from - converted, reward: next.reward } : null };
}

/**
 * The commission on one order of a referred friend: `percent` of `amount` (rounded down), within
 * what is left of the cap per friend and of the cap per period. Zero outside the commission's months.
 */
export function commissionFor(s: ReferralSettings, x: { amount: number; paidForFriend: number; paidThisPeriod: number; withinMonths: boolean }): number {
  const c = s.commission;
  if (!c || !x.withinMonths || x.amount <= 0) return 0;
  let due = applyRate(x.amount, Math.round(c.percent * 100), 10_000, "floor");
  if (c.capPerFriend !== undefined) due = Math.min(due, Math.max(0, c.capPerFriend - x.paidForFriend));
  if (c.capPerPeriod !== undefined) due = Math.min(due, Math.max(0, c.capPerPeriod.amount - x.paidThisPeriod));
  return due;
}
