/**
 * Split `total` across `weights` in proportion, with the largest-remainder method, so the parts
 * always sum to `total` exactly. Ties go to the earlier weight, which keeps it deterministic.
 * All weights zero: everything goes to the first part.
 *
 * @example allocate(100, [1, 1, 1]) // [34, 33, 33]
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  // While every product total × weight stays below 2^53, plain numbers are exact (and far cheaper
  // than BigInt, which carts call for every discount they spread).
  if (Math.abs(total) * sum <= Number.MAX_SAFE_INTEGER && weights.every((w) => w >= 0)) return allocateSmall(total, weights, sum);
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
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rems[b]! - rems[a]! || a - b);
    for (let k = 0; k < left; k++) parts[order[k]!]! += 1;
  }
  return sign === 1 ? parts : parts.map((p) => -p);
}
