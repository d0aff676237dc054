import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { addLocalMonths, addMonths, civilFromDays, DAY_MS, daysFromCivil, isValidTimeZone, localDate, startOfLocalDay, startOfMonthAfter, utc, zonedParts } from "./zoned.ts";

const at = (iso: string) => new Date(iso);

describe("utc: Date.UTC for every year", () => {
  it("reads the years 0 to 99 as themselves, not as 1900 to 1999", () => {
    for (const iso of ["0001-01-01T00:00:00Z", "0050-06-15T12:34:56Z", "0099-12-31T23:59:59Z", "0100-03-01T00:00:00Z", "1970-01-01T00:00:00Z", "2024-02-29T08:00:00Z", "9999-12-31T23:59:59Z"]) {
      const d = new Date(iso);
      expect(utc(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()), iso).toBe(d.getTime());
    }
    // Rolling over, as Date.UTC: day 0 is the last day of the month before, month 12 the next January.
    expect(new Date(utc(50, 2, 0)).toISOString()).toBe("0050-02-28T00:00:00.000Z");
    expect(new Date(utc(99, 12, 1)).toISOString()).toBe("0100-01-01T00:00:00.000Z");
  });

  it("keeps local calendars right in those years", () => {
    expect(startOfLocalDay({ year: 50, month: 6, day: 1 }, "UTC").toISOString()).toBe("0050-06-01T00:00:00.000Z");
    expect(addLocalMonths(new Date("0049-12-31T10:00:00Z"), 2, "UTC").toISOString()).toBe("0050-02-28T10:00:00.000Z");
  });
});

