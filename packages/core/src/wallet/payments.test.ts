import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { domainError } from "../errors.ts";
import { walletPolicy } from "./policy.ts";
import { checkPaymentSplit, splitPayment, type GiftCardSource, type PaymentRequest, type PaymentSources } from "./payments.ts";

const policy = walletPolicy(null);
const card = (code: string, available: number, refusal: GiftCardSource["refusal"] = null): GiftCardSource => ({ code, giftCardId: `gcd_${code}`, available, refusal });
const sources = (o: Partial<PaymentSources> = {}): PaymentSources => ({ giftCards: [], bonus: 0, cash: 0, ...o });

describe("splitPayment: who pays what", () => {
  it("gift cards first, in the order given, then bonus, then cash; the store charges the rest", () => {
    const s = splitPayment({ total: 10_000, request: { giftCards: ["A", "B"], bonus: "max", cash: "max" }, sources: sources({ giftCards: [card("A", 3_000), card("B", 2_000)], bonus: 4_000, cash: 5_000 }), policy, giftCardPurchase: false });
    expect(s.giftCards.map((g) => g.amount)).toEqual([3_000, 2_000]);
    expect(s.bonus).toEqual({ requested: "max", balance: 4_000, amount: 4_000, shortfall: 0 });
    expect(s.cash).toEqual({ requested: "max", balance: 5_000, amount: 1_000, shortfall: 0 });
    expect(s).toMatchObject({ paid: 10_000, amountDue: 0 });
  });
  it("a gift card larger than the cart pays the cart only, and the later sources pay nothing", () => {
    const s = splitPayment({ total: 2_500, request: { giftCards: ["A"], bonus: "max" }, sources: sources({ giftCards: [card("A", 10_000)], bonus: 900 }), policy, giftCardPurchase: false });
    expect(s.giftCards[0]).toMatchObject({ amount: 2_500, balance: 10_000 });
    expect(s.bonus).toMatchObject({ amount: 0, shortfall: 0 });
    expect(s.amountDue).toBe(0);
  });
  it("a number is an upper bound: no more than asked, no more than is left to pay", () => {
    const s = splitPayment({ total: 5_000, request: { bonus: 1_200, cash: 9_000 }, sources: sources({ bonus: 4_000, cash: 9_000 }), policy, giftCardPurchase: false });
    expect(s.bonus).toMatchObject({ amount: 1_200, shortfall: 0 });
    expect(s.cash).toMatchObject({ amount: 3_800, shortfall: 0 });
    expect(s.amountDue).toBe(0);
  });
  it("a number the balance does not cover pays the balance and shows the shortfall", () => {
    const s = splitPayment({ total: 5_000, request: { bonus: 3_000 }, sources: sources({ bonus: 2_000 }), policy, giftCardPurchase: false });
    expect(s.bonus).toEqual({ requested: 3_000, balance: 2_000, amount: 2_000, shortfall: 1_000 });
    expect(s.amountDue).toBe(3_000);
    expect(checkPaymentSplit(s, sources({ bonus: 2_000 }))).toMatchObject({ code: "INSUFFICIENT_FUNDS", details: { asset: "bonus", available: 2_000, required: 3_000 } });
  });
  it("a number above what is left to pay is no shortfall (it is capped by the cart first)", () => {
    const s = splitPayment({ total: 1_000, request: { bonus: 3_000 }, sources: sources({ bonus: 2_000 }), policy, giftCardPurchase: false });
    expect(s.bonus).toMatchObject({ amount: 1_000, shortfall: 0 });
    expect(checkPaymentSplit(s, sources({ bonus: 2_000 }))).toBeNull();
  });
  it("\"max\" never falls short: an empty balance pays 0", () => {
    const s = splitPayment({ total: 1_000, request: { cash: "max" }, sources: sources(), policy, giftCardPurchase: false });
    expect(s.cash).toMatchObject({ amount: 0, shortfall: 0 });
    expect(checkPaymentSplit(s, sources())).toBeNull();
  });
  it("the bonus pays at most the policy's share of the total, rounded down", () => {
    const s = splitPayment({ total: 9_999, request: { bonus: "max", cash: "max" }, sources: sources({ bonus: 9_999, cash: 9_999 }), policy: walletPolicy({ checkout: { bonusMaxPercent: 30 } }), giftCardPurchase: false });
    expect(s.bonus?.amount).toBe(2_999);
    expect(s.cash?.amount).toBe(7_000);
  });
  it("a number above the bonus share is capped by it, not refused", () => {
    const s = splitPayment({ total: 10_000, request: { bonus: 5_000 }, sources: sources({ bonus: 5_000 }), policy: walletPolicy({ checkout: { bonusMaxPercent: 30 } }), giftCardPurchase: false });
    expect(s.bonus).toMatchObject({ amount: 3_000, shortfall: 0 });
  });
  it("a card that cannot pay pays nothing and says why; completion refuses with its error", () => {
    const refusal = domainError("GIFT_CARD_NOT_USABLE", "This gift card is disabled.", { code: "A", reason: "disabled" });
    const src = sources({ giftCards: [card("A", 5_000, refusal), card("B", 1_000)] });
    const s = splitPayment({ total: 3_000, request: { giftCards: ["A", "B"] }, sources: src, policy, giftCardPurchase: false });
    expect(s.giftCards).toEqual([
      { code: "A", giftCardId: "gcd_A", balance: 5_000, amount: 0, error: { code: "GIFT_CARD_NOT_USABLE", message: "This gift card is disabled." } },
      { code: "B", giftCardId: "gcd_B", balance: 1_000, amount: 1_000 },
    ]);
    expect(checkPaymentSplit(s, src)).toBe(refusal);
  });
  it("a gift card cannot pay for a cart that buys a gift card", () => {
    const src = sources({ giftCards: [card("A", 5_000)], bonus: 1_000 });
    const s = splitPayment({ total: 3_000, request: { giftCards: ["A"], bonus: "max" }, sources: src, policy, giftCardPurchase: true });
    expect(s.giftCards[0]).toMatchObject({ amount: 0, error: { code: "GIFT_CARD_NOT_USABLE" } });
    expect(s.bonus?.amount).toBe(1_000);
    expect(checkPaymentSplit(s, src)).toMatchObject({ code: "GIFT_CARD_NOT_USABLE", details: { code: "A", reason: "gift_card_purchase" } });
  });
  it("a free cart is paid by nobody", () => {
    const s = splitPayment({ total: 0, request: { giftCards: ["A"], bonus: "max", cash: 500 }, sources: sources({ giftCards: [card("A", 100)], bonus: 100, cash: 100 }), policy, giftCardPurchase: false });
    expect(s).toMatchObject({ paid: 0, amountDue: 0, bonus: { amount: 0, shortfall: 0 }, cash: { amount: 0, shortfall: 0 } });
  });
  it("sources not asked for are null", () => {
    expect(splitPayment({ total: 100, request: {}, sources: sources({ bonus: 100 }), policy, giftCardPurchase: false })).toEqual({ giftCards: [], bonus: null, cash: null, paid: 0, amountDue: 100 });
  });
});

