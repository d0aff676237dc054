import { describe, expect, it } from "vitest";
import { available, pending, WORLD } from "./accounts.ts";
import { applyPlan, planCredit, type CreditInput } from "./plan.ts";
import type { Holdings, Lot } from "./types.ts";

const C = "c1";
const t = (iso: string) => new Date(iso);
const NOW = t("2024-06-01T00:00:00Z");

const lot = (id: string, remaining: number, o: Partial<Lot> = {}): Lot => ({
  id, customerId: C, asset: "points", amount: remaining, remaining, pending: false, pendingUntil: null, expiresAt: null, createdAt: t("2024-01-01T00:00:00Z"), ...o,
});
const holdings = (availableBalance: number, lots: Lot[] = [], pendingBalance = 0): Holdings => ({ customerId: C, asset: "points", available: availableBalance, pending: pendingBalance, lots });
const credit = (o: Partial<CreditInput> = {}): CreditInput => ({ amount: 100, lotId: "new", effectiveAt: NOW, pendingUntil: null, expiresAt: null, now: NOW, ...o });

describe("planCredit", () => {
  it("credits the available account from world as a new lot when there is no pending period", () => {
    const expiresAt = t("2024-12-31T17:00:00Z");
    const plan = planCredit(holdings(0), credit({ expiresAt }));
    expect(plan.postings).toEqual([{ source: WORLD, destination: available(C), asset: "points", amount: 100, lotId: "new" }]);
    expect(plan.newLots).toEqual([{ id: "new", customerId: C, asset: "points", amount: 100, remaining: 100, pending: false, pendingUntil: null, expiresAt, createdAt: NOW }]);
    expect(plan.lotUpdates).toEqual([]);
    expect(plan.shortfall).toBe(0);
  });

  it("credits the pending account while the pending period has not passed", () => {
    const pendingUntil = t("2024-06-15T00:00:00Z");
    const plan = planCredit(holdings(0), credit({ pendingUntil }));
    expect(plan.postings).toEqual([{ source: WORLD, destination: pending(C), asset: "points", amount: 100, lotId: "new" }]);
    expect(plan.newLots[0]).toMatchObject({ remaining: 100, pending: true, pendingUntil });
  });

  it.each([
    { name: "ends exactly now", pendingUntil: NOW },
    { name: "ended before now (a late, backdated credit)", pendingUntil: t("2024-05-01T00:00:00Z") },
  ])("credits the available account when the pending period $name", ({ pendingUntil }) => {
    const plan = planCredit(holdings(0), credit({ pendingUntil, effectiveAt: t("2024-04-01T00:00:00Z") }));
    expect(plan.postings[0]!.destination).toBe(available(C));
    expect(plan.newLots[0]).toMatchObject({ pending: false, pendingUntil, createdAt: t("2024-04-01T00:00:00Z") });
  });

  it("credits from the given source account", () => {
    expect(planCredit(holdings(0), credit({ source: "promo:spring" })).postings[0]!.source).toBe("promo:spring");
  });

  it.each([
    { name: "pays a negative available balance first, keeping the rest in the lot", balance: -30, remaining: 70 },
    { name: "leaves an empty lot when the debt is as large as the credit", balance: -100, remaining: 0 },
    { name: "leaves an empty lot when the debt is larger than the credit", balance: -250, remaining: 0 },
    { name: "keeps the whole credit in the lot when the balance is not negative", balance: 40, remaining: 100 },
  ])("$name", ({ balance, remaining }) => {
    const h = holdings(balance, balance > 0 ? [lot("old", balance)] : []);
    const plan = planCredit(h, credit());
    expect(plan.postings).toEqual([{ source: WORLD, destination: available(C), asset: "points", amount: 100, lotId: "new" }]);
    expect(plan.newLots[0]).toMatchObject({ amount: 100, remaining });
    const after = applyPlan(h, plan);
    expect(after.available).toBe(balance + 100);
    expect(after.lots.reduce((a, l) => a + l.remaining, 0)).toBe(Math.max(0, after.available));
  });

  it("does not pay debt with value that is still pending", () => {
    const plan = planCredit(holdings(-30), credit({ pendingUntil: t("2024-06-15T00:00:00Z") }));
    expect(plan.newLots[0]).toMatchObject({ remaining: 100, pending: true });
    expect(applyPlan(holdings(-30), plan)).toMatchObject({ available: -30, pending: 100 });
  });

  it.each([0, -5])("plans nothing for an amount of %i", (amount) => {
    expect(planCredit(holdings(0), credit({ amount }))).toEqual({ postings: [], newLots: [], lotUpdates: [], shortfall: 0 });
  });

  it("does not change the holdings it is given", () => {
    const h = holdings(-30, []);
    const before = structuredClone(h);
    planCredit(h, credit());
    expect(h).toEqual(before);
  });
});
