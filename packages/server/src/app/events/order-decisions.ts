import {
  applyRate, clawbackFor, domainError, planDebit, priceOrder, refundAmountForLines, WORLD, err, ok, type Asset, type CelOrder, type DomainError, type Holdings, type Plan, type Result,
} from "@patron/core";
import type { Program } from "../programs/program.ts";
import type { OrderState } from "../../db/orders-repo.ts";
import type { OrderCompletedData, OrderRefundedData } from "./event-input.ts";

/**
 * The decisions of order events, as data: what the order looks like, which ledger plan to apply,
 * and what to tell the sender. Nothing here touches the database; ingest-events.ts applies it.
 */

/** The checks that need no state, run before anything is written. Errors: CURRENCY_MISMATCH, ORDER_TOTALS_MISMATCH. */
export function checkOrderCompleted(program: Program, data: OrderCompletedData): DomainError | null {
  if (data.currency !== program.currency) {
    return domainError("CURRENCY_MISMATCH", `This program's currency is ${program.currency}; the order is in ${data.currency}.`, { expected: program.currency, got: data.currency });
  }
  const priced = priceOrder(data);
  return priced.ok ? null : priced.error;
}

/**
 * The order an order.completed event records, priced from its lines. What it earns is decided by the
 * rules (ingest-events.ts), which read this order. Errors: CURRENCY_MISMATCH, ORDER_TOTALS_MISMATCH.
 */
export function decideOrderCompleted(x: {
  program: Program;
  data: OrderCompletedData;
  orderId: string;
  customerId: string;
  customerExternalId: string;
  occurredAt: Date;
}): Result<OrderState, DomainError> {
  const { program, data } = x;
  if (data.currency !== program.currency) {
    return err(domainError("CURRENCY_MISMATCH", `This program's currency is ${program.currency}; the order is in ${data.currency}.`, { expected: program.currency, got: data.currency }));
  }
  const priced = priceOrder(data);
  if (!priced.ok) return priced;
  const a = priced.value;
  return ok({
    id: x.orderId,
    externalId: data.orderId,
    customerId: x.customerId,
    customerExternalId: x.customerExternalId,
    currency: data.currency,
    subtotal: a.subtotal,
    discount: a.discount,
    shipping: a.shipping,
    tax: a.tax,
    total: a.total,
    earningBase: a.earningBase,
    weight: a.weight,
    channel: data.channel ?? null,
    store: data.store ?? null,
    pointsEarned: 0,
    earnLotId: null,
    refundedAmount: 0,
    refundedBase: 0,
    pointsClawedBack: 0,
    wallet: [],
    placedAt: x.occurredAt,
    lines: data.lines.map((l, i) => ({
      lineNo: i,
      sku: l.sku,
      name: l.name ?? null,
      category: l.category ?? null,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      weight: l.weight ?? null,
      discount: l.discount ?? 0,
      net: a.lineNet[i]!,
      refundedQuantity: 0,
    })),
    isNew: true,
    dirtyLines: new Set(),
  });
}

/** The order as rule conditions see it (`order` in CEL). */
export function celOrder(o: OrderState): CelOrder {
  return {
    id: o.externalId, currency: o.currency, subtotal: o.subtotal, discount: o.discount, shipping: o.shipping, tax: o.tax, total: o.total, earningBase: o.earningBase,
    weight: o.weight, itemCount: o.lines.reduce((n, l) => n + l.quantity, 0), channel: o.channel ?? "", store: o.store ?? "",
    lines: o.lines.map((l) => ({ sku: l.sku, name: l.name ?? "", category: l.category ?? "", quantity: l.quantity, unitPrice: l.unitPrice, net: l.net, weight: l.weight ?? 0 })),
  };
}

/** What a refund takes back of one asset the order earned: the plan, what it called for, and what it could not take (under `cap`). */
export interface Clawback {
  asset: Asset;
  plan: Plan;
  claw: number;
  shortfall: number;
}

