import { describe, expect, it } from "vitest";
import { onActivity, qualifiedLevel, review, setManually, noTier } from "./decide.ts";
import { checkTierScheme } from "./check-scheme.ts";
import { lastDueReview, periodEnd, reviewDue, reviewedWindow, windowStart } from "./windows.ts";
import { tierProgress } from "./progress.ts";
import type { TierScheme } from "./types.ts";

const TZ = "Asia/Ho_Chi_Minh"; // UTC+7: local midnight is 17:00 UTC the day before
const scheme = (over: Partial<TierScheme> = {}): TierScheme => ({
  basis: "spend", window: "calendar_year", graceDays: 30, downgrade: "one_level",
  levels: [
    { key: "silver", name: "Silver", threshold: 100_000, benefits: {} },
    { key: "gold", name: "Gold", threshold: 300_000, benefits: { earnBonusPercent: 25 } },
    { key: "platinum", name: "Platinum", threshold: 1_000_000, benefits: { discountPercent: 5 } },
  ],
  ...over,
});
const at = (iso: string) => new Date(iso);

describe("tier windows, in the program's time zone", () => {
  it("starts the calendar year at local midnight on 1 January", () => {
    expect(windowStart("calendar_year", at("2026-06-01T00:00:00Z"), TZ)!.toISOString()).toBe("2025-12-31T17:00:00.000Z");
    // 31 December 18:00 UTC is already 1 January in Ho Chi Minh City.
    expect(windowStart("calendar_year", at("2026-12-31T18:00:00Z"), TZ)!.toISOString()).toBe("2026-12-31T17:00:00.000Z");
  });
  it("ends a calendar period at the next one's local midnight, rolling status twelve months on, lifetime never", () => {
    expect(periodEnd("calendar_year", at("2026-03-10T00:00:00Z"), TZ)!.toISOString()).toBe("2026-12-31T17:00:00.000Z");
    expect(periodEnd("calendar_month", at("2026-12-15T00:00:00Z"), TZ)!.toISOString()).toBe("2026-12-31T17:00:00.000Z");
    expect(periodEnd("rolling_12_months", at("2026-03-10T05:00:00Z"), TZ)!.toISOString()).toBe("2027-03-09T17:00:00.000Z");
    expect(periodEnd("lifetime", at("2026-03-10T00:00:00Z"), TZ)).toBeNull();
  });
  it("counts rolling windows back twelve local months, 29 February to 28 February", () => {
    expect(windowStart("rolling_12_months", at("2028-02-29T12:00:00Z"), "UTC")!.toISOString()).toBe("2027-02-28T00:00:00.000Z");
  });
  it("reviews the period that ends at the review, and takes effect after grace in local days", () => {
    const end = at("2026-12-31T17:00:00Z");
    expect(reviewedWindow("calendar_year", end, TZ).from!.toISOString()).toBe("2025-12-31T17:00:00.000Z");
    expect(reviewDue(end, 30, TZ).toISOString()).toBe("2027-01-30T17:00:00.000Z");
    // Across a DST change, a grace day is a local day, not 24 hours.
    expect(reviewDue(at("2026-03-01T05:00:00Z"), 30, "America/New_York").toISOString()).toBe("2026-03-31T04:00:00.000Z");
  });

  it.each([
    // [window, reviewAt, now, the review that is due]: one review, the last one due, however many periods were missed.
    ["calendar_year", "2026-12-31T17:00:00Z", "2027-02-01T00:00:00Z", "2026-12-31T17:00:00.000Z"],
    ["calendar_year", "2026-12-31T17:00:00Z", "2029-01-30T16:59:00Z", "2027-12-31T17:00:00.000Z"],
    ["calendar_year", "2026-12-31T17:00:00Z", "2029-01-30T17:00:00Z", "2028-12-31T17:00:00.000Z"],
    // A status set by hand until a day inside a period: the chain goes on at the period ends after it.
    ["calendar_year", "2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z", "2026-06-01T00:00:00.000Z"],
    ["calendar_year", "2026-06-01T00:00:00Z", "2029-02-15T00:00:00Z", "2028-12-31T17:00:00.000Z"],
    ["calendar_month", "1000-01-31T17:00:00Z", "2026-03-10T00:00:00Z", "2026-01-31T17:00:00.000Z"],
    // Rolling: twelve months on each time; the 2029 review takes effect at 9 April 2029 local midnight.
    ["rolling_12_months", "2026-03-09T17:00:00Z", "2029-04-08T16:59:00Z", "2028-03-09T17:00:00.000Z"],
    ["rolling_12_months", "2026-03-09T17:00:00Z", "2029-04-08T17:00:00Z", "2029-03-09T17:00:00.000Z"],
  ] as const)("a %s status held until %s, reviewed at %s, is judged on the period ending %s", (window, reviewAt, now, expected) => {
    expect(lastDueReview(window, at(reviewAt), 30, at(now), TZ).toISOString()).toBe(expected);
  });
});

