import { describe, expect, it } from "vitest";
import { available, EXPIRED, pending } from "./accounts.ts";
import { applyPlan, planSettle } from "./plan.ts";
import { emptyPlan, type Holdings, type Lot } from "./types.ts";

const C = "c1";
const A = available(C);
const P = pending(C);
const t = (iso: string) => new Date(iso);
const NOW = t("2024-06-01T00:00:00Z");
const BEFORE = t("2024-05-31T23:59:59.999Z");
const AFTER = t("2024-06-01T00:00:00.001Z");

const lot = (id: string, remaining: number, o: Partial<Lot> = {}): Lot => ({
  id, customerId: C, asset: "points", amount: remaining, remaining, pending: false, pendingUntil: null, expiresAt: null, createdAt: t("2024-01-01T00:00:00Z"), ...o,
});
const held = (id: string, remaining: number, pendingUntil: Date, o: Partial<Lot> = {}) => lot(id, remaining, { pending: true, pendingUntil, ...o });
const holdings = (lots: Lot[], availableBalance?: number): Holdings => ({
  customerId: C,
  asset: "points",
  available: availableBalance ?? lots.filter((l) => !l.pending).reduce((a, l) => a + l.remaining, 0),
  pending: lots.filter((l) => l.pending).reduce((a, l) => a + l.remaining, 0),
  lots,
});
const move = (source: string, destination: string, amount: number, lotId: string) => ({ source, destination, asset: "points", amount, lotId });

describe("planSettle", () => {
  it("plans nothing when no lot is due", () => {
    const h = holdings([held("p", 50, AFTER), lot("e", 50, { expiresAt: AFTER }), lot("n", 50)]);
    expect(planSettle(h, NOW)).toEqual(emptyPlan());
  });

  it.each([
    { name: "exactly at its pending date", until: NOW },
    { name: "after its pending date", until: BEFORE },
  ])("releases a pending lot $name from pending to available", ({ until }) => {
    const h = holdings([held("p", 50, until)]);
    const plan = planSettle(h, NOW);
    expect(plan.postings).toEqual([move(P, A, 50, "p")]);
    expect(plan.lotUpdates).toEqual([{ lotId: "p", remaining: 50, pending: false }]);
    expect(applyPlan(h, plan)).toMatchObject({ available: 50, pending: 0, lots: [{ id: "p", remaining: 50, pending: false }] });
  });

  it("repays a negative balance from released value, earliest pending date first", () => {
    const h = holdings([held("late", 100, BEFORE), held("early", 100, t("2024-05-01T00:00:00Z"))], -150);
    const plan = planSettle(h, NOW);
    expect(plan.postings).toEqual([move(P, A, 100, "early"), move(P, A, 100, "late")]);
    expect(plan.lotUpdates).toEqual([
      { lotId: "early", remaining: 0, pending: false },
      { lotId: "late", remaining: 50, pending: false },
    ]);
    expect(applyPlan(h, plan)).toMatchObject({ available: 50, pending: 0, lots: [{ id: "late", remaining: 50 }] });
  });

  it.each([
    { name: "exactly at its expiry", expiresAt: NOW },
    { name: "after its expiry", expiresAt: BEFORE },
  ])("expires an available lot $name", ({ expiresAt }) => {
    const h = holdings([lot("e", 40, { expiresAt }), lot("n", 10)]);
    const plan = planSettle(h, NOW);
    expect(plan.postings).toEqual([move(A, EXPIRED, 40, "e")]);
    expect(plan.lotUpdates).toEqual([{ lotId: "e", remaining: 0, pending: false }]);
    expect(applyPlan(h, plan)).toMatchObject({ available: 10, lots: [{ id: "n" }] });
  });

  it("expires a lot that is still pending from the pending account", () => {
    const h = holdings([held("p", 70, AFTER, { expiresAt: BEFORE })]);
    const plan = planSettle(h, NOW);
    expect(plan.postings).toEqual([move(P, EXPIRED, 70, "p")]);
    expect(plan.lotUpdates).toEqual([{ lotId: "p", remaining: 0, pending: true }]);
    expect(applyPlan(h, plan)).toMatchObject({ available: 0, pending: 0, lots: [] });
  });

  it("releases before it expires: a lot both due and expired goes pending → available → expired", () => {
    const h = holdings([held("p", 70, BEFORE, { expiresAt: NOW })]);
    const plan = planSettle(h, NOW);
    expect(plan.postings).toEqual([move(P, A, 70, "p"), move(A, EXPIRED, 70, "p")]);
    expect(plan.lotUpdates).toEqual([{ lotId: "p", remaining: 0, pending: false }]);
  });

  it("expires only what is left of a released lot after it repaid a debt", () => {
    const h = holdings([held("p", 70, BEFORE, { expiresAt: NOW })], -20);
    const plan = planSettle(h, NOW);
    expect(plan.postings).toEqual([move(P, A, 70, "p"), move(A, EXPIRED, 50, "p")]);
    expect(applyPlan(h, plan)).toMatchObject({ available: 0, pending: 0, lots: [] });
  });

  it("settling again at the same instant plans nothing", () => {
    const h = holdings([held("p", 70, BEFORE), held("q", 30, BEFORE, { expiresAt: NOW }), held("r", 20, AFTER, { expiresAt: BEFORE })], -10);
    const once = applyPlan(h, planSettle(h, NOW));
    // p and q are due together: q expires first, so it repays the debt (10 of its 30) and p stays whole.
    expect(once).toMatchObject({ available: 70, pending: 0, lots: [{ id: "p", remaining: 70, pending: false }] });
    expect(planSettle(once, NOW)).toEqual(emptyPlan());
  });
});
