import { zonedParts, type ZonedParts } from "../calendar/zoned.ts";
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
  const mm = String(p.month).padStart(2, "0");
  switch (per) {
    case "day":
      return `day:${p.year}-${mm}-${String(p.day).padStart(2, "0")}`;
    case "month":
      return `month:${p.year}-${mm}`;
    case "year":
      return `year:${p.year}`;
    case "week": {
      // ISO week: the week belongs to the year of its Thursday.
      const wd = isoWeekday(p.year, p.month, p.day);
      const thursday = new Date(Date.UTC(p.year, p.month - 1, p.day + 4 - wd));
      const y = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(y, 0, 1)) / 86_400_000 / 7) + 1;
      return `week:${y}-W${String(week).padStart(2, "0")}`;
    }
  }
}
