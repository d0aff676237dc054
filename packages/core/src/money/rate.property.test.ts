import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { applyRate, ROUNDINGS } from "./rate.ts";

const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe("applyRate (properties)", () => {
  it("every rounding lands on floor or floor + 1 of the exact quotient, as its rule says", () => {
    fc.assert(
      fc.property(safe, fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), (value, numerator, denominator) => {
        const product = BigInt(value) * BigInt(numerator);
        const d = BigInt(denominator);
        const q = product / d;
        const r = product % d;
        // Results can exceed 2^53 (value × numerator / denominator), so compare as BigInt built from the same exact quotient.
        const exact = r === 0n;
        const floor = BigInt(applyRate(value, numerator, denominator, "floor"));
        const ceil = BigInt(applyRate(value, numerator, denominator, "ceil"));
        if (q <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(floor).toBe(q);
          expect(ceil).toBe(exact ? q : q + 1n);
          const up = BigInt(applyRate(value, numerator, denominator, "half_up"));
          const even = BigInt(applyRate(value, numerator, denominator, "half_even"));
          expect(up).toBe(2n * r >= d && !exact ? q + 1n : q);
          if (2n * r === d) {
            expect(even % 2n).toBe(0n);
            expect(even === q || even === q + 1n).toBe(true);
          } else expect(even).toBe(up);
        }
        for (const rounding of ROUNDINGS) expect(Number.isInteger(applyRate(value, numerator, denominator, rounding))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("the plain-number path (product a safe integer) gives the exact BigInt answer, up to the edge of 2^53", () => {
    const reference = (value: number, numerator: number, denominator: number, rounding: (typeof ROUNDINGS)[number]) => {
      const p = BigInt(value) * BigInt(numerator);
      const d = BigInt(denominator);
      const q = p / d;
      const r = p % d;
      if (r === 0n || rounding === "floor") return q;
      if (rounding === "ceil") return q + 1n;
      if (rounding === "half_up") return 2n * r >= d ? q + 1n : q;
      return 2n * r > d || (2n * r === d && q % 2n === 1n) ? q + 1n : q;
    };
    const nearEdge = fc.integer({ min: 1, max: 1_000_000 }).chain((numerator) =>
      fc.tuple(fc.integer({ min: Math.max(0, Math.floor(Number.MAX_SAFE_INTEGER / numerator) - 2_000_000), max: Math.floor(Number.MAX_SAFE_INTEGER / numerator) }), fc.constant(numerator)),
    );
    const small = fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 5_000 }));
    fc.assert(
      fc.property(fc.oneof(nearEdge, small), fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), fc.constantFrom(...ROUNDINGS), ([value, numerator], denominator, rounding) => {
        expect(BigInt(applyRate(value, numerator, denominator, rounding))).toBe(reference(value, numerator, denominator, rounding));
      }),
      { numRuns: 5_000 },
    );
  });
});
