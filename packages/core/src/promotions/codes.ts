import { alphabetCharacters } from "../rewards/codes.ts";

/**
 * Promotion codes: reusable ones a merchant chooses ("SUMMER10") and bulk unique ones generated from
 * a pattern ("BF-####-####"). Both are stored in one normal form, so a customer may type them in any
 * case, with or without spaces and hyphens, and two campaigns can never hold codes that differ only
 * in the way they are written.
 */

/** The shortest and longest promotion code, in normal form. */
export const PROMO_CODE_MIN = 3;
export const PROMO_CODE_MAX = 64;

/**
 * Spaces and dashes of every kind, and the invisible characters that copying a code out of an email or
 * a PDF brings along (zero-width spaces and joiners, word joiner, soft hyphen), none of which a
 * customer can see to remove.
 */
const IGNORED = /[\s\p{Pd}\u00AD\u200B-\u200D\u2060\u2212]/gu;

/**
 * The code as stored: in Unicode compatibility form (full-width letters and digits, as a Japanese or
 * Chinese input method types them, become A-Z and 0-9), upper-cased, without spaces, hyphens and
 * dashes; null when the result is not 3 to 64 letters A-Z and digits.
 *
 * @example normalizePromoCode(" bf-2026 ") // "BF2026"
 * @example normalizePromoCode("ＢＦ–２０２６") // "BF2026"
 */
export function normalizePromoCode(typed: string): string | null {
  const s = typed.normalize("NFKC").toUpperCase().replace(IGNORED, "");
  if (s.length < PROMO_CODE_MIN || s.length > PROMO_CODE_MAX || !/^[A-Z0-9]+$/.test(s)) return null;
  return s;
}

/** Where a pattern holds a random character. */
export const PATTERN_SLOT = "#";
/** The default pattern for bulk codes: 12 random characters, about 2^58. */
export const DEFAULT_CODE_PATTERN = "####-####-####";
/**
 * The fewest random characters a pattern may have: 29^10 ≈ 2^48.6 codes. A campaign holds at most
 * 100,000 live codes, so one guess finds one with a chance below 2^-31: a guesser needs billions of
 * attempts per hit, which the rate limits turn into years. The space also keeps generation cheap:
 * 100,000 codes drawn from it collide with a chance near 10^-5, so a second round is rare.
 */
export const PATTERN_MIN_SLOTS = 10;
export const PATTERN_MAX_LENGTH = 64;

const slotsOf = (pattern: string) => [...pattern].filter((ch) => ch === PATTERN_SLOT).length;

/**
 * Why a bulk-code pattern cannot be used, or null when it can: 1 to 64 characters, at least 10 `#`,
 * the rest letters, digits, hyphens and spaces (what the normal form keeps or drops).
 */
export function checkCodePattern(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > PATTERN_MAX_LENGTH) return `A pattern has 1 to ${PATTERN_MAX_LENGTH} characters.`;
  if (!/^[A-Za-z0-9# -]+$/.test(pattern)) return "A pattern holds `#` (a random character), letters, digits, hyphens and spaces.";
  const slots = slotsOf(pattern);
  if (slots < PATTERN_MIN_SLOTS) return `A pattern needs at least ${PATTERN_MIN_SLOTS} \`#\` so codes cannot be guessed (29^10 ≈ 2^48 codes); this one has ${slots}.`;
  return null;
}

/**
 * How many random bytes `codeFromPattern` needs for this pattern: 5 bits per `#` (29 < 2^5) plus 64,
 * so the modulo bias of the draw is below 2^-64.
 */
export function patternRandomBytes(pattern: string): number {
  return Math.ceil((slotsOf(pattern) * 5 + 64) / 8);
}

/**
 * One code from a pattern: each `#` becomes a random character of CODE_ALPHABET (no look-alikes),
 * every other character stays as written. The randomness comes from the caller (a port), which
 * passes at least `patternRandomBytes(pattern)` bytes; they are read as one big number and taken
 * apart in base 29, so no character is measurably likelier than another. Store the result in its
 * normal form (`normalizePromoCode`).
 *
 * @example codeFromPattern("BF-####-######", bytes) // "BF-7KQ2-M9XAPC"
 */
export function codeFromPattern(pattern: string, random: Uint8Array): string {
  const bad = checkCodePattern(pattern);
  if (bad) throw new Error(bad);
  const needed = patternRandomBytes(pattern);
  if (random.length < needed) throw new Error(`codeFromPattern needs ${needed} random bytes for this pattern, got ${random.length}`);
  const chars = alphabetCharacters(random, needed, slotsOf(pattern));
  let k = 0;
  let out = "";
  for (const ch of pattern) out += ch === PATTERN_SLOT ? chars[k++] : ch;
  return out;
}
