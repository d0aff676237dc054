import { describe, expect, it } from "vitest";
import { basicPoints, clawbackFor, expiresAt, pendingUntil, type ExpiryPolicy } from "./policy.ts";

const at = (iso: string) => new Date(iso);

describe("clawbackFor", () => {
  const order = { earned: 100, orderTotal: 3_000 };

  it.each([
    { name: "takes back the refunded share, rounded down", refundedBefore: 0, refundedNow: 1_000, clawedBefore: 0, clawback: 33 },
    { name: "takes back nothing for a refund too small to cost a whole point", refundedBefore: 0, refundedNow: 29, clawedBefore: 0, clawback: 0 },
    { name: "takes back exactly the rest of `earned` on the final refund after a partial one", refundedBefore: 1_000, refundedNow: 2_000, clawedBefore: 33, clawback: 67 },
    { name: "takes the second third cumulatively, not rounded on its own", refundedBefore: 1_000, refundedNow: 1_000, clawedBefore: 33, clawback: 33 },
    { name: "takes the last third so that the three add up to `earned`", refundedBefore: 2_000, refundedNow: 1_000, clawedBefore: 66, clawback: 34 },
    { name: "takes everything on a single full refund", refundedBefore: 0, refundedNow: 3_000, clawedBefore: 0, clawback: 100 },
    { name: "never takes more than `earned` for a refund larger than the order", refundedBefore: 0, refundedNow: 9_999, clawedBefore: 0, clawback: 100 },
    { name: "takes nothing more once everything was taken back", refundedBefore: 3_000, refundedNow: 500, clawedBefore: 100, clawback: 0 },
    { name: "never returns a negative amount when more was taken before than is due", refundedBefore: 0, refundedNow: 1_000, clawedBefore: 50, clawback: 0 },
  ])("$name", ({ refundedBefore, refundedNow, clawedBefore, clawback }) => {
    expect(clawbackFor({ ...order, refundedBefore, refundedNow, clawedBefore })).toBe(clawback);
  });

  it.each([
    { name: "an order with a zero total takes back whatever is left of `earned`", x: { earned: 10, orderTotal: 0, refundedBefore: 0, refundedNow: 0, clawedBefore: 4 }, clawback: 6 },
    { name: "an order that earned nothing takes back nothing", x: { earned: 0, orderTotal: 3_000, refundedBefore: 0, refundedNow: 3_000, clawedBefore: 0 }, clawback: 0 },
    { name: "a large VND order is exact", x: { earned: 1_234_567, orderTotal: 987_654_321_000, refundedBefore: 0, refundedNow: 987_654_320_999, clawedBefore: 0 }, clawback: 1_234_566 },
  ])("$name", ({ x, clawback }) => {
    expect(clawbackFor(x)).toBe(clawback);
  });
});

