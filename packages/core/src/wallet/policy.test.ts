import { describe, expect, it } from "vitest";
import { cashPendingUntil, checkPayoutAmount, checkWalletPolicy, DEFAULT_WALLET_POLICY, walletPolicy } from "./policy.ts";

describe("walletPolicy", () => {
  it("null is every default: payouts on from 1, no maximum, no hold; bonus may pay a whole order", () => {
    expect(walletPolicy(null)).toEqual(DEFAULT_WALLET_POLICY);
    expect(walletPolicy(null)).toEqual({ payouts: { enabled: true, minAmount: 1, maxAmount: null, holdDays: 0 }, checkout: { bonusMaxPercent: 100 } });
  });
  it("fills what a stored policy leaves out, and keeps what it says", () => {
    expect(walletPolicy({ payouts: { minAmount: 5_000, holdDays: 14 } })).toEqual({ payouts: { enabled: true, minAmount: 5_000, maxAmount: null, holdDays: 14 }, checkout: { bonusMaxPercent: 100 } });
    expect(walletPolicy({ checkout: { bonusMaxPercent: 30 }, payouts: { maxAmount: 100_000, enabled: false } })).toEqual({ payouts: { enabled: false, minAmount: 1, maxAmount: 100_000, holdDays: 0 }, checkout: { bonusMaxPercent: 30 } });
  });
  it("an explicit undefined does not erase a default", () => {
    expect(walletPolicy({ payouts: { minAmount: undefined } }).payouts.minAmount).toBe(1);
  });
});

describe("checkWalletPolicy", () => {
  it.each([
    { policy: {}, bad: null },
    { policy: { payouts: { minAmount: 1_000, maxAmount: 1_000 } }, bad: null },
    { policy: { payouts: { minAmount: 0 } }, bad: "payouts.minAmount" },
    { policy: { payouts: { minAmount: 1.5 } }, bad: "payouts.minAmount" },
    { policy: { payouts: { maxAmount: 0 } }, bad: "payouts.maxAmount" },
    { policy: { payouts: { minAmount: 2_000, maxAmount: 1_000 } }, bad: "must not be above" },
    { policy: { payouts: { holdDays: -1 } }, bad: "holdDays" },
    { policy: { payouts: { holdDays: 366 } }, bad: "holdDays" },
    { policy: { checkout: { bonusMaxPercent: 101 } }, bad: "bonusMaxPercent" },
    { policy: { checkout: { bonusMaxPercent: 12.5 } }, bad: "bonusMaxPercent" },
  ])("$policy → $bad", ({ policy, bad }) => {
    const r = checkWalletPolicy(policy);
    if (bad === null) expect(r).toBeNull();
    else expect(r).toContain(bad);
  });
});

describe("checkPayoutAmount", () => {
  const policy = walletPolicy({ payouts: { minAmount: 1_000, maxAmount: 50_000 } });
  it.each([
    { amount: 1_000, ok: true },
    { amount: 50_000, ok: true },
    { amount: 999, ok: false, message: "at least 1000" },
    { amount: 50_001, ok: false, message: "at most 50000" },
    { amount: 0, ok: false, message: "positive" },
    { amount: 1_000.5, ok: false, message: "positive whole" },
  ])("$amount → ok $ok", ({ amount, ok, message }) => {
    const r = checkPayoutAmount(policy, amount);
    if (ok) expect(r).toBeNull();
    else {
      expect(r?.code).toBe("PAYOUT_INVALID");
      expect(r?.message).toContain(message);
      expect(r?.details).toMatchObject({ amount, minAmount: 1_000, maxAmount: 50_000 });
    }
  });
  it("refuses every amount when payouts are off", () => {
    expect(checkPayoutAmount(walletPolicy({ payouts: { enabled: false } }), 5_000)?.code).toBe("PAYOUT_INVALID");
  });
  it("no maximum when maxAmount is null", () => {
    expect(checkPayoutAmount(walletPolicy(null), 999_999_999)).toBeNull();
  });
});

describe("cashPendingUntil", () => {
  const at = new Date("2026-03-10T03:00:00Z");
  it("holds cash for holdDays whole days", () => {
    expect(cashPendingUntil(walletPolicy({ payouts: { holdDays: 14 } }), at)?.toISOString()).toBe("2026-03-24T03:00:00.000Z");
  });
  it("no hold: available at once", () => {
    expect(cashPendingUntil(walletPolicy(null), at)).toBeNull();
  });
  it("the longer of the hold and the credit's own pending days", () => {
    expect(cashPendingUntil(walletPolicy({ payouts: { holdDays: 7 } }), at, 30)?.toISOString()).toBe("2026-04-09T03:00:00.000Z");
    expect(cashPendingUntil(walletPolicy({ payouts: { holdDays: 30 } }), at, 7)?.toISOString()).toBe("2026-04-09T03:00:00.000Z");
  });
});
