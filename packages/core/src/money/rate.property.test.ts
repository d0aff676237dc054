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
});
