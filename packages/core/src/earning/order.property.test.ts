import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { priceOrder, refundAmountForLines } from "./order.ts";
import { clawbackFor } from "./policy.ts";

/** Splits `n` into a random sequence of positive chunks. */
const chunksOf = (n: number) =>
  fc.array(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: n }).map((xs) => {
    const out: number[] = [];
    let left = n;
    for (const x of xs) {
      if (left === 0) break;
      const c = Math.min(x, left);
      out.push(c);
      left -= c;
    }
    if (left > 0) out.push(left);
    return out;
  });

describe("order pricing and refunds (properties)", () => {
  it("priced line nets are never negative and sum to the earning base", () => {
    const lineArb = fc.record({
      sku: fc.constantFrom("a", "b", "c"),
      quantity: fc.integer({ min: 1, max: 20 }),
      unitPrice: fc.integer({ min: 0, max: 10_000_000 }),
      discountShare: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 8 }), fc.integer({ min: 0, max: 100 }), (ls, orderShare) => {
        const lines = ls.map((l) => ({ ...l, discount: Math.floor((l.quantity * l.unitPrice * l.discountShare) / 100) }));
        const afterLines = lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0);
        const result = priceOrder({ lines, discount: Math.floor((afterLines * orderShare) / 100) });
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.value.lineNet.every((n) => n >= 0 && Number.isInteger(n))).toBe(true);
        expect(result.value.lineNet.reduce((a, b) => a + b, 0)).toBe(result.value.earningBase);
      }),
    );
  });

  it("refunding a line in any sequence of partial refunds adds up to its net exactly", () => {
    const arb = fc
      .record({ quantity: fc.integer({ min: 1, max: 50 }), net: fc.integer({ min: 0, max: 10_000_000_000 }) })
      .chain(({ quantity, net }) => fc.record({ quantity: fc.constant(quantity), net: fc.constant(net), chunks: chunksOf(quantity) }));
    fc.assert(
      fc.property(arb, ({ quantity, net, chunks }) => {
        let refundedQuantity = 0;
        let total = 0;
        for (const c of chunks) {
          const r = refundAmountForLines([{ sku: "x", quantity, net, refundedQuantity }], [{ sku: "x", quantity: c }]);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.value.amount).toBeGreaterThanOrEqual(0);
          total += r.value.amount;
          refundedQuantity += c;
          expect(total).toBeLessThanOrEqual(net);
        }
        expect(total).toBe(net);
      }),
      { numRuns: 500 },
    );
  });

  it("clawbacks over any run of refunds never exceed `earned` and reach it exactly once the order is fully refunded", () => {
    const arb = fc
      .record({ earned: fc.integer({ min: 0, max: 1_000_000 }), orderTotal: fc.integer({ min: 1, max: 50 }) })
      .chain((x) => fc.record({ earned: fc.constant(x.earned), orderTotal: fc.constant(x.orderTotal), refunds: chunksOf(x.orderTotal), scale: fc.integer({ min: 1, max: 10_000_000 }) }));
    fc.assert(
      fc.property(arb, ({ earned, orderTotal, refunds, scale }) => {
        let refundedBefore = 0;
        let clawedBefore = 0;
        for (const r of refunds) {
          const c = clawbackFor({ earned, orderTotal: orderTotal * scale, refundedBefore, refundedNow: r * scale, clawedBefore });
          expect(c).toBeGreaterThanOrEqual(0);
          clawedBefore += c;
          refundedBefore += r * scale;
          expect(clawedBefore).toBeLessThanOrEqual(earned);
        }
        expect(clawedBefore).toBe(earned);
      }),
      { numRuns: 500 },
    );
  });
});