/**
 * A refund: records the refunded money and the refunded part of the earning base on the order, and
 * takes back what the order earned — points, and wallet credit (bonus, cash) that rules gave for it —
 * each in proportion to the earning base (core `clawbackFor`), from the order's own lot first. By
 * lines, the lines' net merchandise is refunded; by amount, the amount's share of the order total;
 * with neither, the rest of the order. Value the customer no longer has is taken anyway or reported
 * as a shortfall, as the program's `ledgerPolicy.clawback` says, alike for every asset. The order
 * state is updated in place, and only once nothing can be refused.
 *
 * Errors: REFUND_EXCEEDS_ORDER, REFUND_LINE_UNKNOWN.
 */
export function decideOrderRefunded(x: { program: Program; data: OrderRefundedData; order: OrderState; holdings: (asset: Asset) => Holdings; expired: (asset: Asset) => number }): Result<{ amount: number; points: Clawback; wallet: Clawback[] }, DomainError> {
  const { order, data } = x;
  let amount: number;
  let base: number;
  let lineQuantities: Map<number, number> | null = null;
  if (data.lines && data.lines.length > 0) {
    const r = refundAmountForLines(order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, net: l.net, refundedQuantity: l.refundedQuantity })), data.lines);
    if (!r.ok) return r;
    amount = r.value.amount;
    base = r.value.amount;
    lineQuantities = r.value.quantities;
  } else if (data.amount !== undefined) {
    amount = data.amount;
    base = order.total > 0 ? applyRate(amount, order.earningBase, order.total, "floor") : 0;
  } else {
    amount = order.total - order.refundedAmount;
    base = order.earningBase - order.refundedBase;
  }
  if (order.refundedAmount + amount > order.total) {
    return err(
      domainError("REFUND_EXCEEDS_ORDER", `Order ${order.externalId} has ${order.total - order.refundedAmount} left to refund; the refund asks for ${amount}.`, {
        orderTotal: order.total,
        refundedBefore: order.refundedAmount,
        requested: amount,
      }),
    );
  }
  // Refunding everything that is left settles the base exactly, whatever earlier rounding did.
  base = order.refundedAmount + amount === order.total ? order.earningBase - order.refundedBase : Math.min(base, order.earningBase - order.refundedBase);
  const take = (asset: Asset, earned: { earned: number; lotId: string | null; clawedBefore: number }): Clawback => {
    // What expired of the order's earning is not taken back: expiry already took it from the customer,
    // and taking it again from their other value would charge them twice. The rest (held or spent) is
    // taken back in proportion, as before.
    const claw = clawbackFor({ earned: Math.max(0, earned.earned - x.expired(asset)), orderTotal: order.earningBase, refundedBefore: order.refundedBase, refundedNow: base, clawedBefore: earned.clawedBefore });
    const debit = planDebit(x.holdings(asset), { amount: claw, destination: WORLD, preferLotId: earned.lotId, onShortfall: x.program.ledgerPolicy.clawback === "allow_negative" ? "negative" : "cap" });
    // Only "reject" refuses; a clawback never rejects.
    if (!debit.ok) throw new Error(`a clawback debit cannot fail: ${debit.error.message}`);
    return { asset, plan: debit.value, claw, shortfall: debit.value.shortfall };
  };
  const points = take("points", { earned: order.pointsEarned, lotId: order.earnLotId, clawedBefore: order.pointsClawedBack });
  const wallet = order.wallet.map((w) => take(w.asset, { earned: w.earned, lotId: w.lotId, clawedBefore: w.clawedBack }));
  order.refundedAmount += amount;
  order.refundedBase += base;
  order.pointsClawedBack += points.claw;
  order.wallet.forEach((w, i) => {
    if (wallet[i]!.claw === 0) return;
    w.clawedBack += wallet[i]!.claw;
    w.dirty = true;
  });
  if (lineQuantities) {
    for (const [i, q] of lineQuantities) {
      order.lines[i]!.refundedQuantity += q;
      order.dirtyLines.add(i);
    }
  }
  return ok({ amount, points, wallet });
}
