import type { TierDecision, TierScheme, TierState } from "./types.ts";
import { periodEnd, reviewDue } from "./windows.ts";

/**
 * Tier decisions as data (house style §1): the use cases measure the basis with SQL and pass the
 * figures in; these functions say what the customer's tier becomes and what to record.
 */

/** The highest level whose threshold `metric` reaches, or -1. */
export function qualifiedLevel(scheme: TierScheme, metric: number): number {
  let level = -1;
  scheme.levels.forEach((l, i) => {
    if (metric >= l.threshold) level = i;
  });
  return level;
}

/** The state of a customer who has never had a tier. */
export const noTier = (since: Date): TierState => ({ level: -1, since, reviewAt: null });

/**
 * After activity (an order, points earned): upgrade at once when the basis measured over the current
 * window (`metric`, at `now`) reaches a higher level. Nothing else changes on activity: status goes
 * down only at a review.
 */
export function onActivity(scheme: TierScheme, state: TierState, metric: number, now: Date, timeZone: string): TierDecision | null {
  const q = qualifiedLevel(scheme, metric);
  if (q <= state.level) return null;
  return { kind: "upgrade", from: state.level, to: q, state: { level: q, since: now, reviewAt: periodEnd(scheme.window, now, timeZone) }, metric, entered: q };
}

/**
 * A review of a tier whose period ended at `state.reviewAt`. It takes effect after grace, at
 * `reviewDue(reviewAt, graceDays)`: the caller calls it once that instant has passed, and the
 * decision is dated there, however late the job runs.
 *
 * The customer keeps what they qualified for in the period that ended (`endedMetric`, over
 * `reviewedWindow`) or, during grace, in the window current when the review takes effect
 * (`graceMetric`, over `windowStart(due)`..due). Below their level, they go down to it, or by one
 * level at most with `downgrade: "one_level"`. The status then holds until the end of the next
 * period, which is when it is reviewed again.
 */
export function review(scheme: TierScheme, state: TierState, endedMetric: number, graceMetric: number, timeZone: string): TierDecision {
  const reviewAt = state.reviewAt!;
  const now = reviewDue(reviewAt, scheme.graceDays, timeZone);
  const target = Math.max(qualifiedLevel(scheme, endedMetric), qualifiedLevel(scheme, graceMetric));
  const metric = Math.max(endedMetric, graceMetric);
  // Held for the period that starts where the reviewed one ended (rolling: twelve more months).
  const next = periodEnd(scheme.window, reviewAt, timeZone);
  if (target >= state.level) {
    const kind = target > state.level ? "upgrade" : "renewal";
    return { kind, from: state.level, to: target, state: { level: target, since: target > state.level ? now : state.since, reviewAt: next }, metric, entered: target > state.level ? target : null };
  }
  const to = scheme.downgrade === "one_level" ? Math.max(target, state.level - 1) : target;
  return { kind: "downgrade", from: state.level, to, state: { level: to, since: now, reviewAt: to < 0 ? null : next }, metric, entered: null };
}

/**
 * A tier set by hand (or imported): held until `reviewAt` if given, else until the end of the
 * current period, then reviewed like any other.
 */
export function setManually(scheme: TierScheme, state: TierState, level: number, kind: "manual" | "import", now: Date, timeZone: string, opts: { since?: Date; reviewAt?: Date | null } = {}): TierDecision {
  const since = opts.since ?? now;
  const reviewAt = level < 0 ? null : opts.reviewAt !== undefined ? opts.reviewAt : periodEnd(scheme.window, now, timeZone);
  return { kind, from: state.level, to: level, state: { level, since, reviewAt }, metric: 0, entered: level > state.level ? level : null };
}
