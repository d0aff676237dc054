import { err, ok, type Result } from "../result.ts";
import { domainError, type DomainError } from "../errors.ts";
import { TIER_BASES, TIER_WINDOWS, type TierScheme } from "./types.ts";

const KEY = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const REWARD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What a schema cannot say about a tier scheme: keys unique, thresholds strictly ascending, benefits
 * in range. Errors: TIERS_INVALID with the field and what to fix.
 */
export function checkTierScheme(s: TierScheme): Result<TierScheme, DomainError> {
  const bad = (field: string, message: string) => err(domainError("TIERS_INVALID", message, { field }));
  if (!(TIER_BASES as readonly string[]).includes(s.basis)) return bad("basis", `basis must be one of ${TIER_BASES.join(", ")}.`);
  if (!(TIER_WINDOWS as readonly string[]).includes(s.window)) return bad("window", `window must be one of ${TIER_WINDOWS.join(", ")}.`);
  // Grace ends before the next period does, so one review is pending at a time.
  const maxGrace = s.window === "calendar_month" ? 27 : 364;
  if (!Number.isInteger(s.graceDays) || s.graceDays < 0 || s.graceDays > maxGrace) return bad("graceDays", `graceDays must be a whole number of days from 0 to ${maxGrace} for a ${s.window} window.`);
  if (s.levels.length === 0 || s.levels.length > 20) return bad("levels", "A scheme has 1 to 20 levels.");
  const keys = new Set<string>();
  for (const [i, l] of s.levels.entries()) {
    const at = `levels[${i}]`;
    if (!KEY.test(l.key)) return bad(`${at}.key`, `Level key "${l.key}" must be 1-32 lowercase letters, digits, "-" or "_".`);
    if (keys.has(l.key)) return bad(`${at}.key`, `Level key "${l.key}" is used twice.`);
    keys.add(l.key);
    if (!Number.isSafeInteger(l.threshold) || l.threshold < 1) return bad(`${at}.threshold`, "A threshold is a positive whole number (minor units for spend).");
    if (i > 0 && l.threshold <= s.levels[i - 1]!.threshold) return bad(`${at}.threshold`, `Levels go up: "${l.key}" needs more than "${s.levels[i - 1]!.key}" (${s.levels[i - 1]!.threshold}).`);
    const b = l.benefits;
    if (b.earnBonusPercent !== undefined && (!Number.isInteger(b.earnBonusPercent) || b.earnBonusPercent < 0 || b.earnBonusPercent > 1000)) {
      return bad(`${at}.benefits.earnBonusPercent`, "earnBonusPercent is a whole percentage from 0 to 1000.");
    }
    if (b.discountPercent !== undefined && (b.discountPercent <= 0 || b.discountPercent > 100 || Math.round(b.discountPercent * 100) !== b.discountPercent * 100)) {
      return bad(`${at}.benefits.discountPercent`, "discountPercent is above 0 and at most 100, with at most two decimals.");
    }
    if (b.entryPoints !== undefined && (!Number.isSafeInteger(b.entryPoints) || b.entryPoints < 1)) return bad(`${at}.benefits.entryPoints`, "entryPoints is a positive whole number.");
    // Whether the reward exists and can be given is the database's to say (the server checks it).
    if (b.entryReward !== undefined && (typeof b.entryReward !== "string" || !REWARD_ID.test(b.entryReward))) return bad(`${at}.benefits.entryReward`, "entryReward is the id of a reward of the catalogue (rwd_…).");
  }
  return ok(s);
}

/** The level index of `key`, or -1 for null (no tier); undefined when the scheme has no such level. */
export function levelOf(s: TierScheme, key: string | null): number | undefined {
  if (key === null) return -1;
  const i = s.levels.findIndex((l) => l.key === key);
  return i < 0 ? undefined : i;
}