describe("tier decisions", () => {
  it("qualifies for the highest level the basis reaches", () => {
    expect([0, 99_999, 100_000, 299_999, 300_000, 5_000_000].map((m) => qualifiedLevel(scheme(), m))).toEqual([-1, -1, 0, 0, 1, 2]);
  });

  it("upgrades at once, to the level reached (skipping levels), held until the period ends", () => {
    const d = onActivity(scheme(), noTier(at("2026-01-01T00:00:00Z")), 350_000, at("2026-05-05T10:00:00Z"), TZ)!;
    expect(d).toMatchObject({ kind: "upgrade", from: -1, to: 1, entered: 1 });
    expect(d.state.reviewAt!.toISOString()).toBe("2026-12-31T17:00:00.000Z");
    expect(onActivity(scheme(), d.state, 350_000, at("2026-05-06T10:00:00Z"), TZ)).toBeNull();
  });

  it("never downgrades on activity, even when refunds lower the basis", () => {
    const gold = { level: 1, since: at("2026-02-01T00:00:00Z"), reviewAt: at("2026-12-31T17:00:00Z") };
    expect(onActivity(scheme(), gold, 10, at("2026-06-01T00:00:00Z"), TZ)).toBeNull();
  });

  it("keeps a level requalified in the ended period, held for the next period", () => {
    const gold = { level: 1, since: at("2026-02-01T00:00:00Z"), reviewAt: at("2026-12-31T17:00:00Z") };
    const d = review(scheme(), gold, 320_000, 0, TZ);
    expect(d).toMatchObject({ kind: "renewal", from: 1, to: 1 });
    expect(d.state.since).toEqual(gold.since);
    expect(d.state.reviewAt!.toISOString()).toBe("2027-12-31T17:00:00.000Z");
  });

  it("downgrades after grace by one level at most, or to what was qualified", () => {
    const platinum = { level: 2, since: at("2026-02-01T00:00:00Z"), reviewAt: at("2026-12-31T17:00:00Z") };
    const one = review(scheme(), platinum, 0, 0, TZ);
    expect(one).toMatchObject({ kind: "downgrade", from: 2, to: 1 });
    expect(one.state.since.toISOString()).toBe("2027-01-30T17:00:00.000Z");
    expect(one.state.reviewAt!.toISOString()).toBe("2027-12-31T17:00:00.000Z");
    const all = review(scheme({ downgrade: "to_qualified" }), platinum, 0, 0, TZ);
    expect(all).toMatchObject({ kind: "downgrade", to: -1 });
    expect(all.state.reviewAt).toBeNull();
    expect(review(scheme({ downgrade: "to_qualified" }), platinum, 150_000, 0, TZ)).toMatchObject({ to: 0 });
  });

  it("lets a customer keep their level by qualifying again during grace", () => {
    const gold = { level: 1, since: at("2026-02-01T00:00:00Z"), reviewAt: at("2026-12-31T17:00:00Z") };
    expect(review(scheme(), gold, 50_000, 300_000, TZ)).toMatchObject({ kind: "renewal", to: 1 });
  });

  it("holds a manual tier until the period ends unless told otherwise, and says which level was entered", () => {
    const d = setManually(scheme(), noTier(at("2026-01-01T00:00:00Z")), 2, "manual", at("2026-04-01T00:00:00Z"), TZ);
    expect(d).toMatchObject({ kind: "manual", from: -1, to: 2, entered: 2 });
    expect(d.state.reviewAt!.toISOString()).toBe("2026-12-31T17:00:00.000Z");
    const held = setManually(scheme(), noTier(at("2026-01-01T00:00:00Z")), 0, "import", at("2026-04-01T00:00:00Z"), TZ, { reviewAt: at("2028-01-01T00:00:00Z") });
    expect(held.state.reviewAt!.toISOString()).toBe("2028-01-01T00:00:00.000Z");
  });
});

