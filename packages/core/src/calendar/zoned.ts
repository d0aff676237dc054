/**
 * Calendar arithmetic in a program's IANA time zone. Every calendar rule (end of month, birthday,
 * tier year) goes through here, so there is one place where wall-clock time meets instants.
 * Uses only Intl, which is deterministic for a given tz database: no clock, no IO.
 */

export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock parts by Intl: exact, but a few microseconds a call. */
function intlParts(instant: Date, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

const QUARTER_HOUR = 900_000;
const offsets = new Map<string, number>();

/**
 * The zone's offset from UTC at `ms`, cached per quarter hour: time zones change offset only on
 * quarter-hour boundaries, and a quarter whose two ends disagree is never cached, so the cache
 * cannot hide a transition. Rules evaluate many schedules and limit periods per event; this keeps
 * each to arithmetic instead of an Intl call.
 */
let last = { timeZone: "", start: Number.NaN, offset: 0 };

function offsetMs(ms: number, timeZone: string): number {
  const start = Math.floor(ms / QUARTER_HOUR) * QUARTER_HOUR;
  if (start === last.start && timeZone === last.timeZone) return last.offset;
  const key = `${timeZone}|${start}`;
  const hit = offsets.get(key);
  if (hit !== undefined) {
    last = { timeZone, start, offset: hit };
    return hit;
  }
  const at = (t: number) => {
    const p = intlParts(new Date(t), timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };
  const off = at(ms);
  if (at(start) === off && at(start + QUARTER_HOUR - 1) === off) {
    if (offsets.size >= 50_000) offsets.clear();
    offsets.set(key, off);
  }
  return off;
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock parts of `instant` in `timeZone`. */
export function zonedParts(instant: Date, timeZone: string): ZonedParts {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) return intlParts(instant, timeZone);
  const local = new Date(ms + offsetMs(ms, timeZone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

/** The local calendar date of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): LocalDate {
  const { year, month, day } = zonedParts(instant, timeZone);
  return { year, month, day };
}

/** A local date as `YYYY-MM-DD`. */
export function formatLocalDate(d: LocalDate): string {
  return `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds. */
function offsetAt(instant: Date, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the local date `d` starts (00:00) in `timeZone`. On a day whose midnight
 * does not exist (a DST jump at midnight), the first instant of that day.
 */
export function startOfLocalDay(d: LocalDate, timeZone: string): Date {
  const guess = Date.UTC(d.year, d.month - 1, d.day);
  // Two passes settle the offset even when the guess lands on the other side of a DST change.
  let t = guess - offsetAt(new Date(guess), timeZone);
  t = guess - offsetAt(new Date(t), timeZone);
  const check = localDate(new Date(t), timeZone);
  if (check.day !== d.day) {
    // Midnight skipped by DST: step forward to the first local instant of that day.
    t += 3_600_000;
  }
  return new Date(t);
}

/** Adds whole months to a local date's month (the day is not used). */
export function addMonths(year: number, month: number, months: number): { year: number; month: number } {
  const index = year * 12 + (month - 1) + months;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** The first instant of the month that follows the month `months` after the local month of `instant`. */
export function startOfMonthAfter(instant: Date, months: number, timeZone: string): Date {
  const here = localDate(instant, timeZone);
  const next = addMonths(here.year, here.month, months + 1);
  return startOfLocalDay({ year: next.year, month: next.month, day: 1 }, timeZone);
}

/**
 * `months` calendar months after `instant` on the local calendar of `timeZone`: the same local day
 * (the month's last day when it is shorter: 31 January + 1 month is 28 or 29 February) at the same
 * local time of day. "For 6 months after signing up" in the program's own calendar, not UTC's.
 */
export function addLocalMonths(instant: Date, months: number, timeZone: string): Date {
  const here = localDate(instant, timeZone);
  const to = addMonths(here.year, here.month, months);
  const lastDay = new Date(Date.UTC(to.year, to.month, 0)).getUTCDate();
  const into = instant.getTime() - startOfLocalDay(here, timeZone).getTime();
  return new Date(startOfLocalDay({ year: to.year, month: to.month, day: Math.min(here.day, lastDay) }, timeZone).getTime() + into);
}

export const DAY_MS = 86_400_000;
