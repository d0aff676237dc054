import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { allocate } from "./allocate.ts";

const total = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const weights = fc.array(fc.integer({ min: 0, max: 1_000_000_000 }), { minLength: 1, maxLength: 12 });

describe("allocate (properties)", () => {
  it("parts always sum to the total and each is within 1 of its exact share", () => {
    fc.assert(
      fc.property(total, weights, (t, ws) => {
        const parts = allocate(t, ws);
        expect(parts).toHaveLength(ws.length);
        expect(parts.reduce((a, b) => BigInt(a) + BigInt(b), 0n)).toBe(BigInt(t));
        const sum = BigInt(ws.reduce((a, b) => a + b, 0));
        parts.forEach((part, i) => {
          expect(Number.isSafeInteger(part) && part >= 0).toBe(true);
          if (sum === 0n) return;
          // |part − t·w/S| < 1  ⇔  |part·S − t·w| < S, in exact integers.
          const diff = BigInt(part) * sum - BigInt(t) * BigInt(ws[i]!);
          expect(diff < sum && -diff < sum).toBe(true);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("scaling every weight by the same factor changes nothing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 1000 }), (t, ws, k) => {
        expect(allocate(t, ws.map((w) => w * k))).toEqual(allocate(t, ws));
      }),
    );
  });
});