describe("tier progress", () => {
  it("says what it takes to keep a level by the end of the period", () => {
    const gold = { level: 1, since: at("2026-02-01T00:00:00Z"), reviewAt: at("2026-12-31T17:00:00Z") };
    const p = tierProgress({ scheme: scheme(), state: gold, metric: 260_000, keepMetric: 260_000, now: at("2026-10-01T00:00:00Z"), timeZone: TZ, currency: "VND", pointsPlural: "Stars" });
    expect(p.keep).toEqual({ remaining: 40_000, by: "2026-12-31T17:00:00.000Z", reviewedAt: "2026-12-31T17:00:00.000Z" });
    expect(p.next).toMatchObject({ key: "platinum", remaining: 740_000 });
    expect(p.message).toMatch(/^Spend ₫40,000 more by 31 December 2026 to keep Gold\.$/);
  });
  it("counts points and visits in their own words, and says when a level is kept", () => {
    const s = scheme({ basis: "visits", levels: [{ key: "regular", name: "Regular", threshold: 5, benefits: {} }] });
    expect(tierProgress({ scheme: s, state: noTier(at("2026-01-01T00:00:00Z")), metric: 2, keepMetric: 2, now: at("2026-10-01T00:00:00Z"), timeZone: "UTC", currency: "USD", pointsPlural: "Stars" }).message)
      .toBe("Place 3 more orders by 31 December 2026 to reach Regular.");
    const kept = tierProgress({ scheme: s, state: { level: 0, since: at("2026-01-05T00:00:00Z"), reviewAt: at("2027-01-01T00:00:00Z") }, metric: 6, keepMetric: 6, now: at("2026-10-01T00:00:00Z"), timeZone: "UTC", currency: "USD", pointsPlural: "Stars" });
    expect(kept.message).toBe("Regular is kept until 31 December 2027.");
  });
});

describe("checkTierScheme", () => {
  it.each([
    [{ levels: [] }, "levels"],
    [{ graceDays: 28, window: "calendar_month" as const }, "graceDays"],
    [{ levels: [{ key: "a", name: "A", threshold: 10, benefits: {} }, { key: "b", name: "B", threshold: 10, benefits: {} }] }, "levels[1].threshold"],
    [{ levels: [{ key: "a", name: "A", threshold: 10, benefits: {} }, { key: "a", name: "B", threshold: 20, benefits: {} }] }, "levels[1].key"],
    [{ levels: [{ key: "Gold!", name: "A", threshold: 10, benefits: {} }] }, "levels[0].key"],
    [{ levels: [{ key: "a", name: "A", threshold: 10, benefits: { discountPercent: 5.555 } }] }, "levels[0].benefits.discountPercent"],
    [{ levels: [{ key: "a", name: "A", threshold: 10, benefits: { earnBonusPercent: 1.5 } }] }, "levels[0].benefits.earnBonusPercent"],
  ])("refuses %j naming %s", (over, field) => {
    const r = checkTierScheme(scheme(over as Partial<TierScheme>));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: "TIERS_INVALID", details: { field } });
  });
  it("accepts a good scheme", () => {
    expect(checkTierScheme(scheme()).ok).toBe(true);
  });
});
