import { describe, expect, it } from "vitest";
import { available, pending, WORLD } from "../ledger/accounts.ts";
import { applyPlan } from "../ledger/plan.ts";
import type { Holdings, Lot } from "../ledger/types.ts";
import { PAYOUT_ACTIONS, PAYOUT_STATUSES, payoutHoldAccount, payoutTransition, planPayoutHold, planPayoutPaid, planWalletDebit, type PayoutAction, type PayoutStatus } from "./payouts.ts";

const t = (iso: string) => new Date(iso);
const lot = (id: string, remaining: number, o: Partial<Lot> = {}): Lot => ({
  id, customerId: "c1", asset: "cash", amount: remaining, remaining, pending: false, pendingUntil: null, expiresAt: null, createdAt: t("2026-01-01T00:00:00Z"), ...o,
});
const holdings = (lots: Lot[], asset: Holdings["asset"] = "cash"): Holdings => ({
  customerId: "c1",
  asset,
  available: lots.filter((l) => !l.pending).reduce((n, l) => n + l.remaining, 0),
  pending: lots.filter((l) => l.pending).reduce((n, l) => n + l.remaining, 0),
  lots: lots.map((l) => ({ ...l, asset })),
});

describe("payoutTransition", () => {
  const allowed: Record<string, PayoutStatus> = { "pending/approve": "approved", "approved/pay": "paid", "pending/reject": "rejected", "approved/reject": "rejected" };
  const cases = PAYOUT_STATUSES.flatMap((from) => PAYOUT_ACTIONS.map((action) => ({ from, action, to: allowed[`${from}/${action}`] ?? null })));
  it.each(cases)("$from + $action → $to", ({ from, action, to }) => {
    const r = payoutTransition(from, action as PayoutAction);
    if (to) expect(r).toEqual({ ok: true, value: to });
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe("PAYOUT_STATE_CONFLICT");
        expect(r.error.details).toMatchObject({ status: from, action });
      }
    }
  });
  it("says to approve first when a pending payout is paid", () => {
    const r = payoutTransition("pending", "pay");
    expect(!r.ok && r.error.message).toContain("Approve it first");
  });
});

describe("planPayoutHold", () => {
  it("moves available cash, soonest-expiring lots first, to the payout's hold account", () => {
    const h = holdings([lot("late", 5_000, { expiresAt: t("2026-12-01T00:00:00Z") }), lot("soon", 3_000, { expiresAt: t("2026-06-01T00:00:00Z") })]);
    const r = planPayoutHold(h, 4_000, "pyt_1");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.postings).toEqual([
      { source: available("c1"), destination: "payout:pyt_1", asset: "cash", amount: 3_000, lotId: "soon" },
      { source: available("c1"), destination: "payout:pyt_1", asset: "cash", amount: 1_000, lotId: "late" },
    ]);
    expect(applyPlan(h, r.value).available).toBe(4_000);
  });
  it("cannot take held (pending) cash: INSUFFICIENT_FUNDS with what is available", () => {
    const h = holdings([lot("free", 1_000), lot("held", 9_000, { pending: true, pendingUntil: t("2026-04-01T00:00:00Z") })]);
    const r = planPayoutHold(h, 2_000, "pyt_1");
    expect(r).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_FUNDS", details: { asset: "cash", available: 1_000, required: 2_000 } } });
    expect(pending("c1")).toBe("customer:c1:pending");
  });
  it("never pays out the bonus balance", () => {
    const r = planPayoutHold(holdings([lot("b", 10_000)], "bonus"), 1_000, "pyt_1");
    expect(r).toMatchObject({ ok: false, error: { code: "PAYOUT_INVALID", details: { asset: "bonus" } } });
  });
});

describe("planPayoutPaid and planWalletDebit", () => {
  it("a paid payout moves its hold to world, lotless", () => {
    expect(planPayoutPaid(2_500, "pyt_9").postings).toEqual([{ source: payoutHoldAccount("pyt_9"), destination: WORLD, asset: "cash", amount: 2_500, lotId: null }]);
  });
  it("a wallet debit never goes below zero", () => {
    const r = planWalletDebit(holdings([lot("a", 700)], "bonus"), 701, WORLD);
    expect(r).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_FUNDS", details: { asset: "bonus", available: 700, required: 701 } } });
    const ok = planWalletDebit(holdings([lot("a", 700)], "bonus"), 700, WORLD);
    expect(ok.ok && ok.value.postings.map((p) => p.amount)).toEqual([700]);
  });
});
