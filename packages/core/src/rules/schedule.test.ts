import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { zonedParts } from "../calendar/zoned.ts";
import { insideSchedule, isoWeekday, outsideSchedule } from "./schedule.ts";

const at = (iso: string) => new Date(iso);
const HCM = "Asia/Ho_Chi_Minh"; // +07:00, no DST

describe("outsideSchedule", () => {
  it("a null schedule is always inside", () => {
    expect(outsideSchedule(null, at("2026-11-22T12:00:00Z"), HCM)).toBeNull();
  });

  it("an empty schedule (no fields, empty lists) is always inside", () => {
    expect(outsideSchedule({}, at("2026-11-22T12:00:00Z"), HCM)).toBeNull();
    expect(outsideSchedule({ daysOfWeek: [], daysOfMonth: [], hours: [] }, at("2026-11-22T12:00:00Z"), HCM)).toBeNull();
  });

  describe("from / to", () => {
    const schedule = { from: "2026-11-01T00:00:00+07:00", to: "2026-12-01T00:00:00+07:00" };
    it.each([
      { instant: "2026-10-31T16:59:59.999Z", inside: false, reason: "before 2026-11-01T00:00:00+07:00" },
      { instant: "2026-10-31T17:00:00.000Z", inside: true },
      { instant: "2026-11-15T09:00:00Z", inside: true },
      { instant: "2026-11-30T16:59:59.999Z", inside: true },
      { instant: "2026-11-30T17:00:00.000Z", inside: false, reason: "from 2026-12-01T00:00:00+07:00 on" },
      { instant: "2027-01-01T00:00:00Z", inside: false, reason: "from 2026-12-01T00:00:00+07:00 on" },
    ])("$instant is inside: $inside (from inclusive, to exclusive)", ({ instant, inside, reason }) => {
      const r = outsideSchedule(schedule, at(instant), HCM);
      if (inside) expect(r).toBeNull();
      else expect(r).toBe(reason);
    });

    it("only `from` or only `to` bounds one side", () => {
      expect(outsideSchedule({ from: "2026-11-01T00:00:00Z" }, at("2099-01-01T00:00:00Z"), "UTC")).toBeNull();
      expect(outsideSchedule({ from: "2026-11-01T00:00:00Z" }, at("2026-10-31T23:59:59Z"), "UTC")).toMatch(/^before/);
      expect(outsideSchedule({ to: "2026-11-01T00:00:00Z" }, at("2000-01-01T00:00:00Z"), "UTC")).toBeNull();
      expect(outsideSchedule({ to: "2026-11-01T00:00:00Z" }, at("2026-11-01T00:00:00Z"), "UTC")).toMatch(/^from/);
    });
  });

  describe("daysOfWeek (ISO: 1 = Monday … 7 = Sunday), on the program's wall clock", () => {
    // 2026-11-22 is a Sunday; 18:00Z is 01:00 on Monday 2026-11-23 in Ho Chi Minh City.
    const sundayUtcMondayHcm = at("2026-11-22T18:00:00Z");

    it("reads the weekday in the time zone, not in UTC", () => {
      expect(outsideSchedule({ daysOfWeek: [1] }, sundayUtcMondayHcm, HCM)).toBeNull();
      expect(outsideSchedule({ daysOfWeek: [7] }, sundayUtcMondayHcm, HCM)).toBe("weekday 1 is not in [7]");
      expect(outsideSchedule({ daysOfWeek: [7] }, sundayUtcMondayHcm, "UTC")).toBeNull();
      expect(outsideSchedule({ daysOfWeek: [1] }, sundayUtcMondayHcm, "UTC")).toBe("weekday 7 is not in [1]");
    });

    it("a weekend-only schedule (6, 7)", () => {
      const weekend = { daysOfWeek: [6, 7] };
      expect(outsideSchedule(weekend, at("2026-11-21T05:00:00Z"), HCM)).toBeNull(); // Saturday
      expect(outsideSchedule(weekend, at("2026-11-22T05:00:00Z"), HCM)).toBeNull(); // Sunday
      expect(outsideSchedule(weekend, at("2026-11-20T05:00:00Z"), HCM)).toBe("weekday 5 is not in [6, 7]"); // Friday
      expect(outsideSchedule(weekend, sundayUtcMondayHcm, HCM)).toBe("weekday 1 is not in [6, 7]");
    });

    it("isoWeekday numbers Monday 1 through Sunday 7", () => {
      expect([16, 17, 18, 19, 20, 21, 22].map((d) => isoWeekday(2026, 11, d))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });
  });

  describe("daysOfMonth", () => {
    const doubleStars = { daysOfMonth: [5, 20] };
    it.each([
      { instant: "2026-11-05T03:00:00Z", inside: true },
      { instant: "2026-11-20T16:59:59Z", inside: true }, // 23:59:59 on the 20th, local
      { instant: "2026-11-20T17:00:00Z", inside: false }, // 00:00 on the 21st, local
      { instant: "2026-11-04T17:00:00Z", inside: true }, // 00:00 on the 5th, local (still the 4th in UTC)
      { instant: "2026-11-04T16:59:59Z", inside: false },
      { instant: "2026-11-15T12:00:00Z", inside: false },
    ])("double stars on the 5th and the 20th: $instant inside is $inside", ({ instant, inside }) => {
      const r = outsideSchedule(doubleStars, at(instant), HCM);
      if (inside) expect(r).toBeNull();
      else expect(r).toMatch(/^day \d+ of the month is not in \[5, 20\]$/);
    });

    it("says which day it was", () => {
      expect(outsideSchedule(doubleStars, at("2026-11-20T17:00:00Z"), HCM)).toBe("day 21 of the month is not in [5, 20]");
    });

    it("a 31 never fires in a 30-day month", () => {
      for (let d = 1; d <= 30; d++) {
        expect(outsideSchedule({ daysOfMonth: [31] }, at(`2026-11-${String(d).padStart(2, "0")}T12:00:00Z`), "UTC")).not.toBeNull();
      }
      expect(outsideSchedule({ daysOfMonth: [31] }, at("2026-12-31T12:00:00Z"), "UTC")).toBeNull();
    });
  });

  describe("hours (local, `to` exclusive)", () => {
    it("an ordinary range", () => {
      const happyHour = { hours: [{ from: "14:00", to: "17:00" }] };
      expect(outsideSchedule(happyHour, at("2026-11-23T06:59:59Z"), HCM)).toBe("13:59 is outside 14:00-17:00");
      expect(outsideSchedule(happyHour, at("2026-11-23T07:00:00Z"), HCM)).toBeNull(); // 14:00 local
      expect(outsideSchedule(happyHour, at("2026-11-23T09:59:59Z"), HCM)).toBeNull(); // 16:59 local
      expect(outsideSchedule(happyHour, at("2026-11-23T10:00:00Z"), HCM)).toBe("17:00 is outside 14:00-17:00");
    });

    it.each([
      { local: "21:59", inside: false },
      { local: "22:00", inside: true },
      { local: "23:59", inside: true },
      { local: "00:00", inside: true },
      { local: "01:59", inside: true },
      { local: "02:00", inside: false },
      { local: "12:00", inside: false },
    ])("a range wrapping midnight, 22:00-02:00: $local local is inside: $inside", ({ local, inside }) => {
      // Local HH:MM on 2026-11-23 in Ho Chi Minh City is (HH - 7) UTC.
      const instant = at(`2026-11-23T${local}:00+07:00`);
      const r = outsideSchedule({ hours: [{ from: "22:00", to: "02:00" }] }, instant, HCM);
      if (inside) expect(r).toBeNull();
      else expect(r).toBe(`${local} is outside 22:00-02:00`);
    });

    it("several ranges: inside any of them", () => {
      const meals = { hours: [{ from: "07:00", to: "09:00" }, { from: "11:30", to: "13:00" }] };
      expect(outsideSchedule(meals, at("2026-11-23T08:15:00+07:00"), HCM)).toBeNull();
      expect(outsideSchedule(meals, at("2026-11-23T11:30:00+07:00"), HCM)).toBeNull();
      expect(outsideSchedule(meals, at("2026-11-23T10:00:00+07:00"), HCM)).toBe("10:00 is outside 07:00-09:00, 11:30-13:00");
    });

    it("reads hours on the program's wall clock", () => {
      const evening = { hours: [{ from: "18:00", to: "22:00" }] };
      const instant = at("2026-11-23T12:00:00Z"); // 19:00 in Ho Chi Minh City, 12:00 in UTC
      expect(outsideSchedule(evening, instant, HCM)).toBeNull();
      expect(outsideSchedule(evening, instant, "UTC")).toBe("12:00 is outside 18:00-22:00");
    });
  });

  it("every field present must hold", () => {
    const s = { from: "2026-01-01T00:00:00Z", daysOfWeek: [1], daysOfMonth: [23], hours: [{ from: "09:00", to: "10:00" }] };
    expect(outsideSchedule(s, at("2026-11-23T09:30:00+07:00"), HCM)).toBeNull(); // Monday 23 November, 09:30
    expect(outsideSchedule(s, at("2026-11-23T10:30:00+07:00"), HCM)).toMatch(/outside/);
    expect(outsideSchedule(s, at("2026-11-30T09:30:00+07:00"), HCM)).toMatch(/^day 30/);
    expect(outsideSchedule(s, at("2027-03-23T09:30:00+07:00"), HCM)).toMatch(/^weekday 2/); // a Tuesday
    expect(outsideSchedule({ ...s, from: "2030-01-01T00:00:00Z" }, at("2026-11-23T09:30:00+07:00"), HCM)).toMatch(/^before/);
  });
});

describe("insideSchedule (the compiled form ingest uses)", () => {
  const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 59)).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
  const schedule = fc.record(
    {
      from: fc.date({ min: new Date("2026-01-01T00:00:00Z"), max: new Date("2027-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
      to: fc.date({ min: new Date("2026-01-01T00:00:00Z"), max: new Date("2027-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
      daysOfWeek: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { maxLength: 7 }),
      daysOfMonth: fc.uniqueArray(fc.integer({ min: 1, max: 31 }), { maxLength: 31 }),
      hours: fc.array(fc.record({ from: hhmm, to: hhmm }), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
  const instant = fc.date({ min: new Date("2025-12-01T00:00:00Z"), max: new Date("2028-01-31T00:00:00Z"), noInvalidDate: true });
  const zone = fc.constantFrom(HCM, "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC");

  it("agrees with outsideSchedule on random schedules, instants and zones", () => {
    fc.assert(
      fc.property(schedule, instant, zone, (s, when, tz) => {
        expect(insideSchedule(s, when, tz, zonedParts(when, tz))).toBe(outsideSchedule(s, when, tz) === null);
      }),
      { numRuns: 3_000 },
    );
  });

  it("compiles each schedule object apart (the cache is per object)", () => {
    const s = { daysOfMonth: [5, 20] };
    const fifth = at("2026-11-05T05:00:00Z");
    expect(insideSchedule(s, fifth, HCM, zonedParts(fifth, HCM))).toBe(true);
    expect(insideSchedule({ daysOfMonth: [6] }, fifth, HCM, zonedParts(fifth, HCM))).toBe(false);
  });
});
