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
 * Days and hours are read on the wall clock of `timeZone`; `parts`: those of `at`, when the caller
 * already has them.
 */
export function outsideSchedule(schedule: Schedule | null, at: Date, timeZone: string, parts?: ZonedParts): string | null {
  if (!schedule) return null;
  const miss = scheduleMiss(schedule, at, timeZone, parts);
  if (miss === null) return null;
  const p = parts ?? zonedParts(at, timeZone);
  switch (miss) {
    case "from":
      return `before ${schedule.from}`;
    case "to":
      return `from ${schedule.to} on`;
    case "weekday":
      return `weekday ${isoWeekday(p.year, p.month, p.day)} is not in [${schedule.daysOfWeek!.join(", ")}]`;
    case "day":
      return `day ${p.day} of the month is not in [${schedule.daysOfMonth!.join(", ")}]`;
    case "hours":
      return `${String(p.hour).padStart(2, "0")}:${String(p.minute).padStart(2, "0")} is outside ${schedule.hours!.map((h) => `${h.from}-${h.to}`).join(", ")}`;
  }
}

/** `outsideSchedule(…) === null` without building the reason: what ingest asks for every rule with a schedule on every event. */
export function insideSchedule(schedule: Schedule, at: Date, timeZone: string, parts?: ZonedParts): boolean {
  return scheduleMiss(schedule, at, timeZone, parts) === null;
}

export { isoWeekday };

interface CompiledSchedule {
  from: number;
  to: number;
  /** Bit d set: ISO weekday d is in; null = any. */
  weekdays: number | null;
  /** Bit d set: day d of the month is in; null = any. */
  monthDays: number | null;
  /** [from, to) in minutes of the day; empty = any. */
  hours: [number, number][];
}

/** A set of small numbers as bits (a number outside 0-31 can never match, so it sets none); null for none given. */
function bitsOf(days: number[] | undefined): number | null {
  if (!days?.length) return null;
  return days.reduce((bits, d) => (Number.isInteger(d) && d >= 0 && d < 32 ? bits | (1 << d) : bits), 0);
}

// Each schedule is parsed once (cached by object; rule and campaign definitions are not mutated).
const compiled = new WeakMap<Schedule, CompiledSchedule>();

function compileSchedule(s: Schedule): CompiledSchedule {
  let c = compiled.get(s);
  if (!c) {
    c = {
      from: s.from ? Date.parse(s.from) : -Infinity,
      to: s.to ? Date.parse(s.to) : Infinity,
      weekdays: bitsOf(s.daysOfWeek),
      monthDays: bitsOf(s.daysOfMonth),
      hours: (s.hours ?? []).map(({ from, to }) => [minutes(from), minutes(to)]),
    };
    compiled.set(s, c);
  }
  return c;
}

/** The first check of the schedule that `at` fails; null when none. */
function scheduleMiss(schedule: Schedule, at: Date, timeZone: string, parts?: ZonedParts): "from" | "to" | "weekday" | "day" | "hours" | null {
  const c = compileSchedule(schedule);
  const ms = at.getTime();
  if (ms < c.from) return "from";
  if (ms >= c.to) return "to";
  if (c.weekdays === null && c.monthDays === null && c.hours.length === 0) return null;
  const p = parts ?? zonedParts(at, timeZone);
  if (c.weekdays !== null && (c.weekdays & (1 << isoWeekday(p.year, p.month, p.day))) === 0) return "weekday";
  if (c.monthDays !== null && (c.monthDays & (1 << p.day)) === 0) return "day";
  if (c.hours.length === 0) return null;
  const m = p.hour * 60 + p.minute;
  for (const [a, b] of c.hours) if (a <= b ? m >= a && m < b : m >= a || m < b) return null;
  return "hours";
}
