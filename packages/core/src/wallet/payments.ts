import { applyRate } from "../money/rate.ts";
import { domainError, type DomainError } from "../errors.ts";
import type { WalletPolicy } from "./policy.ts";

/** How much of a balance to spend: a number of minor units at most, or "max" (as much as it can). */
export type PaymentAmount = number | "max";

/** What a checkout asks the wallet to pay, beside the store's own payment for the rest. */
export interface PaymentRequest {
  bonus?: PaymentAmount | undefined;
  cash?: PaymentAmount | undefined;
  /** Gift card codes, in the order the customer gave them. */
  giftCards?: string[] | undefined;
}

/** One gift card as the checkout found it: its spendable balance, or why it cannot pay. */
export interface GiftCardSource {
  /** The code as stored (normalised). */
  code: string;
  giftCardId: string | null;
  available: number;
  /** GIFT_CARD_NOT_FOUND or GIFT_CARD_NOT_USABLE; null when the card can pay. */
  refusal: DomainError | null;
}

export interface PaymentSources {
  giftCards: GiftCardSource[];
  /** Available (spendable now) balances of the customer; 0 for a guest. */
  bonus: number;
  cash: number;
}

export interface BalancePayment {
  requested: PaymentAmount;
  balance: number;
  /** What the balance pays. */
  amount: number;
  /** A number asked for that the balance does not cover (what it would have paid, less what it pays); completion refuses it. */
  shortfall: number;
}

export interface GiftCardPayment {
  code: string;
  giftCardId: string | null;
  balance: number;
  amount: number;
  error?: { code: string; message: string } | undefined;
}

export interface PaymentSplit {
  giftCards: GiftCardPayment[];
  bonus: BalancePayment | null;
  cash: BalancePayment | null;
  /** What the wallet pays in all. */
  paid: number;
  /** What is left for the store to charge. */
  amountDue: number;
}

/**
 * How a checkout's total (after discounts) is paid from the wallet: gift cards first, in the order
 * given, then the bonus balance, then cash; the store charges the rest. Gift cards go first because
 * they are money someone else paid and may expire; bonus before cash because bonus can only be spent
 * here, while cash can also be withdrawn. No source pays more than what is left of the total or
 * more than its balance, the bonus no more than the policy's share of the total, and a gift card
 * never pays for a cart that buys a gift card.
 *
 * @example splitPayment({ total: 12_000, request: { bonus: "max" }, sources: { giftCards: [], bonus: 4_500, cash: 0 }, policy, giftCardPurchase: false })
 *   // bonus pays 4,500, amountDue 7,500
 */
export function splitPayment(x: { total: number; request: PaymentRequest; sources: PaymentSources; policy: WalletPolicy; giftCardPurchase: boolean }): PaymentSplit {
  let left = Math.max(0, x.total);
  const giftCards: GiftCardPayment[] = x.sources.giftCards.map((s) => {
    const refusal =
      s.refusal ??
      (x.giftCardPurchase && s.giftCardId !== null
        ? domainError("GIFT_CARD_NOT_USABLE", "A gift card cannot pay for a cart that buys a gift card.", { code: s.code, reason: "gift_card_purchase" })
        : null);
    if (refusal) return { code: s.code, giftCardId: s.giftCardId, balance: s.available, amount: 0, error: { code: refusal.code, message: refusal.message } };
    const amount = Math.min(Math.max(0, s.available), left);
    left -= amount;
    return { code: s.code, giftCardId: s.giftCardId, balance: s.available, amount };
  });
  const bonusCap = applyRate(Math.max(0, x.total), x.policy.checkout.bonusMaxPercent, 100, "floor");
  const pay = (requested: PaymentAmount | undefined, balance: number, cap: number): BalancePayment | null => {
    if (requested === undefined) return null;
    const wanted = Math.min(requested === "max" ? Number.MAX_SAFE_INTEGER : requested, left, cap);
    const amount = Math.min(wanted, Math.max(0, balance));
    left -= amount;
    return { requested, balance, amount, shortfall: requested === "max" ? 0 : wanted - amount };
  };
  const bonus = pay(x.request.bonus, x.sources.bonus, bonusCap);
  const cash = pay(x.request.cash, x.sources.cash, Number.MAX_SAFE_INTEGER);
  const paid = giftCards.reduce((n, g) => n + g.amount, 0) + (bonus?.amount ?? 0) + (cash?.amount ?? 0);
  return { giftCards, bonus, cash, paid, amountDue: Math.max(0, x.total) - paid };
}

/**
 * Whether a split can be recorded as is: every gift card usable, and every number asked of a balance
 * covered by it ("max" takes what there is). An evaluation shows these; a completion refuses them.
 *
 * Errors: GIFT_CARD_NOT_FOUND, GIFT_CARD_NOT_USABLE, INSUFFICIENT_FUNDS.
 */
export function checkPaymentSplit(split: PaymentSplit, sources: PaymentSources): DomainError | null {
  for (const g of split.giftCards) {
    if (!g.error) continue;
    const source = sources.giftCards.find((s) => s.code === g.code);
    return source?.refusal ?? domainError(g.error.code as DomainError["code"], g.error.message, { code: g.code, reason: "gift_card_purchase" });
  }
  for (const [asset, p] of [["bonus", split.bonus], ["cash", split.cash]] as const) {
    if (p && p.shortfall > 0) {
      const required = p.amount + p.shortfall;
      return domainError("INSUFFICIENT_FUNDS", `The ${asset} balance has ${Math.max(0, p.balance)} available; ${required} is needed.`, { asset, available: Math.max(0, p.balance), required });
    }
  }
  return null;
}
