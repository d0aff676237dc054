import { alphabetCharacters } from "../rewards/codes.ts";

/**
 * A referral code: short enough to say aloud, from the look-alike-free alphabet of reward codes.
 * Four random characters after a readable prefix from the customer's name ("ANNA-7K3Q"), or eight
 * without one; the caller retries with fresh bytes on the rare collision (codes are unique per program).
 */
export function referralCode(name: string | null, random: Uint8Array, vanity: boolean): string {
  const prefix = vanity && name ? vanityPrefix(name) : "";
  return prefix ? `${prefix}-${alphabetCharacters(random, 8, 4)}` : alphabetCharacters(random, 12, 8);
}

/** The first name in ASCII capitals, at most 8 letters ("Nguyễn Thị Ánh" → "NGUYEN"); empty when nothing is left. */
export function vanityPrefix(name: string): string {
  const first = name.trim().split(/\s+/)[0] ?? "";
  return first.normalize("NFD").replace(/\p{Diacritic}/gu, "").replace(/[đĐ]/g, "D").toUpperCase().replace(/[^A-Z]/g, "").slice(0, 8);
}

/**
 * The code as typed, in the form it is looked up by: upper case, without spaces or dashes ("anna 7k3q",
 * "ANNA-7K3Q" and "anna7k3q" are one code), or null when it cannot be a referral code.
 */
export function normalizeReferralCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, "");
  return /^[0-9A-Z]{4,16}$/.test(s) ? s : null;
}
