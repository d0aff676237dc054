import { err, ok, type Result } from "../result.ts";
import { domainError, type DomainError } from "../errors.ts";
import type { ReferralReward, ReferralSettings } from "./types.ts";

const whole = (n: number | undefined, min: number) => n === undefined || (Number.isSafeInteger(n) && n >= min);

/** What a schema cannot say about referral settings. Errors: REFERRALS_INVALID with the field. */
export function checkReferralSettings(s: ReferralSettings): Result<ReferralSettings, DomainError> {
  const bad = (field: string, message: string) => err(domainError("REFERRALS_INVALID", message, { field }));
  const reward = (r: ReferralReward, field: string) => {
    if (!whole(r.points, 1) || !whole(r.bonus, 1)) return bad(field, "A reward gives a whole number of points and/or of bonus minor units, each at least 1 when given.");
    return null;
  };
  if (!whole(s.attributionDays, 1) || s.attributionDays > 365) return bad("attributionDays", "attributionDays is 1 to 365.");
  if (!whole(s.friend.validDays, 1) || s.friend.validDays > 3650) return bad("friend.validDays", "friend.validDays is 1 to 3650.");
  if (!whole(s.friend.points, 0)) return bad("friend.points", "friend.points is a whole number, 0 for none.");
  if (!whole(s.referrer.holdDays, 0) || s.referrer.holdDays > 365) return bad("referrer.holdDays", "referrer.holdDays is 0 to 365.");
  if (s.referrer.on === "every_order" && !whole(s.referrer.months ?? 0, 1)) return bad("referrer.months", "every_order rewards need `months`: for how long after the friend's signup.");
  const r = reward(s.referrer.reward, "referrer.reward");
  if (r) return r;
  for (const [i, step] of s.referrer.ladder.entries()) {
    if (!whole(step.from, 2)) return bad(`referrer.ladder[${i}].from`, "A ladder step starts at the 2nd conversion or later.");
    if (i > 0 && step.from <= s.referrer.ladder[i - 1]!.from) return bad(`referrer.ladder[${i}].from`, "Ladder steps go up.");
    const rr = reward(step.reward, `referrer.ladder[${i}].reward`);
    if (rr) return rr;
  }
  const c = s.commission;
  if (c) {
    if (!(c.percent > 0 && c.percent <= 100 && Math.round(c.percent * 100) === c.percent * 100)) return bad("commission.percent", "commission.percent is above 0 and at most 100, with at most two decimals.");
    if (!whole(c.months, 1)) return bad("commission.months", "commission.months is at least 1.");
    if (!whole(c.capPerFriend, 1)) return bad("commission.capPerFriend", "commission.capPerFriend is at least 1 when given.");
    if (c.capPerPeriod && !whole(c.capPerPeriod.amount, 1)) return bad("commission.capPerPeriod.amount", "commission.capPerPeriod.amount is at least 1.");
  }
  for (const [i, cap] of s.caps.entries()) if (!whole(cap.max, 1)) return bad(`caps[${i}].max`, "A cap allows at least 1 conversion.");
  return ok(s);
}
