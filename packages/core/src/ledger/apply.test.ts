import { describe, expect, it } from "vitest";
import { available, EXPIRED, pending, REDEEMED, WORLD } from "./accounts.ts";
import { applyPlan, balanceDeltas, combinePlans } from "./plan.ts";
import { emptyPlan, type Holdings, type Lot, type Plan, type Posting } from "./types.ts";

const C = "c1";
const A = available(C);
const P = pending(C);
const t = (iso: string) => new Date(iso);

const lot = (id: string, remaining: number, o: Partial<Lot> = {}): Lot => ({
  id, customerId: C, asset: "points", amount: remaining, remaining, pending: false, pendingUntil: null, expiresAt: null, createdAt: t("2024-01-01T00:00:00Z"), ...o,
});
const move = (source: string, destination: string, amount: number, lotId: string | null): Posting => ({ source, destination, asset: "points", amount, lotId });
const plan = (p: Partial<Plan>): Plan => ({ ...emptyPlan(), ...p });

describe("applyPlan", () => {
  const h: Holdings = { customerId: C, asset: "points", available: 100, pending: 50, lots: [lot("a", 100), lot("p", 50, { pending: true })] };

  it("moves the customer's balances by the postings that touch their accounts", () => {
    const after = applyPlan(h, plan({ postings: [move(WORLD, A, 10, null), move(A, REDEEMED, 30, null), move(P, A, 20, null), move(WORLD, pending("c2"), 99, null)] }));
    expect(after).toMatchObject({ available: 100, pending: 30 });
  });

  it("adds new lots, applies lot updates and drops lots with nothing left", () => {
    const fresh = lot("new", 5);
    const after = applyPlan(h, plan({ newLots: [fresh], lotUpdates: [{ lotId: "a", remaining: 0, pending: false }, { lotId: "p", remaining: 20, pending: false }] }));
    expect(after.lots).toEqual([{ ...lot("p", 50, { pending: true }), remaining: 20, pending: false }, fresh]);
  });

  it("refills a used-up lot only when the caller supplies it as known", () => {
    const used = lot("used", 0, { amount: 40 });
    const refill = plan({ lotUpdates: [{ lotId: "used", remaining: 40, pending: false }] });
    expect(applyPlan(h, refill).lots.map((l) => l.id)).toEqual(["a", "p"]);
    expect(applyPlan(h, refill, new Map([["used", used]])).lots).toContainEqual({ ...used, remaining: 40 });
  });

  it("does not change the holdings it is given", () => {
    const before = structuredClone(h);
    applyPlan(h, plan({ postings: [move(A, EXPIRED, 100, "a")], lotUpdates: [{ lotId: "a", remaining: 0, pending: false }] }));
    expect(h).toEqual(before);
  });

  it("returns equal holdings for an empty plan", () => {
    expect(applyPlan(h, emptyPlan())).toEqual(h);
  });
});

describe("balanceDeltas", () => {
  it("gives each account's net change per asset, keyed account NUL asset", () => {
    const m = balanceDeltas([move(WORLD, A, 100, "a"), move(A, REDEEMED, 30, "a"), move(A, EXPIRED, 20, "a")]);
    expect(m).toEqual(
      new Map([
        [`${WORLD}\u0000points`, -100],
        [`${A}\u0000points`, 50],
        [`${REDEEMED}\u0000points`, 30],
        [`${EXPIRED}\u0000points`, 20],
      ]),
    );
    expect([...m.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("is empty for no postings", () => {
    expect(balanceDeltas([]).size).toBe(0);
  });
});

describe("combinePlans", () => {
  it("concatenates postings and new lots in order, keeps the later update of a lot and adds shortfalls", () => {
    const first = plan({ postings: [move(P, A, 10, "x")], newLots: [lot("n1", 1)], lotUpdates: [{ lotId: "x", remaining: 10, pending: false }], shortfall: 2 });
    const second = plan({ postings: [move(A, EXPIRED, 10, "x")], newLots: [lot("n2", 2)], lotUpdates: [{ lotId: "x", remaining: 0, pending: false }, { lotId: "y", remaining: 3, pending: true }], shortfall: 5 });
    expect(combinePlans(first, second)).toEqual({
      postings: [move(P, A, 10, "x"), move(A, EXPIRED, 10, "x")],
      newLots: [lot("n1", 1), lot("n2", 2)],
      lotUpdates: [
        { lotId: "x", remaining: 0, pending: false },
        { lotId: "y", remaining: 3, pending: true },
      ],
      shortfall: 7,
    });
  });

  it("gives an empty plan for no plans", () => {
    expect(combinePlans()).toEqual(emptyPlan());
  });
});