describe("splitPayment: invariants", () => {
  const amountArb = fc.oneof(fc.constant<"max">("max"), fc.integer({ min: 1, max: 50_000 }));
  it("never pays more than the total, any balance or the bonus share; paid + due = total", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.option(amountArb, { nil: undefined }),
        fc.option(amountArb, { nil: undefined }),
        fc.integer({ min: 0, max: 100 }),
        (total, cards, bonus, cash, bonusReq, cashReq, share) => {
          const src = sources({ giftCards: cards.map((a, i) => card(`C${i}`, a)), bonus, cash });
          const request: PaymentRequest = { giftCards: cards.map((_, i) => `C${i}`), bonus: bonusReq, cash: cashReq };
          const s = splitPayment({ total, request, sources: src, policy: walletPolicy({ checkout: { bonusMaxPercent: share } }), giftCardPurchase: false });
          expect(s.paid + s.amountDue).toBe(total);
          expect(s.paid).toBeLessThanOrEqual(total);
          s.giftCards.forEach((g, i) => expect(g.amount).toBeLessThanOrEqual(cards[i]!));
          expect(s.bonus?.amount ?? 0).toBeLessThanOrEqual(Math.min(bonus, Math.floor((total * share) / 100)));
          expect(s.cash?.amount ?? 0).toBeLessThanOrEqual(cash);
          for (const p of [s.bonus, s.cash]) if (p && p.requested !== "max") expect(p.amount).toBeLessThanOrEqual(p.requested);
          expect([s.paid, s.amountDue, ...s.giftCards.map((g) => g.amount)].every(Number.isSafeInteger)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
