import { describe, expect, it } from "vitest";
import { applyRate, type Rounding } from "./rate.ts";

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 − 1

interface Row {
  value: number;
  numerator: number;
  denominator: number;
  expected: Record<Rounding, number>;
}

const all = (n: number): Record<Rounding, number> => ({ floor: n, ceil: n, half_up: n, half_even: n });

// Each row gives the result for every rounding mode, so a mode that is missing or wrong shows up in the name.
const rows: Row[] = [
  // exact results are not rounded at all
  { value: 0, numerator: 1, denominator: 100, expected: all(0) },
  { value: 12_345, numerator: 0, denominator: 100, expected: all(0) },
  { value: 30_000, numerator: 1, denominator: 100, expected: all(300) },
  { value: 7, numerator: 3, denominator: 1, expected: all(21) },
  // below, at and above one half
  { value: 12_345, numerator: 1, denominator: 100, expected: { floor: 123, ceil: 124, half_up: 123, half_even: 123 } },
  { value: 249, numerator: 1, denominator: 100, expected: { floor: 2, ceil: 3, half_up: 2, half_even: 2 } },
  { value: 250, numerator: 1, denominator: 100, expected: { floor: 2, ceil: 3, half_up: 3, half_even: 2 } },
  { value: 350, numerator: 1, denominator: 100, expected: { floor: 3, ceil: 4, half_up: 4, half_even: 4 } },
  { value: 251, numerator: 1, denominator: 100, expected: { floor: 2, ceil: 3, half_up: 3, half_even: 3 } },
  { value: 1, numerator: 1, denominator: 2, expected: { floor: 0, ceil: 1, half_up: 1, half_even: 0 } },
  { value: 3, numerator: 1, denominator: 2, expected: { floor: 1, ceil: 2, half_up: 2, half_even: 2 } },
  { value: 1, numerator: 1, denominator: 3, expected: { floor: 0, ceil: 1, half_up: 0, half_even: 0 } },
  { value: 2, numerator: 1, denominator: 3, expected: { floor: 0, ceil: 1, half_up: 1, half_even: 1 } },
  // the numerator scales before dividing: 5 points per 1,000 minor units
  { value: 1_999, numerator: 5, denominator: 1_000, expected: { floor: 9, ceil: 10, half_up: 10, half_even: 10 } },
  { value: 1_900, numerator: 5, denominator: 1_000, expected: { floor: 9, ceil: 10, half_up: 10, half_even: 10 } },
  { value: 1_700, numerator: 5, denominator: 1_000, expected: { floor: 8, ceil: 9, half_up: 9, half_even: 8 } },
  // near 2^53: the product leaves the safe range, the result must still be exact
  { value: MAX, numerator: 1, denominator: 1, expected: all(MAX) },
  { value: MAX, numerator: 1_000, denominator: 1_000, expected: all(MAX) },
  { value: MAX, numerator: 3, denominator: 3, expected: all(MAX) },
  { value: MAX, numerator: 1, denominator: 2, expected: { floor: 4_503_599_627_370_495, ceil: 4_503_599_627_370_496, half_up: 4_503_599_627_370_496, half_even: 4_503_599_627_370_496 } },
  { value: MAX - 5, numerator: 1, denominator: 4, expected: { floor: 2_251_799_813_685_246, ceil: 2_251_799_813_685_247, half_up: 2_251_799_813_685_247, half_even: 2_251_799_813_685_246 } },
  { value: MAX, numerator: MAX, denominator: MAX, expected: all(MAX) },
  { value: 1_000_000_000_000, numerator: 9_000, denominator: 1_000_000, expected: all(9_000_000_000) },
];

describe("applyRate", () => {
  const cases = rows.flatMap((r) =>
    (Object.keys(r.expected) as Rounding[]).map((rounding) => ({ ...r, rounding, result: r.expected[rounding] })),
  );

  it.each(cases)("$value × $numerator / $denominator rounded $rounding is $result", ({ value, numerator, denominator, rounding, result }) => {
    expect(applyRate(value, numerator, denominator, rounding)).toBe(result);
  });

  it.each([
    { why: "a value above 2^53 − 1", args: [MAX + 1, 1, 1] },
    { why: "a fractional value", args: [1.5, 1, 1] },
    { why: "a fractional numerator", args: [1, 0.5, 1] },
    { why: "a negative value", args: [-1, 1, 1] },
    { why: "a negative numerator", args: [1, -1, 1] },
    { why: "a zero denominator", args: [1, 1, 0] },
    { why: "a negative denominator", args: [1, 1, -100] },
    { why: "NaN", args: [Number.NaN, 1, 1] },
  ] as const)("rejects $why with a RangeError", ({ args }) => {
    expect(() => applyRate(args[0], args[1], args[2], "floor")).toThrow(RangeError);
  });
});
