import { civilFromDays, daysFromCivil, startOfLocalDay, utc, zonedParts, type ZonedParts } from "../calendar/zoned.ts";
import { isoWeekday } from "./schedule.ts";
import type { LimitPeriod } from "./types.ts";

/**
 * The key of the period that contains `at`, on the program's calendar: `day:2026-11-23`,
 * `week:2026-W48` (ISO weeks, Monday first), `month:2026-11`, `year:2026`, `lifetime`.
 * Limit counters are kept per key, so a new period starts from zero without any reset job.
 */
export function periodKey(per: LimitPeriod, at: Date, timeZone: string, parts?: ZonedParts): string {
  if (per === "lifetime") return "lifetime";
  const p = parts ?? zonedParts(at, timeZone);
  switch (per) {
    case "day": {
      const n = daysFromCivil(p.year, p.month, p.day);
      return KEYS.day.get(n) ?? remember(KEYS.day, n, `day:${p.year}-${pad2(p.month)}-${pad2(p.day)}`);
    }
    case "month": {
      const n = p.year * 12 + p.month;
      return KEYS.month.get(n) ?? remember(KEYS.month, n, `month:${p.year}-${pad2(p.month)}`);
    }
    case "year":
      return KEYS.year.get(p.year) ?? remember(KEYS.year, p.year, `year:${p.year}`);
    case "week": {
      // ISO week: the week belongs to the year of its Thursday.
      const thursday = daysFromCivil(p.year, p.month, p.day) + 4 - isoWeekday(p.year, p.month, p.day);
      const hit = KEYS.week.get(thursday);
      if (hit !== undefined) return hit;
      const y = civilFromDays(thursday).year;
      const week = Math.floor((thursday - daysFromCivil(y, 1, 1)) / 7) + 1;
      return remember(KEYS.week, thursday, `week:${y}-W${pad2(week)}`);
    }
  }
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * Keys already built, by day number, month number, year or Thursday: every limited rule asks for
 * its period's key on every event, and building one (numbers to padded strings, concatenated) cost
 * more than the rest of the limit check. The same string object each time also compares and hashes
 * at once where the counters look it up. Bounded: cleared when a map grows past a few years of days.
 */
const KEYS = { day: new Map<number, string>(), week: new Map<number, string>(), month: new Map<number, string>(), year: new Map<number, string>() };

function remember(keys: Map<number, string>, n: number, key: string): string {
  if (keys.size >= 4_096) keys.clear();
  keys.set(n, key);
  return key;
}

/** Where the period that contains `at` starts, on the program's calendar (weeks start on Monday); null for lifetime. */
export function periodStart(per: LimitPeriod, at: Date, timeZone: string): Date | null {
  if (per === "lifetime") return null;
  const p = zonedParts(at, timeZone);
  switch (per) {
    case "day":
      return startOfLocalDay({ year: p.year, month: p.month, day: p.day }, timeZone);
    case "month":
      return startOfLocalDay({ year: p.year, month: p.month, day: 1 }, timeZone);
    case "year":
      return startOfLocalDay({ year: p.year, month: 1, day: 1 }, timeZone);
    case "week": {
      const monday = new Date(utc(p.year, p.month - 1, p.day - (isoWeekday(p.year, p.month, p.day) - 1)));
      return startOfLocalDay({ year: monday.getUTCFullYear(), month: monday.getUTCMonth() + 1, day: monday.getUTCDate() }, timeZone);
    }
  }
}

/** Where the period after the one that contains `at` starts (when a per-period count starts again); null for lifetime. */
export function nextPeriodStart(per: LimitPeriod, at: Date, timeZone: string): Date | null {
  const start = periodStart(per, at, timeZone);
  if (start === null) return null;
  const p = zonedParts(new Date(start.getTime() + 12 * 3_600_000), timeZone);
  const next = per === "day" ? { y: p.year, m: p.month, d: p.day + 1 } : per === "week" ? { y: p.year, m: p.month, d: p.day + 7 } : per === "month" ? { y: p.year, m: p.month + 1, d: 1 } : { y: p.year + 1, m: 1, d: 1 };
  const u = new Date(utc(next.y, next.m - 1, next.d));
  return startOfLocalDay({ year: u.getUTCFullYear(), month: u.getUTCMonth() + 1, day: u.getUTCDate() }, timeZone);
}
