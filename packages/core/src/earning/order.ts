import { allocate } from "../money/allocate.ts";
import { err, ok, type Result } from "../result.ts";
import { domainError, type DomainError } from "../errors.ts";

export interface OrderLine {
  sku: string;
  name?: string | undefined;
  category?: string | undefined;
  quantity: number;
  /** Minor units per unit. */
  unitPrice: number;
  /** Grams per unit. */
  weight?: number | undefined;
  /** Discount on the whole line, minor units. */
  discount?: number | undefined;
}

export interface OrderAmounts {
  subtotal: number;
  /** Line discounts plus the order-level discount. */
  discount: number;
  shipping: number;
  tax: number;
  /** What the customer paid: subtotal − discount + shipping + tax. */
  total: number;
  /** What earns points: the merchandise actually paid for (subtotal − discount), no shipping or tax. */
  earningBase: number;
  /** Each line's net amount after its own and its share of the order discount; sums to earningBase. */
  lineNet: number[];
  weight: number;
}

/**
 * Prices an order from its lines, so totals are derived, not trusted. A `total` sent by the store is
 * checked against the derived one.
 *
 * Errors: ORDER_TOTALS_MISMATCH (discounts larger than the merchandise, or a stated total that differs).
 */
export function priceOrder(x: {
  lines: readonly OrderLine[];
  discount?: number | undefined;
  shipping?: number | undefined;
  tax?: number | undefined;
  total?: number | undefined;
}): Result<OrderAmounts, DomainError> {
  const gross = x.lines.map((l) => l.quantity * l.unitPrice);
  const lineAfter = x.lines.map((l, i) => gross[i]! - (l.discount ?? 0));
  const bad = lineAfter.findIndex((v) => v < 0);
  if (bad >= 0) return err(domainError("ORDER_TOTALS_MISMATCH", `Line ${bad} has a discount larger than its amount.`, { line: bad }));
  const subtotal = gross.reduce((a, b) => a + b, 0);
  const afterLines = lineAfter.reduce((a, b) => a + b, 0);
  const orderDiscount = x.discount ?? 0;
  if (orderDiscount > afterLines) {
    return err(domainError("ORDER_TOTALS_MISMATCH", "The order discount is larger than the merchandise after line discounts.", { merchandise: afterLines, discount: orderDiscount }));
  }
  const shares = allocate(orderDiscount, lineAfter);
  const lineNet = lineAfter.map((v, i) => v - shares[i]!);
  const earningBase = afterLines - orderDiscount;
  const shipping = x.shipping ?? 0;
  const tax = x.tax ?? 0;
  const total = earningBase + shipping + tax;
  if (x.total !== undefined && x.total !== total) {
    return err(domainError("ORDER_TOTALS_MISMATCH", `The stated total ${x.total} differs from the total derived from the lines (${total}).`, { stated: x.total, derived: total }));
  }
  const weight = x.lines.reduce((a, l) => a + (l.weight ?? 0) * l.quantity, 0);
  return ok({ subtotal, discount: subtotal - earningBase, shipping, tax, total, earningBase, lineNet, weight });
}

/**
 * The money amount of a refund given by lines: each refunded unit's share of its line's net amount.
 * Whole lines refund exactly their net; a part rounds down.
 */
export function refundAmountForLines(
  lines: readonly { sku: string; quantity: number; net: number; refundedQuantity: number }[],
  refund: readonly { sku: string; quantity: number }[],
): Result<{ amount: number; quantities: Map<number, number> }, DomainError> {
  const quantities = new Map<number, number>();
  let amount = 0;
  for (const r of refund) {
    const index = lines.findIndex((l, i) => l.sku === r.sku && l.quantity - l.refundedQuantity - (quantities.get(i) ?? 0) >= r.quantity);
    if (index < 0) {
      return err(domainError("REFUND_LINE_UNKNOWN", `No line with sku "${r.sku}" has ${r.quantity} unrefunded units left.`, { sku: r.sku, quantity: r.quantity }));
    }
    const l = lines[index]!;
    const before = l.refundedQuantity + (quantities.get(index) ?? 0);
    // Cumulative per line, so refunding a line unit by unit adds up to exactly its net amount.
    const upto = Math.floor((l.net * (before + r.quantity)) / l.quantity);
    const already = Math.floor((l.net * before) / l.quantity);
    amount += upto - already;
    quantities.set(index, (quantities.get(index) ?? 0) + r.quantity);
  }
  return ok({ amount, quantities });
}
