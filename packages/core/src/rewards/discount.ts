import { applyRate } from "../money/rate.ts";
import type { ExpiryPolicy } from "../earning/policy.ts";

export const REWARD_KINDS = ["fixed_discount", "percent_discount", "free_product", "free_shipping", "partner_coupon", "physical_gift", "wallet_credit"] as const;
export type RewardKind = (typeof REWARD_KINDS)[number];

/** What a reward gives, by kind (money in minor units of the program's currency). */
export interface RewardConfig {
  /** fixed_discount: the amount off; wallet_credit: the amount credited. */
  amount?: number | undefined;
  /** wallet_credit: the wallet credited, `bonus` (store credit, spent only here) or `cash` (withdrawable, held like every cash credit). */
  asset?: "bonus" | "cash" | undefined;
  /** wallet_credit: when the credit expires; absent: never. */
  expiry?: ExpiryPolicy | undefined;
  /** percent_discount: 1-100, with an optional cap. */
  percent?: number | undefined;
  cap?: number | undefined;
  /** free_product: the sku given free (one unit). */
  sku?: string | undefined;
  /** partner_coupon: who honours the code. */
  partner?: string | undefined;
}

export interface CartLine {
  sku: string;
  quantity: number;
  unitPrice: number;
  discount?: number | undefined;
}

export interface Cart {
  lines: CartLine[];
  shipping?: number | undefined;
}

export type DiscountRefusal = "MIN_ORDER_NOT_MET" | "PRODUCT_NOT_IN_CART" | "NOT_A_CART_REWARD";

/** The merchandise of a cart after its line discounts, never below zero. */
export function cartSubtotal(cart: Cart): number {
  return Math.max(0, cart.lines.reduce((n, l) => n + l.quantity * l.unitPrice - (l.discount ?? 0), 0));
}

/**
 * What a reward takes off a cart, in minor units, never more than what it discounts (the
 * merchandise, one unit of the product, or the shipping), or why it does not apply.
 */
export function rewardDiscount(kind: RewardKind, config: RewardConfig, minOrder: number | null, cart: Cart): { ok: true; amount: number } | { ok: false; reason: DiscountRefusal } {
  const subtotal = cartSubtotal(cart);
  if (minOrder !== null && subtotal < minOrder) return { ok: false, reason: "MIN_ORDER_NOT_MET" };
  switch (kind) {
    case "fixed_discount":
      return { ok: true, amount: Math.min(config.amount ?? 0, subtotal) };
    case "percent_discount": {
      const off = applyRate(subtotal, config.percent ?? 0, 100, "floor");
      return { ok: true, amount: config.cap !== undefined ? Math.min(off, config.cap) : off };
    }
    case "free_product": {
      const line = cart.lines.find((l) => l.sku === config.sku && l.quantity > 0);
      return line ? { ok: true, amount: Math.min(line.unitPrice, subtotal) } : { ok: false, reason: "PRODUCT_NOT_IN_CART" };
    }
    case "free_shipping":
      return { ok: true, amount: cart.shipping ?? 0 };
    default:
      return { ok: false, reason: "NOT_A_CART_REWARD" };
  }
}
