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

/**
 * Names ICU accepts that the IANA database does not have: Java's three-letter ids, most of them
 * ambiguous (IST is India's, Israel's or Ireland's time; ICU reads it as India, and BST as
 * Bangladesh rather than British Summer Time), and the SystemV zones the database dropped. A
 * merchant who types one means something, and it is often not what ICU would run. EST, MST and HST
 * are IANA names (fixed offsets) and stay valid.
 */
const NOT_IANA = new Set(["ACT", "AET", "AGT", "ART", "AST", "BET", "BST", "CAT", "CNT", "CST", "CTT", "EAT", "ECT", "IET", "IST", "JST", "MIT", "NET", "NST", "PLT", "PNT", "PRT", "PST", "SST", "VST"]);

/** An IANA time zone name that the runtime knows (names differing only in case included, as ICU reads them). */
export function isValidTimeZone(timeZone: string): boolean {
  if (NOT_IANA.has(timeZone.toUpperCase()) || /^systemv\//i.test(timeZone)) return false;
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

/**
 * Date.UTC for every year: Date.UTC reads the years 0 to 99 as 1900 to 1999 (a date of the year 0050
 * became 1950), so those are computed 400 years later and moved back (the Gregorian calendar repeats
 * every 400 years: 146,097 days). Months and days past their range roll over as in Date.UTC.
 */
export function utc(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): number {
  if (year >= 0 && year < 100) return Date.UTC(year + 400, monthIndex, day, hour, minute, second) - 146_097 * 86_400_000;
  return Date.UTC(year, monthIndex, day, hour, minute, second);
}

const QUARTER_HOUR = 900_000;
/**
 * Per time zone: quarter-hour number (ms / 15 min, about 2 million today) → offset. Quarter numbers
 * are small integers, which a Map hashes as they are; the quarter's start in ms is a heap number
 * past 2^31, hashed through its bits, and that lookup was most of a cached call.
 */
const offsets = new Map<string, Map<number, number>>();
let cached = 0;
// The last answer, as plain variables (an object per answer was an allocation per event).
let lastZone = "";
let lastQuarter = Number.NaN;
let lastOffset = 0;

/**
 * The zone's offset from UTC at `ms`, cached per quarter hour: time zones change offset only on
 * quarter-hour boundaries, and a quarter whose two ends disagree is never cached, so the cache
 * cannot hide a transition. Rules evaluate many schedules and limit periods per event; this keeps
 * each to arithmetic instead of an Intl call.
 */
function offsetMs(ms: number, timeZone: string): number {
  const quarter = Math.floor(ms / QUARTER_HOUR);
  if (quarter === lastQuarter && timeZone === lastZone) return lastOffset;
  let zone = offsets.get(timeZone);
  if (zone === undefined) offsets.set(timeZone, (zone = new Map()));
  let off = zone.get(quarter);
  if (off === undefined) {
    const at = (t: number) => {
      const p = intlParts(new Date(t), timeZone);
      return utc(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
    };
    const start = quarter * QUARTER_HOUR;
    off = at(ms);
    if (at(start) !== off || at(start + QUARTER_HOUR - 1) !== off) return off; // a transition inside: not cached
    if (cached >= 50_000) {
      offsets.clear();
      offsets.set(timeZone, (zone = new Map()));
      cached = 0;
    }
    zone.set(quarter, off);
    cached++;
  }
  lastZone = timeZone;
  lastQuarter = quarter;
  lastOffset = off;
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

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, and back (Howard Hinnant's algorithms): plain
 * arithmetic, no Date object, for the calendar work that rules do on every event.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function civilFromDays(days: number): LocalDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

// The last answer: rules ask for the same instant several times per event (schedules, limit
// periods, `local` in conditions), and every caller gets the same object. Readonly in its type, not
// frozen: Object.freeze on each new answer cost as much as computing it.
let lastMs = Number.NaN;
let lastPartsZone = "";
let lastParts: Readonly<ZonedParts> = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };

/** Wall-clock parts of `instant` in `timeZone`. */
export function zonedParts(instant: Date, timeZone: string): Readonly<ZonedParts> {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) return intlParts(instant, timeZone);
  if (ms === lastMs && timeZone === lastPartsZone) return lastParts;
  const local = ms + offsetMs(ms, timeZone);
  const days = Math.floor(local / DAY_MS);
  const inDay = local - days * DAY_MS;
  const { year, month, day } = civilFromDays(days);
  lastMs = ms;
  lastPartsZone = timeZone;
  return (lastParts = { year, month, day, hour: Math.floor(inDay / 3_600_000), minute: Math.floor(inDay / 60_000) % 60, second: Math.floor(inDay / 1000) % 60 });
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
  const asUtc = utc(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the local date `d` starts (00:00) in `timeZone`. On a day whose midnight
 * does not exist (a DST jump at midnight), the first instant of that day.
 */
export function startOfLocalDay(d: LocalDate, timeZone: string): Date {
  const guess = utc(d.year, d.month - 1, d.day);
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
  const lastDay = new Date(utc(to.year, to.month, 0)).getUTCDate();
  const into = instant.getTime() - startOfLocalDay(here, timeZone).getTime();
  return new Date(startOfLocalDay({ year: to.year, month: to.month, day: Math.min(here.day, lastDay) }, timeZone).getTime() + into);
}

export const DAY_MS = 86_400_000;