describe("localDate", () => {
  it.each([
    { instant: "2024-01-31T17:30:00Z", timeZone: "Asia/Ho_Chi_Minh", date: { year: 2024, month: 2, day: 1 } },
    { instant: "2024-01-31T16:59:59.999Z", timeZone: "Asia/Ho_Chi_Minh", date: { year: 2024, month: 1, day: 31 } },
    { instant: "2024-01-31T17:30:00Z", timeZone: "America/New_York", date: { year: 2024, month: 1, day: 31 } },
    { instant: "2024-01-01T04:59:59Z", timeZone: "America/New_York", date: { year: 2023, month: 12, day: 31 } },
    { instant: "2024-07-01T03:59:59Z", timeZone: "America/New_York", date: { year: 2024, month: 6, day: 30 } },
    { instant: "2024-07-01T04:00:00Z", timeZone: "America/New_York", date: { year: 2024, month: 7, day: 1 } },
    { instant: "2024-03-31T20:59:59Z", timeZone: "Europe/Bucharest", date: { year: 2024, month: 3, day: 31 } },
    { instant: "2024-03-31T21:00:00Z", timeZone: "Europe/Bucharest", date: { year: 2024, month: 4, day: 1 } },
    { instant: "2024-12-31T23:59:59Z", timeZone: "UTC", date: { year: 2024, month: 12, day: 31 } },
  ])("$instant is $date.year-$date.month-$date.day in $timeZone", ({ instant, timeZone, date }) => {
    expect(localDate(at(instant), timeZone)).toEqual(date);
  });

  it("reads midnight as hour 0, not 24", () => {
    expect(zonedParts(at("2024-01-01T00:00:00Z"), "UTC")).toEqual({ year: 2024, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
  });
});

describe("startOfLocalDay", () => {
  it.each([
    { name: "an ordinary day in Asia/Ho_Chi_Minh (+07:00, no DST)", date: [2024, 1, 1], timeZone: "Asia/Ho_Chi_Minh", start: "2023-12-31T17:00:00.000Z" },
    { name: "a leap day in Asia/Ho_Chi_Minh", date: [2024, 2, 29], timeZone: "Asia/Ho_Chi_Minh", start: "2024-02-28T17:00:00.000Z" },
    { name: "a winter day in America/New_York (EST)", date: [2024, 1, 15], timeZone: "America/New_York", start: "2024-01-15T05:00:00.000Z" },
    { name: "the spring-forward day in America/New_York (DST starts at 02:00, midnight is still EST)", date: [2024, 3, 10], timeZone: "America/New_York", start: "2024-03-10T05:00:00.000Z" },
    { name: "the day after spring-forward in America/New_York (EDT)", date: [2024, 3, 11], timeZone: "America/New_York", start: "2024-03-11T04:00:00.000Z" },
    { name: "the fall-back day in America/New_York (midnight is still EDT)", date: [2024, 11, 3], timeZone: "America/New_York", start: "2024-11-03T04:00:00.000Z" },
    { name: "the day after fall-back in America/New_York (EST)", date: [2024, 11, 4], timeZone: "America/New_York", start: "2024-11-04T05:00:00.000Z" },
    { name: "the spring-forward day in Europe/Bucharest (+02:00 at midnight)", date: [2024, 3, 31], timeZone: "Europe/Bucharest", start: "2024-03-30T22:00:00.000Z" },
    { name: "the day after spring-forward in Europe/Bucharest (+03:00)", date: [2024, 4, 1], timeZone: "Europe/Bucharest", start: "2024-03-31T21:00:00.000Z" },
    { name: "the fall-back day in Europe/Bucharest (+03:00 at midnight)", date: [2024, 10, 27], timeZone: "Europe/Bucharest", start: "2024-10-26T21:00:00.000Z" },
    { name: "the day after fall-back in Europe/Bucharest (+02:00)", date: [2024, 10, 28], timeZone: "Europe/Bucharest", start: "2024-10-27T22:00:00.000Z" },
    { name: "a day whose midnight is skipped (America/Santiago): 01:00 local", date: [2024, 9, 8], timeZone: "America/Santiago", start: "2024-09-08T04:00:00.000Z" },
    { name: "a day whose midnight is skipped (Asia/Beirut): 01:00 local", date: [2024, 3, 31], timeZone: "Asia/Beirut", start: "2024-03-30T22:00:00.000Z" },
    { name: "a day after a fall-back at midnight (America/Santiago): the one midnight, -04:00", date: [2024, 4, 7], timeZone: "America/Santiago", start: "2024-04-07T04:00:00.000Z" },
    { name: "a half-hour DST zone (Australia/Lord_Howe) on its fall-back day", date: [2024, 4, 7], timeZone: "Australia/Lord_Howe", start: "2024-04-06T13:00:00.000Z" },
    { name: "a day in UTC", date: [2024, 6, 15], timeZone: "UTC", start: "2024-06-15T00:00:00.000Z" },
  ])("starts $name at $start", ({ date, timeZone, start }) => {
    const [year, month, day] = date as [number, number, number];
    expect(startOfLocalDay({ year, month, day }, timeZone).toISOString()).toBe(start);
  });

  // Exhaustive over two years in each zone: the start is on the day asked for, and the instant before it is the day before.
  it.each(["Asia/Ho_Chi_Minh", "America/New_York", "Europe/Bucharest", "America/Santiago", "Asia/Beirut", "Australia/Lord_Howe", "Pacific/Auckland", "UTC"])(
    "returns the first instant of every local day of 2024-2025 in %s",
    (timeZone) => {
      let noon = Date.UTC(2024, 0, 1, 12);
      while (noon < Date.UTC(2026, 0, 1)) {
        const d = { year: new Date(noon).getUTCFullYear(), month: new Date(noon).getUTCMonth() + 1, day: new Date(noon).getUTCDate() };
        const start = startOfLocalDay(d, timeZone);
        expect(localDate(start, timeZone)).toEqual(d);
        expect(localDate(new Date(start.getTime() - 1), timeZone)).not.toEqual(d);
        noon += DAY_MS;
      }
    },
  );
});

describe("addMonths", () => {
  it.each([
    { year: 2024, month: 1, months: 0, expected: { year: 2024, month: 1 } },
    { year: 2024, month: 1, months: 1, expected: { year: 2024, month: 2 } },
    { year: 2024, month: 12, months: 1, expected: { year: 2025, month: 1 } },
    { year: 2024, month: 11, months: 14, expected: { year: 2026, month: 1 } },
    { year: 2024, month: 1, months: -1, expected: { year: 2023, month: 12 } },
    { year: 2024, month: 3, months: -15, expected: { year: 2022, month: 12 } },
  ])("$year-$month plus $months months is $expected.year-$expected.month", ({ year, month, months, expected }) => {
    expect(addMonths(year, month, months)).toEqual(expected);
  });
});

describe("startOfMonthAfter", () => {
  it.each([
    { instant: "2024-01-15T12:00:00Z", months: 0, timeZone: "UTC", expected: "2024-02-01T00:00:00.000Z" },
    { instant: "2024-01-31T17:00:00Z", months: 0, timeZone: "Asia/Ho_Chi_Minh", expected: "2024-02-29T17:00:00.000Z" },
    { instant: "2024-12-31T23:00:00Z", months: 0, timeZone: "America/New_York", expected: "2025-01-01T05:00:00.000Z" },
    { instant: "2024-02-15T12:00:00Z", months: 2, timeZone: "Europe/Bucharest", expected: "2024-04-30T21:00:00.000Z" },
  ])("from $instant plus $months months in $timeZone is $expected", ({ instant, months, timeZone, expected }) => {
    expect(startOfMonthAfter(at(instant), months, timeZone).toISOString()).toBe(expected);
  });
});

describe("isValidTimeZone", () => {
  it.each([
    { timeZone: "Asia/Ho_Chi_Minh", valid: true },
    { timeZone: "America/New_York", valid: true },
    { timeZone: "Europe/Bucharest", valid: true },
    { timeZone: "UTC", valid: true },
    { timeZone: "Mars/Olympus_Mons", valid: false },
    { timeZone: "not a zone", valid: false },
    // ICU takes these, the IANA database does not have them, and most are ambiguous.
    { timeZone: "IST", valid: false },
    { timeZone: "ist", valid: false },
    { timeZone: "BST", valid: false },
    { timeZone: "CST", valid: false },
    { timeZone: "AET", valid: false },
    { timeZone: "SystemV/AST4", valid: false },
    // IANA names, including the fixed offsets and the database's own aliases.
    { timeZone: "EST", valid: true },
    { timeZone: "HST", valid: true },
    { timeZone: "CST6CDT", valid: true },
    { timeZone: "US/Pacific", valid: true },
    { timeZone: "Asia/Saigon", valid: true },
    { timeZone: "Etc/GMT-7", valid: true },
  ])("says $timeZone is valid: $valid", ({ timeZone, valid }) => {
    expect(isValidTimeZone(timeZone)).toBe(valid);
  });
});

describe("addLocalMonths", () => {
  it.each([
    // 1 Feb 00:30 in Ho Chi Minh City is still 31 January in UTC: the local calendar decides.
    { from: "2026-01-31T17:30:00Z", months: 1, tz: "Asia/Ho_Chi_Minh", to: "2026-02-28T17:30:00.000Z" },
    { from: "2026-01-31T03:00:00Z", months: 1, tz: "Asia/Ho_Chi_Minh", to: "2026-02-28T03:00:00.000Z" },
    { from: "2024-01-31T03:00:00Z", months: 1, tz: "Asia/Ho_Chi_Minh", to: "2024-02-29T03:00:00.000Z" },
    { from: "2026-05-04T03:00:00Z", months: 6, tz: "Asia/Ho_Chi_Minh", to: "2026-11-04T03:00:00.000Z" },
    // Across a DST change the local time of day stays: 10:00 in New York before and after.
    { from: "2026-02-15T15:00:00Z", months: 1, tz: "America/New_York", to: "2026-03-15T14:00:00.000Z" },
    { from: "2026-11-30T12:00:00Z", months: 3, tz: "UTC", to: "2027-02-28T12:00:00.000Z" },
  ])("$from + $months months in $tz is $to", ({ from, months, tz, to }) => {
    expect(addLocalMonths(at(from), months, tz).toISOString()).toBe(to);
  });
});

describe("zonedParts (arithmetic) against Intl", () => {
  const intl = (d: Date, timeZone: string) => {
    const f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    const out: Record<string, number> = {};
    for (const p of f.formatToParts(d)) if (p.type !== "literal") out[p.type] = Number(p.value);
    return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
  };
  const zones = ["Asia/Ho_Chi_Minh", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "UTC"];

  it("gives Intl's wall clock for random instants from 1900 to 2100 in zones with DST and odd offsets", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2100-12-31T00:00:00Z"), noInvalidDate: true }), fc.constantFrom(...zones), (d, tz) => {
        expect(zonedParts(d, tz)).toEqual(intl(d, tz));
      }),
      { numRuns: 3_000 },
    );
  });

  it("daysFromCivil and civilFromDays agree with Date.UTC, both ways, for every day of 1600-2400", () => {
    const wrong: number[] = [];
    for (let days = daysFromCivil(1600, 1, 1); days <= daysFromCivil(2400, 12, 31); days += 1) {
      const d = new Date(days * 86_400_000);
      const civil = civilFromDays(days);
      const same = civil.year === d.getUTCFullYear() && civil.month === d.getUTCMonth() + 1 && civil.day === d.getUTCDate();
      if (!same || daysFromCivil(civil.year, civil.month, civil.day) !== days) wrong.push(days);
    }
    expect(wrong).toEqual([]);
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
  });
});
