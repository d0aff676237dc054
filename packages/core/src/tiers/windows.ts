import { addMonths, localDate, startOfLocalDay, utc } from "../calendar/zoned.ts";
import type { TierWindow } from "./types.ts";

/**
 * The calendar of tier windows, in the program's time zone. Every boundary is the start of a local
 * day, so "31 December" means the whole of that day wherever the program is.
 */

/** Twelve local months before or after `at`, at the start of that local day (29 February → 28th or 1st March as the calendar says). */
function shiftMonths(at: Date, months: number, timeZone: string): Date {
  const d = localDate(at, timeZone);
  const m = addMonths(d.year, d.month, months);
  const last = new Date(utc(m.year, m.month, 0)).getUTCDate();
  return startOfLocalDay({ year: m.year, month: m.month, day: Math.min(d.day, last) }, timeZone);
}

/** Where the window that is current at `at` starts; null for lifetime. */
export function windowStart(window: TierWindow, at: Date, timeZone: string): Date | null {
  const d = localDate(at, timeZone);
  switch (window) {
    case "lifetime":
      return null;
    case "calendar_year":
      return startOfLocalDay({ year: d.year, month: 1, day: 1 }, timeZone);
    case "calendar_month":
      return startOfLocalDay({ year: d.year, month: d.month, day: 1 }, timeZone);
    case "rolling_12_months":
      return shiftMonths(at, -12, timeZone);
  }
}

/**
 * When status earned (or confirmed) at `at` comes up for review: the end of the calendar period that
 * contains `at`, twelve months later for rolling windows, never for lifetime.
 */
export function periodEnd(window: TierWindow, at: Date, timeZone: string): Date | null {
  const d = localDate(at, timeZone);
  switch (window) {
    case "lifetime":
      return null;
    case "calendar_year":
      return startOfLocalDay({ year: d.year + 1, month: 1, day: 1 }, timeZone);
    case "calendar_month": {
      const m = addMonths(d.year, d.month, 1);
      return startOfLocalDay({ year: m.year, month: m.month, day: 1 }, timeZone);
    }
    case "rolling_12_months":
      return shiftMonths(at, 12, timeZone);
  }
}

/** The window a review at `reviewAt` judges: the calendar period that ends there, or the twelve months before it. */
export function reviewedWindow(window: TierWindow, reviewAt: Date, timeZone: string): { from: Date | null; to: Date } {
  if (window === "rolling_12_months") return { from: shiftMonths(reviewAt, -12, timeZone), to: reviewAt };
  return { from: windowStart(window, new Date(reviewAt.getTime() - 1), timeZone), to: reviewAt };
}

/** The instant a review scheduled at `reviewAt` takes effect: the start of the local day `graceDays` days later. */
export function reviewDue(reviewAt: Date, graceDays: number, timeZone: string): Date {
  if (graceDays === 0) return reviewAt;
  const d = localDate(reviewAt, timeZone);
  const shifted = new Date(utc(d.year, d.month - 1, d.day + graceDays));
  return startOfLocalDay({ year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() }, timeZone);
}

/**
 * The review a status held until `reviewAt` comes up for at `now` (whose review is due: the caller
 * checks): `reviewAt` itself or, when reviews were missed for whole periods (the job did not run),
 * the period end after it whose review took effect last. A late review is one review, of that
 * period and its grace, as Smile.io and LoyaltyLion judge a tier once on the qualifying window: the
 * periods in between are not judged one by one, which dropped a customer several levels in one run
 * and dated downgrades at times when they were still given the old level's benefits.
 */
export function lastDueReview(window: TierWindow, reviewAt: Date, graceDays: number, now: Date, timeZone: string): Date {
  let at = reviewAt;
  // Calendar period ends lie on period starts: jump to the start of the period before the current one,
  // whose review (at most 27 or 364 days of grace) has taken effect, rather than walk month by month
  // from an imported reviewAt centuries back.
  if (window === "calendar_year" || window === "calendar_month") {
    const current = windowStart(window, now, timeZone)!;
    const previous = windowStart(window, new Date(current.getTime() - 1), timeZone)!;
    if (previous.getTime() > at.getTime()) at = previous;
  }
  for (;;) {
    const next = periodEnd(window, at, timeZone);
    if (!next || reviewDue(next, graceDays, timeZone).getTime() > now.getTime()) return at;
    at = next;
  }
}
