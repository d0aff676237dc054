import { describe, expect, it } from "vitest";
import { priceOrder, refundAmountForLines, type OrderLine } from "./order.ts";

const line = (sku: string, quantity: number, unitPrice: number, extra: Partial<OrderLine> = {}): OrderLine => ({ sku, quantity, unitPrice, ...extra });

describe("priceOrder", () => {
  it.each([
    {
      name: "derives every total from the lines, shipping and tax",
      order: { lines: [line("a", 2, 1_000), line("b", 1, 500)], shipping: 300, tax: 200 },
      expected: { subtotal: 2_500, discount: 0, shipping: 300, tax: 200, total: 3_000, earningBase: 2_500, lineNet: [2_000, 500], weight: 0 },
    },
    {
      name: "subtracts a line discount from its own line only",
      order: { lines: [line("a", 2, 1_000, { discount: 200 }), line("b", 1, 500)] },
      expected: { subtotal: 2_500, discount: 200, shipping: 0, tax: 0, total: 2_300, earningBase: 2_300, lineNet: [1_800, 500], weight: 0 },
    },
    {
      name: "spreads the order discount over lines in proportion to their amount after line discounts",
      order: { lines: [line("a", 3, 1_000), line("b", 2, 1_000, { discount: 1_000 })], discount: 400 },
      expected: { subtotal: 5_000, discount: 1_400, shipping: 0, tax: 0, total: 3_600, earningBase: 3_600, lineNet: [2_700, 900], weight: 0 },
    },
    {
      name: "gives the order discount's odd unit to the earliest line on a tie",
      order: { lines: [line("a", 1, 100), line("b", 1, 100), line("c", 1, 100)], discount: 100 },
      expected: { subtotal: 300, discount: 100, shipping: 0, tax: 0, total: 200, earningBase: 200, lineNet: [66, 67, 67], weight: 0 },
    },
    {
      name: "keeps shipping and tax out of the earning base",
      order: { lines: [line("a", 1, 10_000)], discount: 1_000, shipping: 2_500, tax: 900 },
      expected: { subtotal: 10_000, discount: 1_000, shipping: 2_500, tax: 900, total: 12_400, earningBase: 9_000, lineNet: [9_000], weight: 0 },
    },
    {
      name: "allows a discount equal to the whole merchandise (a free order)",
      order: { lines: [line("a", 2, 500, { discount: 200 })], discount: 800, shipping: 300 },
      expected: { subtotal: 1_000, discount: 1_000, shipping: 300, tax: 0, total: 300, earningBase: 0, lineNet: [0], weight: 0 },
    },
    {
      name: "adds up weight per unit",
      order: { lines: [line("a", 3, 100, { weight: 250 }), line("b", 1, 100), line("c", 2, 100, { weight: 1_000 })] },
      expected: { subtotal: 600, discount: 0, shipping: 0, tax: 0, total: 600, earningBase: 600, lineNet: [300, 100, 200], weight: 2_750 },
    },
    {
      name: "prices an order without lines as zero",
      order: { lines: [], shipping: 300 },
      expected: { subtotal: 0, discount: 0, shipping: 300, tax: 0, total: 300, earningBase: 0, lineNet: [], weight: 0 },
    },
    {
      name: "accepts a stated total that matches the derived one",
      order: { lines: [line("a", 1, 10_000)], discount: 1_000, shipping: 2_500, tax: 900, total: 12_400 },
      expected: { subtotal: 10_000, discount: 1_000, shipping: 2_500, tax: 900, total: 12_400, earningBase: 9_000, lineNet: [9_000], weight: 0 },
    },
    {
      name: "prices VND amounts (no minor units) in the billions exactly",
      order: { lines: [line("tv", 3, 1_234_567_891), line("cable", 7, 99_999)], discount: 1_000_001, total: 3_703_403_665 },
      expected: { subtotal: 3_704_403_666, discount: 1_000_001, shipping: 0, tax: 0, total: 3_703_403_665, earningBase: 3_703_403_665, lineNet: [3_702_703_861, 699_804], weight: 0 },
    },
  ])("$name", ({ order, expected }) => {
    const result = priceOrder(order);
    expect(result).toEqual({ ok: true, value: expected });
    if (!result.ok) return;
    const v = result.value;
    expect(v.lineNet.reduce((a, b) => a + b, 0)).toBe(v.earningBase);
    expect(v.total).toBe(v.subtotal - v.discount + v.shipping + v.tax);
  });

  it.each([
    {
      name: "a stated total that differs from the derived one",
      order: { lines: [line("a", 1, 10_000)], shipping: 500, total: 10_000 },
      details: { stated: 10_000, derived: 10_500 },
    },
    {
      name: "a stated total off by one minor unit",
      order: { lines: [line("a", 1, 10_000)], total: 10_001 },
      details: { stated: 10_001, derived: 10_000 },
    },
    {
      name: "a line discount larger than its line",
      order: { lines: [line("a", 1, 100), line("b", 2, 100, { discount: 201 })] },
      details: { line: 1 },
    },
    {
      name: "an order discount larger than the merchandise",
      order: { lines: [line("a", 1, 1_000)], discount: 1_001, shipping: 5_000 },
      details: { merchandise: 1_000, discount: 1_001 },
    },
    {
      name: "an order discount larger than the merchandise after line discounts",
      order: { lines: [line("a", 2, 1_000, { discount: 500 })], discount: 1_600 },
      details: { merchandise: 1_500, discount: 1_600 },
    },
  ])("rejects $name with ORDER_TOTALS_MISMATCH", ({ order, details }) => {
    const result = priceOrder(order);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("ORDER_TOTALS_MISMATCH");
    expect(result.error.details).toEqual(details);
    expect(result.error.message).not.toBe("");
  });
});

