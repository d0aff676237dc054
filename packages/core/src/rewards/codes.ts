/**
 * Reward codes: what a customer reads out at the till or types at checkout. Twelve characters from
 * an alphabet without look-alikes (no 0/O, 1/I/L, U/V), shown in groups of four: 30^12 ≈ 2^58.9
 * possibilities, so guessing one is hopeless (the issue asks for at least 2^50). The randomness comes
 * from the caller (a port), so this stays pure.
 */
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ";
export const CODE_LENGTH = 12;

/**
 * `count` characters of CODE_ALPHABET from the first `byteCount` random bytes, read as one big number
 * and taken apart in base 29, so no character is measurably likelier than another when the bytes
 * hold 64 bits more than the characters need.
 */
export function alphabetCharacters(random: Uint8Array, byteCount: number, count: number): string {
  let n = 0n;
  for (const b of random.subarray(0, byteCount)) n = (n << 8n) | BigInt(b);
  const base = BigInt(CODE_ALPHABET.length);
  let out = "";
  for (let i = 0; i < count; i++) {
    out += CODE_ALPHABET[Number(n % base)];
    n /= base;
  }
  return out;
}

/** A code from at least 16 random bytes (the modulo bias over 2^128 is below 2^-69). */
export function codeFromRandom(bytes: Uint8Array): string {
  if (bytes.length < 16) throw new Error("codeFromRandom needs at least 16 random bytes");
  return alphabetCharacters(bytes, 16, CODE_LENGTH);
}

/** The code as typed (any case, spaces, dashes) in its stored form, or null when it cannot be a code. */
export function normalizeCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, "");
  if (s.length < 4 || s.length > 64 || !/^[A-Z0-9]+$/.test(s)) return null;
  return s;
}

/** XXXX-XXXX-XXXX for display. */
export function formatCode(code: string): string {
  return code.length === CODE_LENGTH ? code.match(/.{4}/g)!.join("-") : code;
}
