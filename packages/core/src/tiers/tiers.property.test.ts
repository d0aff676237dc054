import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { noTier, onActivity, qualifiedLevel, review } from "./decide.ts";
import { reviewDue, reviewedWindow, windowStart } from "./windows.ts";
import { startOfLocalDay } from "../calendar/zoned.ts";
import type { TierScheme, TierState } from "./types.ts";

/**
 * Tier assignment, event by event as the server runs it (reviews when due, upgrades on each order),
 * against a reference that walks the calendar period by period. Orders have positive amounts
 * (spend, or one visit each); every measure is a plain filter over the order list.
 */
const TZ = "Europe/Bucharest";
interface Order { at: number; amount: number }

const sum = (orders: Order[], from: number | null, to: number, inclusive: boolean) =>
  orders.filter((o) => (from === null || o.at >= from) && (inclusive ? o.at <= to : o.at < to)).reduce((n, o) => n + o.amount, 0);

/** The engine: the decide functions driven by events in time order, metrics measured as the server does. */
function engine(scheme: TierScheme, orders: Order[], until: number): number {
  let state: TierState = noTier(new Date(0));
  const runDueReviews = (t: number) => {
    while (state.reviewAt && reviewDue(state.reviewAt, scheme.graceDays, TZ).getTime() <= t) {
      const due = reviewDue(state.reviewAt, scheme.graceDays, TZ);
      const w = reviewedWindow(scheme.window, state.reviewAt, TZ);
      const ended = sum(orders, w.from?.getTime() ?? null, w.to.getTime(), false);
      const grace = sum(orders, windowStart(scheme.window, due, TZ)?.getTime() ?? null, due.getTime(), false);
      state = review(scheme, state, ended, grace, TZ).state;
    }
  };
  for (const o of orders) {
    if (o.at > until) break;
    runDueReviews(o.at);
    const metric = sum(orders, windowStart(scheme.window, new Date(o.at), TZ)?.getTime() ?? null, o.at, true);
    const d = onActivity(scheme, state, metric, new Date(o.at), TZ);
    if (d) state = d.state;
  }
  runDueReviews(until);
  return state.level;
}

/** Period starts of a calendar window, from well before the first order to after the last. */
function boundaries(window: "calendar_year" | "calendar_month", fromYear: number, toYear: number): number[] {
  const out: number[] = [];
  for (let y = fromYear; y <= toYear; y++) {
    for (let m = 1; m <= (window === "calendar_year" ? 1 : 12); m++) out.push(startOfLocalDay({ year: y, month: m, day: 1 }, TZ).getTime());
  }
  return out;
}

/** The reference: walk the periods; inside one, the level is what was held or what the period's orders reached, whichever is higher; each period start (plus grace) reviews the one before. */
function reference(scheme: TierScheme, orders: Order[], until: number): number {
  const q = (m: number) => qualifiedLevel(scheme, m);
  if (scheme.window === "lifetime") return q(sum(orders, null, until, true));
  const starts = boundaries(scheme.window as "calendar_year" | "calendar_month", 2025, 2030);
  let level = -1;
  for (let k = 0; k + 1 < starts.length; k++) {
    const [s, e] = [starts[k]!, starts[k + 1]!];
    if (s > until) break;
    const inPeriod = (to: number, inclusive: boolean) => sum(orders, s, to, inclusive);
    const due = graceEnd(s, scheme.graceDays);
    const reviewed = k > 0 && level >= 0;
    // Before the review takes effect, orders of the new period can only raise the level.
    for (const o of orders.filter((o) => o.at >= s && o.at < Math.min(reviewed ? due : s, e) && o.at <= until)) level = Math.max(level, q(inPeriod(o.at, true)));
    if (reviewed && due <= until) {
      const target = Math.max(q(sum(orders, starts[k - 1]!, s, false)), q(inPeriod(due, false)));
      if (target < level) level = scheme.downgrade === "one_level" ? Math.max(target, level - 1) : target;
    }
    for (const o of orders.filter((o) => o.at >= (reviewed ? due : s) && o.at < e && o.at <= until)) level = Math.max(level, q(inPeriod(o.at, true)));
  }
  return level;
}

/** Grace counted in local days from a period start (the reference's own arithmetic). */
function graceEnd(start: number, days: number): number {
  const d = new Date(start + 12 * 3_600_000); // midday UTC of the local first day, safely inside it
  const local = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" }).format(d).split("-").map(Number);
  const shifted = new Date(Date.UTC(local[0]!, local[1]! - 1, local[2]! + days));
  return startOfLocalDay({ year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() }, TZ).getTime();
}

const schemeArb = fc.record({
  window: fc.constantFrom("calendar_year" as const, "calendar_month" as const, "lifetime" as const),
  graceDays: fc.integer({ min: 0, max: 27 }),
  downgrade: fc.constantFrom("one_level" as const, "to_qualified" as const),
  steps: fc.array(fc.integer({ min: 1, max: 4_000 }), { minLength: 1, maxLength: 4 }),
}).map(({ window, graceDays, downgrade, steps }): TierScheme => {
  let t = 0;
  return { basis: "spend", window, graceDays, downgrade, levels: steps.map((s, i) => ({ key: `l${i}`, name: `L${i}`, threshold: (t += s), benefits: {} })) };
});

const START = Date.UTC(2026, 0, 1);
const SPAN = Date.UTC(2028, 11, 31) - START;
const ordersArb = fc.array(fc.record({ at: fc.integer({ min: 0, max: SPAN }).map((d) => START + d), amount: fc.integer({ min: 1, max: 3_000 }) }), { maxLength: 60 })
  .map((os) => [...os].sort((a, b) => a.at - b.at));

describe("tier assignment (property)", () => {
  it("equals the period-walk reference for random histories and schemes, at random instants", () => {
    fc.assert(
      fc.property(schemeArb, ordersArb, fc.integer({ min: 0, max: SPAN + 60 * 86_400_000 }), (scheme, orders, offset) => {
        const until = START + offset;
        expect(engine(scheme, orders, until)).toBe(reference(scheme, orders, until));
      }),
      { numRuns: 400 },
    );
  });
});