describe("refundAmountForLines", () => {
  const lines = [
    { sku: "a", quantity: 3, net: 1_000, refundedQuantity: 0 },
    { sku: "b", quantity: 1, net: 499, refundedQuantity: 0 },
    { sku: "a", quantity: 2, net: 300, refundedQuantity: 0 },
  ];

  it.each([
    { name: "a whole line refunds exactly its net amount", refund: [{ sku: "a", quantity: 3 }], amount: 1_000, quantities: [[0, 3]] },
    { name: "a part of a line rounds down", refund: [{ sku: "a", quantity: 1 }], amount: 333, quantities: [[0, 1]] },
    { name: "two units of three round down together, not one by one", refund: [{ sku: "a", quantity: 2 }], amount: 666, quantities: [[0, 2]] },
    { name: "units refunded one by one in one request add up to the line net", refund: [{ sku: "a", quantity: 1 }, { sku: "a", quantity: 1 }, { sku: "a", quantity: 1 }], amount: 1_000, quantities: [[0, 3]] },
    { name: "several lines add up", refund: [{ sku: "a", quantity: 3 }, { sku: "b", quantity: 1 }], amount: 1_499, quantities: [[0, 3], [1, 1]] },
    { name: "a sku on two lines moves to the next line when the first has too few units left", refund: [{ sku: "a", quantity: 2 }, { sku: "a", quantity: 2 }], amount: 966, quantities: [[0, 2], [2, 2]] },
    { name: "a request for more units than the first line has goes to a line that has them", refund: [{ sku: "a", quantity: 3 }, { sku: "a", quantity: 2 }], amount: 1_300, quantities: [[0, 3], [2, 2]] },
    { name: "no lines refund nothing", refund: [], amount: 0, quantities: [] },
  ])("$name", ({ refund, amount, quantities }) => {
    const result = refundAmountForLines(lines, refund);
    expect(result).toEqual({ ok: true, value: { amount, quantities: new Map(quantities as [number, number][]) } });
  });

  it("refunding a line unit by unit over separate refunds adds up to its net amount exactly", () => {
    const one = { sku: "x", quantity: 7, net: 1_000, refundedQuantity: 0 };
    const amounts: number[] = [];
    for (let refunded = 0; refunded < one.quantity; refunded++) {
      const r = refundAmountForLines([{ ...one, refundedQuantity: refunded }], [{ sku: "x", quantity: 1 }]);
      expect(r.ok).toBe(true);
      if (r.ok) amounts.push(r.value.amount);
    }
    expect(amounts).toEqual([142, 143, 143, 143, 143, 143, 143]);
    expect(amounts.reduce((a, b) => a + b, 0)).toBe(1_000);
  });

  it("counts units already refunded earlier", () => {
    const r = refundAmountForLines([{ sku: "a", quantity: 3, net: 1_000, refundedQuantity: 2 }], [{ sku: "a", quantity: 1 }]);
    expect(r).toEqual({ ok: true, value: { amount: 334, quantities: new Map([[0, 1]]) } });
  });

  it.each([
    { name: "a sku that is not on the order", lines, refund: [{ sku: "zzz", quantity: 1 }], details: { sku: "zzz", quantity: 1 } },
    { name: "more units than any line with the sku has", lines, refund: [{ sku: "b", quantity: 2 }], details: { sku: "b", quantity: 2 } },
    { name: "more units than are left in one request", lines, refund: [{ sku: "b", quantity: 1 }, { sku: "b", quantity: 1 }], details: { sku: "b", quantity: 1 } },
    { name: "units already refunded earlier", lines: [{ sku: "a", quantity: 3, net: 1_000, refundedQuantity: 2 }], refund: [{ sku: "a", quantity: 2 }], details: { sku: "a", quantity: 2 } },
    { name: "a sku that differs only in case", lines, refund: [{ sku: "A", quantity: 1 }], details: { sku: "A", quantity: 1 } },
  ])("rejects $name with REFUND_LINE_UNKNOWN", ({ lines: ls, refund, details }) => {
    const r = refundAmountForLines(ls, refund);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("REFUND_LINE_UNKNOWN");
    expect(r.error.details).toEqual(details);
  });
});
