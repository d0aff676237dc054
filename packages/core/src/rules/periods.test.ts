import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { nextPeriodStart, periodKey, periodStart } from "./periods.ts";
import { LIMIT_PERIODS } from "./types.ts";

const at = (iso: string) => new Date(iso);
const HCM = "Asia/Ho_Chi_Minh";

describe("periodKey", () => {
  it("names each period of an instant", () => {
    const instant = at("2026-11-23T05:00:00Z"); // Monday 23 November 2026, 12:00 in Ho Chi Minh City
    expect(periodKey("day", instant, HCM)).toBe("day:2026-11-23");
    expect(periodKey("week", instant, HCM)).toBe("week:2026-W48");
    expect(periodKey("month", instant, HCM)).toBe("month:2026-11");
    expect(periodKey("year", instant, HCM)).toBe("year:2026");
    expect(periodKey("lifetime", instant, HCM)).toBe("lifetime");
  });

  it("pads months and days", () => {
    expect(periodKey("day", at("2026-03-05T12:00:00Z"), "UTC")).toBe("day:2026-03-05");
    expect(periodKey("month", at("2026-03-05T12:00:00Z"), "UTC")).toBe("month:2026-03");
    expect(periodKey("week", at("2026-01-05T12:00:00Z"), "UTC")).toBe("week:2026-W02");
  });

  it("reads the local date: 23:30 UTC is the next day in Ho Chi Minh City", () => {
    const instant = at("2026-12-31T23:30:00Z"); // 06:30 on 1 January 2027, local
    expect(periodKey("day", instant, "UTC")).toBe("day:2026-12-31");
    expect(periodKey("day", instant, HCM)).toBe("day:2027-01-01");
    expect(periodKey("month", instant, "UTC")).toBe("month:2026-12");
    expect(periodKey("month", instant, HCM)).toBe("month:2027-01");
    expect(periodKey("year", instant, "UTC")).toBe("year:2026");
    expect(periodKey("year", instant, HCM)).toBe("year:2027");
    expect(periodKey("lifetime", instant, HCM)).toBe("lifetime");
  });

  it("a day ends at local midnight", () => {
    expect(periodKey("day", at("2026-11-23T16:59:59.999Z"), HCM)).toBe("day:2026-11-23");
    expect(periodKey("day", at("2026-11-23T17:00:00.000Z"), HCM)).toBe("day:2026-11-24");
  });

  it("a week starts on Monday, local", () => {
    // Sunday 22 November 2026 18:00 UTC is Monday 01:00 in Ho Chi Minh City.
    expect(periodKey("week", at("2026-11-22T18:00:00Z"), "UTC")).toBe("week:2026-W47");
    expect(periodKey("week", at("2026-11-22T18:00:00Z"), HCM)).toBe("week:2026-W48");
  });

  describe("ISO week edge cases", () => {
    it.each([
      { date: "2026-12-31", week: "2026-W53", why: "2026 starts on a Thursday, so it has 53 weeks" },
      { date: "2027-01-01", week: "2026-W53", why: "a Friday in the last week of 2026" },
      { date: "2027-01-03", week: "2026-W53", why: "the Sunday closing 2026-W53" },
      { date: "2027-01-04", week: "2027-W01", why: "the first Monday of 2027" },
      { date: "2021-01-03", week: "2020-W53", why: "a Sunday that belongs to 2020's week 53" },
      { date: "2021-01-04", week: "2021-W01", why: "the Monday after" },
      { date: "2024-12-30", week: "2025-W01", why: "a Monday in December that is in 2025's first week" },
      { date: "2025-12-29", week: "2026-W01", why: "the Monday of the week holding 1 January 2026 (a Thursday)" },
      { date: "2026-01-01", week: "2026-W01", why: "a Thursday on 1 January" },
      { date: "2023-01-01", week: "2022-W52", why: "a Sunday on 1 January in a 52-week year" },
      { date: "2020-12-31", week: "2020-W53", why: "a Thursday, 2020 being a leap year starting on a Wednesday" },
    ])("$date is $week: $why", ({ date, week }) => {
      expect(periodKey("week", at(`${date}T12:00:00Z`), "UTC")).toBe(`week:${week}`);
      // Noon local, in a zone east of UTC.
      expect(periodKey("week", at(`${date}T12:00:00+07:00`), HCM)).toBe(`week:${week}`);
    });

    it("agrees with a day-by-day count of ISO weeks over 2019-2030", () => {
      // Walk day by day, starting on Monday 31 December 2018 (2019-W01), counting weeks and resetting at the
      // Monday of the week holding 4 January.
      let t = Date.UTC(2018, 11, 31, 12);
      let year = 2019;
      let week = 1;
      while (t < Date.UTC(2031, 0, 1)) {
        const d = new Date(t);
        const weekday = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
        if (weekday === 1 && t !== Date.UTC(2018, 11, 31, 12)) {
          // The week of this Monday holds 4 January of the next year: a new week-year.
          const thursday = new Date(t + 3 * 86_400_000);
          if (thursday.getUTCFullYear() !== year) {
            year = thursday.getUTCFullYear();
            week = 1;
          } else week++;
        }
        expect(periodKey("week", d, "UTC")).toBe(`week:${year}-W${String(week).padStart(2, "0")}`);
        t += 86_400_000;
      }
    });
  });

  it("the keys of one instant agree with each other (day within month within year, weeks 1-53)", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), fc.constantFrom(HCM, "UTC", "America/New_York", "Europe/Bucharest"), (ms, tz) => {
        const instant = new Date(ms);
        for (const per of LIMIT_PERIODS) {
          const key = periodKey(per, instant, tz);
          expect(key.startsWith(per)).toBe(true);
        }
        expect(periodKey("lifetime", instant, tz)).toBe("lifetime");
        const [y, m] = periodKey("month", instant, tz).slice(6).split("-").map(Number);
        expect(periodKey("year", instant, tz)).toBe(`year:${y}`);
        expect(periodKey("day", instant, tz).startsWith(`day:${y}-${String(m).padStart(2, "0")}-`)).toBe(true);
        const week = Number(periodKey("week", instant, tz).split("-W")[1]);
        expect(week).toBeGreaterThanOrEqual(1);
        expect(week).toBeLessThanOrEqual(53);
      }),
      { numRuns: 300 },
    );
  });
});

