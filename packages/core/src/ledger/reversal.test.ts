import { describe, expect, it } from "vitest";
import { available, EXPIRED, pending, REDEEMED, WORLD } from "./accounts.ts";
import { applyPlan, planReversal } from "./plan.ts";
import type { Holdings, Lot, Posting } from "./types.ts";

const C = "c1";
const A = available(C);
const P = pending(C);
const t = (iso: string) => new Date(iso);

const lot = (id: string, remaining: number, o: Partial<Lot> = {}): Lot => ({
  id, customerId: C, asset: "points", amount: remaining, remaining, pending: false, pendingUntil: null, expiresAt: null, createdAt: t("2024-01-01T00:00:00Z"), ...o,
});
const holdings = (lots: Lot[], availableBalance?: number): Holdings => ({
  customerId: C,
  asset: "points",
  available: availableBalance ?? lots.filter((l) => !l.pending).reduce((a, l) => a + l.remaining, 0),
  pending: lots.filter((l) => l.pending).reduce((a, l) => a + l.remaining, 0),
  lots: lots.filter((l) => l.remaining > 0),
});
const move = (source: string, destination: string, amount: number, lotId: string | null): Posting => ({ source, destination, asset: "points", amount, lotId });
/** Lot balances agree with account balances (the invariant in types.ts). */
const coherent = (h: Holdings) => {
  expect(h.lots.filter((l) => l.pending).reduce((a, l) => a + l.remaining, 0)).toBe(h.pending);
  expect(h.lots.filter((l) => !l.pending).reduce((a, l) => a + l.remaining, 0)).toBe(Math.max(0, h.available));
};

describe("planReversal of a credit", () => {
  const earned = lot("earned", 100, { expiresAt: t("2024-12-31T00:00:00Z") });
  const sooner = lot("sooner", 100, { expiresAt: t("2024-02-01T00:00:00Z") });

  it("takes the value back from the same lot first, even when another lot expires sooner", () => {
    const r = planReversal(holdings([sooner, earned]), [move(WORLD, A, 100, "earned")], false);
    expect(r).toEqual({
      ok: true,
      value: { postings: [move(A, WORLD, 100, "earned")], newLots: [], lotUpdates: [{ lotId: "earned", remaining: 0, pending: false }], shortfall: 0 },
    });
  });

  it("takes the rest from other lots, soonest-expiring first, when the lot was partly spent", () => {
    const r = planReversal(holdings([lot("never", 100), sooner, { ...earned, remaining: 40 }]), [move(WORLD, A, 100, "earned")], false);
    expect(r.ok && r.value.postings).toEqual([move(A, WORLD, 40, "earned"), move(A, WORLD, 60, "sooner")]);
  });

  it("takes a still-pending credit back from the pending account", () => {
    const h = holdings([lot("held", 100, { pending: true, pendingUntil: t("2024-02-01T00:00:00Z") })]);
    const r = planReversal(h, [move(WORLD, P, 100, "held")], false);
    expect(r.ok && r.value.postings).toEqual([move(P, WORLD, 100, "held")]);
    expect(r.ok && applyPlan(h, r.value)).toMatchObject({ available: 0, pending: 0, lots: [] });
  });

  it("takes a credit back from the available account once its lot was released", () => {
    const h = holdings([lot("held", 100, { pending: false, pendingUntil: t("2024-02-01T00:00:00Z") })]);
    const r = planReversal(h, [move(WORLD, P, 100, "held")], false);
    expect(r.ok && r.value.postings).toEqual([move(A, WORLD, 100, "held")]);
  });

  it("rejects with INSUFFICIENT_POINTS when the customer no longer has the value", () => {
    const r = planReversal(holdings([{ ...earned, remaining: 30 }]), [move(WORLD, A, 100, "earned")], false);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: "INSUFFICIENT_POINTS", details: { available: 30, required: 100 } });
  });

  it("with force, takes what is there and records the rest as a clawback, leaving the balance negative", () => {
    const h = holdings([{ ...earned, remaining: 30 }]);
    const r = planReversal(h, [move(WORLD, A, 100, "earned")], true);
    expect(r.ok && r.value.postings).toEqual([move(A, WORLD, 30, "earned"), move(A, WORLD, 70, null)]);
    const after = r.ok ? applyPlan(h, r.value) : h;
    expect(after.available).toBe(-70);
    coherent(after);
  });

  it("with force, restores the debt that the credit repaid", () => {
    // The credit of 100 went to a balance of −50: its lot kept 50.
    const h = holdings([{ ...earned, remaining: 50 }]);
    expect(planReversal(h, [move(WORLD, A, 100, "earned")], false).ok).toBe(false);
    const r = planReversal(h, [move(WORLD, A, 100, "earned")], true);
    expect(r.ok && applyPlan(h, r.value)).toMatchObject({ available: -50, lots: [] });
  });

  it("does not take back again the part of the credit that expired: only the spent part, from other lots", () => {
    // 100 into "earned": 30 spent, the other 70 expired, so the lot is empty.
    const h = holdings([lot("never", 50)]);
    const r = planReversal(h, [move(WORLD, A, 100, "earned")], false, new Map([["earned", 70]]));
    expect(r.ok && r.value.postings).toEqual([move(A, WORLD, 30, "never")]);
  });

  it("with force, the clawback covers only the spent part, never the expired one", () => {
    const r = planReversal(holdings([]), [move(WORLD, A, 100, "earned")], true, new Map([["earned", 60]]));
    expect(r.ok && r.value.postings).toEqual([move(A, WORLD, 40, null)]);
    expect(r.ok && applyPlan(holdings([]), r.value).available).toBe(-40);
  });

  it("takes nothing back from a credit that expired whole", () => {
    const r = planReversal(holdings([lot("never", 50)]), [move(WORLD, A, 100, "earned")], true, new Map([["earned", 100]]));
    expect(r).toEqual({ ok: true, value: { postings: [], newLots: [], lotUpdates: [], shortfall: 0 } });
  });
});