describe("expiresAt", () => {
  it("never expires under the `never` policy", () => {
    expect(expiresAt({ kind: "never" }, at("2024-05-05T10:00:00Z"), "Asia/Ho_Chi_Minh")).toBeNull();
  });

  it.each<{ name: string; policy: ExpiryPolicy; effectiveAt: string; timeZone: string; expected: string }>([
    { name: "`days` adds whole 24-hour days", policy: { kind: "days", days: 30 }, effectiveAt: "2024-01-15T10:11:12.345Z", timeZone: "Asia/Ho_Chi_Minh", expected: "2024-02-14T10:11:12.345Z" },
    { name: "`days` of zero expires at the credit itself", policy: { kind: "days", days: 0 }, effectiveAt: "2024-01-15T10:00:00Z", timeZone: "UTC", expected: "2024-01-15T10:00:00.000Z" },
    // A 24-hour day, not a local calendar day: across the spring-forward the local time moves from 12:00 EST to 13:00 EDT.
    { name: "`days` counts 24-hour days across a DST change in America/New_York", policy: { kind: "days", days: 1 }, effectiveAt: "2024-03-09T17:00:00Z", timeZone: "America/New_York", expected: "2024-03-10T17:00:00.000Z" },
    { name: "`end_of_month` 0 ends at the first instant of next month in Asia/Ho_Chi_Minh", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-01-15T03:00:00Z", timeZone: "Asia/Ho_Chi_Minh", expected: "2024-01-31T17:00:00.000Z" },
    { name: "`end_of_month` uses the local month, which in Asia/Ho_Chi_Minh has already turned", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-01-31T17:30:00Z", timeZone: "Asia/Ho_Chi_Minh", expected: "2024-02-29T17:00:00.000Z" },
    { name: "`end_of_month` uses the local month, which in America/New_York has not turned yet", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-02-01T03:00:00Z", timeZone: "America/New_York", expected: "2024-02-01T05:00:00.000Z" },
    { name: "`end_of_month` 1 ends a month later", policy: { kind: "end_of_month", months: 1 }, effectiveAt: "2024-01-15T03:00:00Z", timeZone: "Asia/Ho_Chi_Minh", expected: "2024-02-29T17:00:00.000Z" },
    { name: "`end_of_month` crosses the year", policy: { kind: "end_of_month", months: 1 }, effectiveAt: "2024-12-10T03:00:00Z", timeZone: "Asia/Ho_Chi_Minh", expected: "2025-01-31T17:00:00.000Z" },
    { name: "`end_of_month` 12 ends a year after the month's end", policy: { kind: "end_of_month", months: 12 }, effectiveAt: "2024-02-29T12:00:00Z", timeZone: "UTC", expected: "2025-03-01T00:00:00.000Z" },
    { name: "`end_of_month` in America/New_York ends at midnight EDT after the spring-forward", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-03-05T15:00:00Z", timeZone: "America/New_York", expected: "2024-04-01T04:00:00.000Z" },
    { name: "`end_of_month` in America/New_York ends at midnight EDT before the fall-back", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-10-15T15:00:00Z", timeZone: "America/New_York", expected: "2024-11-01T04:00:00.000Z" },
    { name: "`end_of_month` in America/New_York ends at midnight EST after the fall-back", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-11-20T15:00:00Z", timeZone: "America/New_York", expected: "2024-12-01T05:00:00.000Z" },
    { name: "`end_of_month` 1 in America/New_York from EST into EDT", policy: { kind: "end_of_month", months: 1 }, effectiveAt: "2024-02-10T15:00:00Z", timeZone: "America/New_York", expected: "2024-04-01T04:00:00.000Z" },
    { name: "`end_of_month` in Europe/Bucharest ends at midnight EEST (+03:00) in March", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-03-15T10:00:00Z", timeZone: "Europe/Bucharest", expected: "2024-03-31T21:00:00.000Z" },
    { name: "`end_of_month` in Europe/Bucharest ends at midnight EET (+02:00) in October", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-10-20T10:00:00Z", timeZone: "Europe/Bucharest", expected: "2024-10-31T22:00:00.000Z" },
    { name: "`end_of_month` in Europe/Bucharest on the last evening of a month, already the next month locally", policy: { kind: "end_of_month", months: 0 }, effectiveAt: "2024-04-30T21:30:00Z", timeZone: "Europe/Bucharest", expected: "2024-05-31T21:00:00.000Z" },
  ])("$name", ({ policy, effectiveAt, timeZone, expected }) => {
    expect(expiresAt(policy, at(effectiveAt), timeZone)?.toISOString()).toBe(expected);
  });
});

describe("pendingUntil", () => {
  it.each([
    { pendingDays: 0, expected: null },
    { pendingDays: -1, expected: null },
    { pendingDays: 14, expected: "2024-01-15T10:00:00.000Z" },
  ])("holds value $pendingDays days from the credit (null when not positive)", ({ pendingDays, expected }) => {
    expect(pendingUntil(pendingDays, at("2024-01-01T10:00:00Z"))?.toISOString() ?? null).toBe(expected);
  });
});

describe("basicPoints", () => {
  const setting = { enabled: true, points: 1, per: 100, rounding: "floor" as const };
  it.each([
    { name: "one point per 100 minor units, rounded down", setting, base: 12_345, points: 123 },
    { name: "rounding half up when configured", setting: { ...setting, rounding: "half_up" as const }, base: 12_350, points: 124 },
    { name: "nothing when disabled", setting: { ...setting, enabled: false }, base: 12_345, points: 0 },
    { name: "nothing for a zero base", setting, base: 0, points: 0 },
    { name: "nothing for a negative base", setting, base: -500, points: 0 },
    { name: "5 points per 1,000 VND", setting: { ...setting, points: 5, per: 1_000 }, base: 1_250_000, points: 6_250 },
  ])("earns $name", ({ setting: s, base, points }) => {
    expect(basicPoints(s, base)).toBe(points);
  });
});
