import { zonedParts, type ZonedParts } from "../calendar/zoned.ts";
import type { Schedule } from "./types.ts";

const MONTH_OFFSET = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];

/** ISO weekday (1 = Monday … 7 = Sunday) of a Gregorian date (Sakamoto's method: no Date object on the hot path). */
function isoWeekday(year: number, month: number, day: number): number {
  const y = month < 3 ? year - 1 : year;
  const d = (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + MONTH_OFFSET[month - 1]! + day) % 7; // 0 = Sunday
  return d === 0 ? 7 : d;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Why `at` is outside the schedule (a short reason for the dry-run trace), or null when it is inside.
 * Days and hours are read on the wall clock of `timeZone`.
 */
/** `parts`: the wall-clock parts of `at`, when the caller already has them. */
export function outsideSchedule(schedule: Schedule | null, at: Date, timeZone: string, parts?: ZonedParts): string | null {
  if (!schedule) return null;
  if (schedule.from && at.getTime() < Date.parse(schedule.from)) return `before ${schedule.from}`;
  if (schedule.to && at.getTime() >= Date.parse(schedule.to)) return `from ${schedule.to} on`;
  const p = parts ?? zonedParts(at, timeZone);
  if (schedule.daysOfWeek?.length && !schedule.daysOfWeek.includes(isoWeekday(p.year, p.month, p.day))) {
    return `weekday ${isoWeekday(p.year, p.month, p.day)} is not in [${schedule.daysOfWeek.join(", ")}]`;
  }
  if (schedule.daysOfMonth?.length && !schedule.daysOfMonth.includes(p.day)) return `day ${p.day} of the month is not in [${schedule.daysOfMonth.join(", ")}]`;
  if (schedule.hours?.length) {
    const m = p.hour * 60 + p.minute;
    const inside = schedule.hours.some(({ from, to }) => {
      const a = minutes(from);
      const b = minutes(to);
      return a <= b ? m >= a && m < b : m >= a || m < b;
    });
    if (!inside) return `${String(p.hour).padStart(2, "0")}:${String(p.minute).padStart(2, "0")} is outside ${schedule.hours.map((h) => `${h.from}-${h.to}`).join(", ")}`;
  }
  return null;
}

export { isoWeekday };