describe("planReversal of a debit", () => {
  it("puts the value back into the lots it came from, including a lot that was used up", () => {
    const spent = lot("spent", 0, { amount: 60 });
    const part = lot("part", 10, { amount: 50 });
    const h = holdings([spent, part]);
    const debit = [move(A, REDEEMED, 60, "spent"), move(A, REDEEMED, 40, "part")];
    const r = planReversal(h, debit, false);
    expect(r).toEqual({
      ok: true,
      value: {
        postings: [move(REDEEMED, A, 40, "part"), move(REDEEMED, A, 60, "spent")],
        newLots: [],
        lotUpdates: [
          { lotId: "part", remaining: 50, pending: false },
          { lotId: "spent", remaining: 60, pending: false },
        ],
        shortfall: 0,
      },
    });
    // The used-up lot is not in the holdings: the caller supplies it to applyPlan.
    const after = r.ok ? applyPlan(h, r.value, new Map([["spent", spent]])) : h;
    expect(after.available).toBe(110);
    expect(after.lots.map((l) => [l.id, l.remaining])).toEqual([["part", 50], ["spent", 60]]);
    coherent(after);
  });

  it("puts value back into a lot that is still pending, in the pending account", () => {
    const held = lot("held", 70, { amount: 100, pending: true, pendingUntil: t("2024-02-01T00:00:00Z") });
    const h = holdings([held]);
    const r = planReversal(h, [move(P, WORLD, 30, "held")], false);
    expect(r.ok && r.value.postings).toEqual([move(WORLD, P, 30, "held")]);
    expect(r.ok && r.value.lotUpdates).toEqual([{ lotId: "held", remaining: 100, pending: true }]);
    expect(r.ok && applyPlan(h, r.value)).toMatchObject({ available: 0, pending: 100 });
  });

  it("pays a negative balance first with the value it puts back", () => {
    const used = lot("used", 0, { amount: 50 });
    const h = holdings([], -30);
    const r = planReversal(h, [move(A, REDEEMED, 50, "used")], false);
    expect(r.ok && r.value.lotUpdates).toEqual([{ lotId: "used", remaining: 20, pending: false }]);
    const after = r.ok ? applyPlan(h, r.value, new Map([["used", used]])) : h;
    expect(after.available).toBe(20);
    coherent(after);
  });

  it("puts expired value back into its lot", () => {
    const gone = lot("gone", 0, { amount: 40, expiresAt: t("2024-02-01T00:00:00Z") });
    const r = planReversal(holdings([]), [move(A, EXPIRED, 40, "gone")], false);
    expect(r.ok && r.value.postings).toEqual([move(EXPIRED, A, 40, "gone")]);
    expect(r.ok && applyPlan(holdings([]), r.value, new Map([["gone", gone]]))).toMatchObject({ available: 40, lots: [{ id: "gone", remaining: 40 }] });
  });

  it("undoes a clawback that went negative: the balance and the lot come back together", () => {
    // Earned 100 into lot "order", then a clawback of 150 took the lot and 50 more (lotless).
    const order = lot("order", 0, { amount: 100 });
    const h = holdings([], -50);
    const clawback = [move(A, WORLD, 100, "order"), move(A, WORLD, 50, null)];
    const r = planReversal(h, clawback, false);
    const after = r.ok ? applyPlan(h, r.value, new Map([["order", order]])) : h;
    expect(after).toMatchObject({ available: 100, pending: 0, lots: [{ id: "order", remaining: 100 }] });
    coherent(after);
  });
});

describe("planReversal: what cannot be reversed", () => {
  it.each([
    { name: "a release (pending → available)", postings: [move(P, A, 50, "p")] },
    { name: "a settlement that released and expired", postings: [move(P, A, 50, "p"), move(A, EXPIRED, 50, "p")] },
    { name: "a transfer back from available to pending", postings: [move(A, P, 50, "p")] },
  ])("rejects $name with REVERSAL_NOT_ALLOWED", ({ postings }) => {
    const h = holdings([lot("p", 50)]);
    const r = planReversal(h, postings, true);
    expect(!r.ok && r.error.code).toBe("REVERSAL_NOT_ALLOWED");
  });

  it("reverses a transaction of another customer's accounts as nothing for this customer", () => {
    const r = planReversal(holdings([]), [move(WORLD, available("c2"), 10, "x")], false);
    expect(r).toEqual({ ok: true, value: { postings: [], newLots: [], lotUpdates: [], shortfall: 0 } });
  });
});
