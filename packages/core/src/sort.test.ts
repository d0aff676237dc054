import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sortSmall } from "./sort.ts";

describe("sortSmall", () => {
  it("sorts exactly as the built-in stable sort, short and long arrays alike", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ k: fc.integer({ min: 0, max: 5 }), i: fc.nat() }), { maxLength: 40 }), (xs) => {
        const cmp = (a: { k: number }, b: { k: number }) => a.k - b.k;
        expect(sortSmall([...xs], cmp)).toEqual([...xs].sort(cmp));
      }),
      { numRuns: 2_000 },
    );
  });
});
