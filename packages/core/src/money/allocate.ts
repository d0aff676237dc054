/**
 * Split `total` across `weights` in proportion, with the largest-remainder method, so the parts
 * always sum to `total` exactly. Ties go to the earlier weight, which keeps it deterministic.
 * All weights zero: everything goes to the first part.
 *
 * @example allocate(100, [1, 1, 1]) // [34, 33, 33]
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  let sum = 0;
  let nonNegative = true;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    sum += w;
    if (w < 0) nonNegative = false;
  }
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  // While every product total × weight stays below 2^53, plain numbers are exact (and far cheaper
  // than BigInt, which carts call for every discount they spread).
  if (Math.abs(total) * sum <= Number.MAX_SAFE_INTEGER && nonNegative) return allocateSmall(total, weights, sum);
  const T = BigInt(total);
  const S = BigInt(sum);
  const parts = weights.map((w) => (T * BigInt(w)) / S);
  const remainders = weights.map((w, i) => ({ i, r: (T * BigInt(w)) % S }));
  const left = Number(T - parts.reduce((a, b) => a + b, 0n));
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; k < left; k++) parts[remainders[k]!.i]! += 1n;
  return parts.map(Number);
}

function allocateSmall(total: number, weights: readonly number[], sum: number): number[] {
  const n = weights.length;
  const parts = new Array<number>(n);
  const rems = new Array<number>(n);
  const sign = total < 0 ? -1 : 1;
  const t = Math.abs(total);
  let given = 0;
  for (let i = 0; i < n; i++) {
    const p = t * weights[i]!;
    parts[i] = Math.floor(p / sum);
    rems[i] = p - parts[i]! * sum;
    given += parts[i]!;
  }
  const left = t - given;
  if (left > 0) {
    if (left * n <= SELECT_AT_MOST) giveLargestRemainders(parts, rems, left);
    else {
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rems[b]! - rems[a]! || a - b);
      for (let k = 0; k < left; k++) parts[order[k]!]! += 1;
    }
  }
  if (sign === 1) return parts;
  for (let i = 0; i < n; i++) parts[i] = -parts[i]!;
  return parts;
}

/**
 * Up to this many steps (leftover units × parts), picking the largest remainders one by one beats
 * sorting every index: carts spread over a handful of lines with a few units left over, on every
 * discount, and the sort's index array and comparator closure cost more than the whole split.
 */
const SELECT_AT_MOST = 256;

/**
 * One unit to each of the `left` largest remainders, ties to the earlier part: the same parts as
 * sorting the indexes by (remainder descending, index ascending) and taking the first `left`.
 * Consumes `rems` (a picked remainder becomes -Infinity so it is not picked again).
 */
function giveLargestRemainders(parts: number[], rems: number[], left: number): void {
  const n = rems.length;
  for (let k = 0; k < left; k++) {
    let best = -1;
    let bestRem = -Infinity;
    // Strictly greater: among equal remainders the earliest index wins.
    for (let i = 0; i < n; i++) {
      if (rems[i]! > bestRem) {
        bestRem = rems[i]!;
        best = i;
      }
    }
    if (best < 0) return;
    parts[best]! += 1;
    rems[best] = -Infinity;
  }
}
