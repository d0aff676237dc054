export type Rounding = "floor" | "ceil" | "half_up" | "half_even";
export const ROUNDINGS = ["floor", "ceil", "half_up", "half_even"] as const satisfies readonly Rounding[];

/**
 * `value × numerator / denominator`, rounded as asked, in exact integer arithmetic (BigInt inside,
 * so no float ever touches money or points). Value and numerator are non-negative integers,
 * denominator a positive integer.
 *
 * @example applyRate(12_345, 1, 100, "floor") // 123: one point per 100 minor units
 */
export function applyRate(value: number, numerator: number, denominator: number, rounding: Rounding): number {
  if (!Number.isSafeInteger(value) || !Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator)) {
    throw new RangeError("applyRate takes safe integers");
  }
  if (denominator <= 0 || value < 0 || numerator < 0) throw new RangeError("applyRate: negative input or zero denominator");
  const product = BigInt(value) * BigInt(numerator);
  const d = BigInt(denominator);
  const q = product / d;
  const r = product % d;
  if (r === 0n) return Number(q);
  switch (rounding) {
    case "floor":
      return Number(q);
    case "ceil":
      return Number(q + 1n);
    case "half_up":
      return Number(2n * r >= d ? q + 1n : q);
    case "half_even":
      if (2n * r > d) return Number(q + 1n);
      if (2n * r < d) return Number(q);
      return Number(q % 2n === 0n ? q : q + 1n);
  }
}
