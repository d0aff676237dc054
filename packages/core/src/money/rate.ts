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
  const exact = value * numerator;
  if (exact + denominator <= Number.MAX_SAFE_INTEGER) return roundQuotient(exact, denominator, rounding);
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

/**
 * The same rounding in plain numbers, for a product that is a safe integer (almost every call: it
 * spares a BigInt allocation per rule and per line). The float quotient may be one off near an
 * integer, so the remainder corrects it; with p + d a safe integer every step here is exact.
 */
function roundQuotient(p: number, d: number, rounding: Rounding): number {
  let q = Math.floor(p / d);
  let r = p - q * d;
  if (r < 0) {
    q -= 1;
    r += d;
  } else if (r >= d) {
    q += 1;
    r -= d;
  }
  if (r === 0) return q;
  switch (rounding) {
    case "floor":
      return q;
    case "ceil":
      return q + 1;
    case "half_up":
      return 2 * r >= d ? q + 1 : q;
    case "half_even":
      if (2 * r > d) return q + 1;
      if (2 * r < d) return q;
      return q % 2 === 0 ? q : q + 1;
  }
}
