import { describe, expect, it } from "vitest";
import { available, pending, REDEEMED, WORLD } from "./accounts.ts";
import { applyPlan, planDebit, spendOrder, type DebitInput } from "./plan.ts";
import type { Holdings, Lot } from "./types.ts";

const C = "c1";
const A = available(C);
const P = pending(C);
const t = (iso: string) => new Date(iso);

const lot = (id: string, remaining: number, o: Partial<Lot> = {}): Lot => ({
  id, customerId: C, asset: "points", amount: remaining, remaining, pending: false, pendingUntil: null, expiresAt: null, createdAt: t("2024-01-01T00:00:00Z"), ...o,
});
/** Holdings whose balances agree with their lots, unless a balance is given. */
const holdings = (lots: Lot[], availableBalance?: number): Holdings => ({
  customerId: C,
  asset: "points",
  available: availableBalance ?? lots.filter((l) => !l.pending).reduce((a, l) => a + l.remaining, 0),
  pending: lots.filter((l) => l.pending).reduce((a, l) => a + l.remaining, 0),
  lots,
});
const debit = (amount: number, o: Partial<DebitInput> = {}): DebitInput => ({ amount, destination: REDEEMED, onShortfall: "reject", ...o });
/** The plan's lot consumption as "lot:amount" for readable tables. */
const taken = (h: Holdings, input: DebitInput) => {
  const r = planDebit(h, input);
  if (!r.ok) throw new Error(r.error.code);
  return r.value.postings.map((p) => `${p.lotId ?? "none"}:${p.amount}`);
};

const june = lot("june", 100, { expiresAt: t("2024-06-30T17:00:00Z") });
const march = lot("march", 100, { expiresAt: t("2024-03-31T17:00:00Z") });
const never = lot("never", 100, { createdAt: t("2023-01-01T00:00:00Z") });
const held = lot("held", 100, { pending: true, pendingUntil: t("2024-02-01T00:00:00Z"), expiresAt: t("2024-01-15T00:00:00Z") });

describe("planDebit: which lots it spends", () => {
  it.each([
    { name: "the soonest-expiring lot first", lots: [june, march], amount: 150, expected: ["march:100", "june:50"] },
    { name: "never-expiring lots last, even when older", lots: [never, june], amount: 150, expected: ["june:100", "never:50"] },
    { name: "lots with the same expiry oldest first", lots: [lot("b", 10, { createdAt: t("2024-02-01T00:00:00Z") }), lot("a", 10, { createdAt: t("2024-03-01T00:00:00Z") })], amount: 15, expected: ["b:10", "a:5"] },
    { name: "lots with the same expiry and age by id", lots: [lot("y", 10), lot("x", 10)], amount: 15, expected: ["x:10", "y:5"] },
    { name: "only what is needed from the first lot", lots: [june, march], amount: 30, expected: ["march:30"] },
    { name: "every lot to cover the amount exactly", lots: [june, march, never], amount: 300, expected: ["march:100", "june:100", "never:100"] },
    { name: "no pending lot unless it is preferred", lots: [held, never], amount: 50, expected: ["never:50"] },
    { name: "the preferred lot first even when it expires last", lots: [march, never, june], amount: 150, preferLotId: "never", expected: ["never:100", "march:50"] },
    { name: "the preferred lot even while pending, from the pending account", lots: [held, never], amount: 150, preferLotId: "held", expected: ["held:100", "never:50"] },
    { name: "the usual order when the preferred lot is gone", lots: [june, march], amount: 50, preferLotId: "spent", expected: ["march:50"] },
    { name: "the usual order when no lot is preferred (null)", lots: [june, march], amount: 50, preferLotId: null, expected: ["march:50"] },
    { name: "nothing for an amount of zero", lots: [june], amount: 0, expected: [] },
  ])("spends $name", ({ lots, amount, preferLotId, expected }) => {
    expect(taken(holdings(lots), debit(amount, { preferLotId }))).toEqual(expected);
  });

  it("posts from the account each lot's value sits in, to the destination, and updates the lots", () => {
    const r = planDebit(holdings([held, june]), debit(130, { preferLotId: "held", destination: WORLD }));
    expect(r).toEqual({
      ok: true,
      value: {
        postings: [
          { source: P, destination: WORLD, asset: "points", amount: 100, lotId: "held" },
          { source: A, destination: WORLD, asset: "points", amount: 30, lotId: "june" },
        ],
        newLots: [],
        lotUpdates: [
          { lotId: "held", remaining: 0, pending: true },
          { lotId: "june", remaining: 70, pending: false },
        ],
        shortfall: 0,
      },
    });
  });

  it("does not change the holdings it is given", () => {
    const h = holdings([june, march]);
    const before = structuredClone(h);
    planDebit(h, debit(150));
    expect(h).toEqual(before);
  });
});

