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

  it("gives the same parts as sorting every remainder (the reference), ties to the earlier weight", () => {
    // Few distinct small weights make ties common; long lists with many leftover units reach the
    // sort (above SELECT_AT_MOST steps), short ones the one-by-one selection.
    const ws = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 30, maxLength: 80 }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), ws, (t, w) => {
        expect(allocate(t, w)).toEqual(sortedReference(t, w));
      }),
      { numRuns: 3000 },
    );
  });
});

/** Largest remainder by sorting every index (remainder descending, index ascending): the plain form of what allocate does. */
function sortedReference(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const t = Math.abs(total);
  const parts = weights.map((w) => Math.floor((t * w) / sum));
  const rems = weights.map((w, i) => t * w - parts[i]! * sum);
  const left = t - parts.reduce((a, b) => a + b, 0);
  const order = weights.map((_, i) => i).sort((a, b) => rems[b]! - rems[a]! || a - b);
  for (let k = 0; k < left; k++) parts[order[k]!]! += 1;
  return total < 0 ? parts.map((p) => -p) : parts;
}
