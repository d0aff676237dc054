import { describe, expect, it } from "vitest";
import { allocate } from "./allocate.ts";

const MAX = Number.MAX_SAFE_INTEGER;

describe("allocate", () => {
  it.each([
    { name: "splits in exact proportion when it divides evenly", total: 90, weights: [1, 2], parts: [30, 60] },
    { name: "gives the leftover unit to the largest remainder", total: 10, weights: [1, 2], parts: [3, 7] },
    { name: "breaks a tie in remainders in favour of the earlier weight", total: 100, weights: [1, 1, 1], parts: [34, 33, 33] },
    { name: "breaks a two-way tie in favour of the earlier weights", total: 2, weights: [1, 1, 1], parts: [1, 1, 0] },
    { name: "gives a single unit to the first of equal weights", total: 1, weights: [5, 5], parts: [1, 0] },
    { name: "gives nothing to a zero weight", total: 10, weights: [0, 1, 1], parts: [0, 5, 5] },
    { name: "never gives a zero weight a leftover unit", total: 1, weights: [0, 1, 1], parts: [0, 1, 0] },
    { name: "gives everything to the first part when all weights are zero", total: 7, weights: [0, 0, 0], parts: [7, 0, 0] },
    { name: "gives zero parts for a zero total", total: 0, weights: [3, 1], parts: [0, 0] },
    { name: "gives the whole total to a single weight", total: 5, weights: [3], parts: [5] },
    { name: "returns no parts for no weights", total: 5, weights: [], parts: [] },
    { name: "stays exact for a total near 2^53", total: MAX, weights: [1, 1], parts: [4_503_599_627_370_496, 4_503_599_627_370_495] },
    { name: "stays exact when total × weight leaves the safe range", total: MAX, weights: [MAX - 1, 1], parts: [MAX - 1, 1] },
    { name: "splits an order discount over line amounts", total: 1_000, weights: [3_333, 3_333, 3_334], parts: [333, 333, 334] },
  ])("$name: allocate($total, $weights) = $parts", ({ total, weights, parts }) => {
    const got = allocate(total, weights);
    expect(got).toEqual(parts);
    if (weights.length > 0) expect(got.reduce((a, b) => a + b, 0)).toBe(total);
  });

  it("is deterministic and leaves its input alone", () => {
    const weights = [7, 3, 7, 3, 7];
    const first = allocate(101, weights);
    expect(first).toEqual([26, 12, 26, 11, 26]);
    expect(allocate(101, weights)).toEqual(first);
    expect(weights).toEqual([7, 3, 7, 3, 7]);
  });

  it("hands leftover units to equal weights in index order", () => {
    expect(allocate(4, [1, 1, 1, 1, 1])).toEqual([1, 1, 1, 1, 0]);
  });
});
