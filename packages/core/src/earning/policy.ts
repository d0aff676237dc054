import { applyRate, type Rounding } from "../money/rate.ts";
import { DAY_MS, startOfMonthAfter } from "../calendar/zoned.ts";

/** When credited value expires. `end_of_month`: at the end of the month `months` after the credit's month, in the program's time zone. */
export type ExpiryPolicy = { kind: "never" } | { kind: "days"; days: number } | { kind: "end_of_month"; months: number };

/** What happens when a refund's clawback is larger than what the customer still has. */
export type ClawbackPolicy = "allow_negative" | "cap";

/**
 * The basic earning setting: `points` per `per` minor units of the order's earning base, rounded as
 * configured. The rules engine replaces it by producing the same `EarnDecision`s, so the ledger does not change.
 */
export interface BasicEarning {
  enabled: boolean;
  points: number;
  per: number;
  rounding: Rounding;
}

export interface LedgerPolicy {
  pendingDays: number;
  expiry: ExpiryPolicy;
  clawback: ClawbackPolicy;
}

export function expiresAt(policy: ExpiryPolicy, effectiveAt: Date, timeZone: string): Date | null {
  switch (policy.kind) {
    case "never":
      return null;
    case "days":
      return new Date(effectiveAt.getTime() + policy.days * DAY_MS);
    case "end_of_month":
      return startOfMonthAfter(effectiveAt, policy.months, timeZone);
  }
}

export const pendingUntil = (pendingDays: number, effectiveAt: Date): Date | null =>
  pendingDays > 0 ? new Date(effectiveAt.getTime() + pendingDays * DAY_MS) : null;

/** Points an order's earning base earns under the basic setting. */
export function basicPoints(setting: BasicEarning, base: number): number {
  if (!setting.enabled || base <= 0) return 0;
  return applyRate(base, setting.points, setting.per, setting.rounding);
}

/**
 * Points to claw back for a refund: in proportion to the refunded share of the order, cumulative so
 * a run of partial refunds never takes more than a full one, and never more than was earned.
 * Rounds down: a partial refund favours the customer by less than one point; the final refund settles exactly.
 *
 * @example clawbackFor({ earned: 100, orderTotal: 3000, refundedBefore: 0, refundedNow: 1000, clawedBefore: 0 }) // 33
 */
export function clawbackFor(x: { earned: number; orderTotal: number; refundedBefore: number; refundedNow: number; clawedBefore: number }): number {
  if (x.orderTotal <= 0) return Math.max(0, x.earned - x.clawedBefore);
  const refunded = Math.min(x.orderTotal, x.refundedBefore + x.refundedNow);
  const target = applyRate(x.earned, refunded, x.orderTotal, "floor");
  return Math.max(0, Math.min(x.earned, target) - x.clawedBefore);
}