describe("planDebit: when the lots do not cover the amount", () => {
  it("rejects with INSUFFICIENT_POINTS saying what is available and what is needed", () => {
    const r = planDebit(holdings([june, march]), debit(201));
    expect(r).toEqual({ ok: false, error: { code: "INSUFFICIENT_POINTS", message: "The customer has 200 available; 201 are needed.", details: { available: 200, required: 201 } } });
  });

  it("reports zero available, not a negative number, when the balance is already negative", () => {
    const r = planDebit(holdings([], -40), debit(10));
    expect(!r.ok && r.error.details).toEqual({ available: 0, required: 10 });
  });

  it("does not count pending value as available when rejecting", () => {
    const r = planDebit(holdings([held, never]), debit(150));
    expect(!r.ok && r.error.code).toBe("INSUFFICIENT_POINTS");
  });

  it("with `negative`, posts the rest from the available account with no lot (a clawback)", () => {
    const h = holdings([march]);
    const r = planDebit(h, debit(130, { destination: WORLD, onShortfall: "negative" }));
    expect(r.ok && r.value.postings).toEqual([
      { source: A, destination: WORLD, asset: "points", amount: 100, lotId: "march" },
      { source: A, destination: WORLD, asset: "points", amount: 30, lotId: null },
    ]);
    expect(r.ok && r.value.shortfall).toBe(0);
    expect(r.ok && applyPlan(h, r.value)).toMatchObject({ available: -30, lots: [] });
  });

  it("with `negative`, takes the preferred pending lot and then goes negative on the available account", () => {
    const h = holdings([held]);
    const r = planDebit(h, debit(120, { destination: WORLD, preferLotId: "held", onShortfall: "negative" }));
    expect(r.ok && applyPlan(h, r.value)).toMatchObject({ available: -20, pending: 0, lots: [] });
  });

  it("with `negative`, deepens a balance that is already negative", () => {
    const r = planDebit(holdings([], -40), debit(10, { onShortfall: "negative" }));
    expect(r.ok && r.value.postings).toEqual([{ source: A, destination: REDEEMED, asset: "points", amount: 10, lotId: null }]);
  });

  it("with `cap`, takes what there is and records the rest as shortfall, never posted", () => {
    const h = holdings([march]);
    const r = planDebit(h, debit(130, { destination: WORLD, onShortfall: "cap" }));
    expect(r.ok && r.value.postings).toEqual([{ source: A, destination: WORLD, asset: "points", amount: 100, lotId: "march" }]);
    expect(r.ok && r.value.shortfall).toBe(30);
    expect(r.ok && applyPlan(h, r.value)).toMatchObject({ available: 0, lots: [] });
  });
});

describe("spendOrder", () => {
  it("sorts soonest expiry, then never-expiring, each oldest first, then by id", () => {
    const lots = [never, lot("b", 1, { expiresAt: june.expiresAt }), june, march, lot("a", 1)];
    expect([...lots].sort(spendOrder).map((l) => l.id)).toEqual(["march", "b", "june", "never", "a"]);
  });

  it("is a total order: a lot compares equal only to itself", () => {
    expect(spendOrder(june, june)).toBe(0);
    expect(Math.sign(spendOrder(lot("x", 1), lot("y", 1)))).toBe(-Math.sign(spendOrder(lot("y", 1), lot("x", 1))));
  });
});
