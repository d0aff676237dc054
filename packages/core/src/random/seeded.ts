/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence, so demo
 * data and generated tests are reproducible. Deterministic, hence allowed in core; never use it for
 * anything that must be unguessable (ids and codes use the server's crypto-backed generators).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
