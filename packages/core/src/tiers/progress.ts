import { localDate, utc } from "../calendar/zoned.ts";
import { isCurrency, minorUnits } from "../money/currency.ts";
import type { TierBasis, TierScheme, TierState } from "./types.ts";
import { periodEnd, reviewDue } from "./windows.ts";

export interface TierProgress {
  /** The basis over the current window. */
  metric: number;
  /** The next level up and what it takes; null at the top. `by`: when the window's count starts again (null: it never does). */
  next: { key: string; name: string; remaining: number; by: string | null } | null;
  /** What it takes to keep the current level at its review; null without a tier or a review. */
  keep: { remaining: number; by: string; reviewedAt: string } | null;
  /** One sentence for the customer ("Spend $400.00 more by 31 December 2026 to keep Gold."). */
  message: string;
}

/**
 * Progress towards the next level and towards keeping the current one. `metric` is the basis over
 * the current window at `now`; `keepMetric` the basis so far over the window the next review judges
 * (the same figure for calendar windows).
 */
export function tierProgress(x: { scheme: TierScheme; state: TierState; metric: number; keepMetric: number; now: Date; timeZone: string; currency: string; pointsPlural: string }): TierProgress {
  const { scheme, state } = x;
  const nextLevel = scheme.levels[state.level + 1];
  const windowEnd = periodEnd(scheme.window === "rolling_12_months" ? "lifetime" : scheme.window, x.now, x.timeZone);
  const next = nextLevel ? { key: nextLevel.key, name: nextLevel.name, remaining: Math.max(0, nextLevel.threshold - x.metric), by: windowEnd?.toISOString() ?? null } : null;
  let keep: TierProgress["keep"] = null;
  if (state.level >= 0 && state.reviewAt) {
    const current = scheme.levels[state.level]!;
    // Past the period's end and inside grace, the deadline is the end of grace.
    const by = state.reviewAt.getTime() > x.now.getTime() ? state.reviewAt : reviewDue(state.reviewAt, scheme.graceDays, x.timeZone);
    keep = { remaining: Math.max(0, current.threshold - x.keepMetric), by: by.toISOString(), reviewedAt: state.reviewAt.toISOString() };
  }
  const amount = (n: number) => describe(scheme.basis, n, x.currency, x.pointsPlural);
  const day = (iso: string) => lastDayBefore(new Date(iso), x.timeZone);
  let message: string;
  if (keep && keep.remaining > 0) message = `${amount(keep.remaining)} by ${day(keep.by)} to keep ${scheme.levels[state.level]!.name}.`;
  else if (next && next.remaining > 0) message = `${amount(next.remaining)}${next.by ? ` by ${day(next.by)}` : ""} to reach ${next.name}.`;
  else if (state.level >= 0) message = keep ? `${scheme.levels[state.level]!.name} is kept until ${day(nextReview(scheme, state, x.timeZone))}.` : `${scheme.levels[state.level]!.name} for life.`;
  else message = "";
  return { metric: x.metric, next, keep, message };
}

function nextReview(scheme: TierScheme, state: TierState, timeZone: string): string {
  return (periodEnd(scheme.window, state.reviewAt!, timeZone) ?? state.reviewAt!).toISOString();
}

/** "Spend $400.00 more", "Earn 400 more Stars", "Place 3 more orders", "Refer 2 more friends". */
function describe(basis: TierBasis, n: number, currency: string, pointsPlural: string): string {
  if (basis === "spend") {
    const digits = isCurrency(currency) ? minorUnits(currency) : 2;
    return `Spend ${new Intl.NumberFormat("en", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n / 10 ** digits)} more`;
  }
  if (basis === "points") return `Earn ${n} more ${pointsPlural}`;
  if (basis === "referrals") return `Refer ${n} more ${n === 1 ? "friend" : "friends"}`;
  return `Place ${n} more ${n === 1 ? "order" : "orders"}`;
}

/** The last local day before an exclusive boundary: the period ending at 1 January 00:00 ends "31 December 2026". */
function lastDayBefore(end: Date, timeZone: string): string {
  const d = localDate(new Date(end.getTime() - 1), timeZone);
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(utc(d.year, d.month - 1, d.day)));
}