describe("periodStart", () => {
  it("starts days, ISO weeks, months and years at local midnight", () => {
    const at = new Date("2026-11-25T20:00:00Z"); // Thursday 26 November 03:00 in Ho Chi Minh City
    const tz = "Asia/Ho_Chi_Minh";
    expect(periodStart("day", at, tz)!.toISOString()).toBe("2026-11-25T17:00:00.000Z");
    expect(periodStart("week", at, tz)!.toISOString()).toBe("2026-11-22T17:00:00.000Z");
    expect(periodStart("month", at, tz)!.toISOString()).toBe("2026-10-31T17:00:00.000Z");
    expect(periodStart("year", at, tz)!.toISOString()).toBe("2025-12-31T17:00:00.000Z");
    expect(periodStart("lifetime", at, tz)).toBeNull();
    expect(nextPeriodStart("week", at, tz)!.toISOString()).toBe("2026-11-29T17:00:00.000Z");
    expect(nextPeriodStart("month", at, tz)!.toISOString()).toBe("2026-11-30T17:00:00.000Z");
    expect(nextPeriodStart("year", new Date("2026-12-31T12:00:00Z"), tz)!.toISOString()).toBe("2026-12-31T17:00:00.000Z");
    expect(nextPeriodStart("day", new Date("2026-03-31T12:00:00Z"), "UTC")!.toISOString()).toBe("2026-04-01T00:00:00.000Z");
  });
});

describe("periodKey week (arithmetic) against a Date-based ISO week", () => {
  it("gives the ISO week of every day from 1990 to 2060", () => {
    const wrong: string[] = [];
    for (let t = Date.UTC(1990, 0, 1, 12); t <= Date.UTC(2060, 11, 31, 12); t += 86_400_000) {
      const d = new Date(t);
      const wd = d.getUTCDay() || 7;
      const thursday = new Date(t + (4 - wd) * 86_400_000);
      const y = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(y, 0, 1, 12)) / 86_400_000 / 7) + 1;
      const key = periodKey("week", d, "UTC");
      if (key !== `week:${y}-W${String(week).padStart(2, "0")}`) wrong.push(`${d.toISOString()}: ${key}`);
    }
    expect(wrong).toEqual([]);
  });
});
