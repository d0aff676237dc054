import type { CelCustomer } from "../rules/cel.ts";
import { applyRate } from "../money/rate.ts";
import { bps, type EffectOutcome } from "./apply-effects.ts";
import type { AppliedCampaign, CartEvaluation } from "./evaluate-cart.ts";
import type { Candidate } from "./price-combination.ts";

/**
 * What one campaign gave in a priced combination (price-combination.ts), as the answer shows it: its
 * discount, shipping, points, gifts, follow-up and partner codes, and who may be given points.
 */

/**
 * The empty list every campaign without gifts, follow-ups or partner codes shares: most campaigns have
 * none, and this ran four times for every campaign of every combination priced. Frozen, so a push into
 * it fails loudly instead of giving every campaign the item.
 */
const NONE: never[] = Object.freeze([]) as unknown as never[];

export function effectsOf(os: readonly EffectOutcome[]): AppliedCampaign["effects"] {
  return os.map((o) => ({ kind: o.kind, discount: o.kind === "free_shipping" ? 0 : o.discount, shippingDiscount: o.shippingDiscount, note: o.note }));
}

export function allGifts(applied: readonly AppliedCampaign[]): CartEvaluation["gifts"] {
  const out: CartEvaluation["gifts"] = [];
  for (const a of applied) {
    if (a.gifts.length === 0) continue; // NONE, shared and frozen: most campaigns
    for (const g of a.gifts) out.push({ ...g, campaignId: a.campaignId });
  }
  return out;
}

/** Why a campaign whose only gift is points gives a guest or a blocked member nothing (whyEmpty). */
export const GUEST_POINTS = "points (bonus points, multipliers) are credited to members only, and this checkout is a guest's";
export const BLOCKED_POINTS = "points (bonus points, multipliers) are credited to members only, and this member is blocked";
/** Why a points multiplier gives nothing: the earning rules give this order no points. */
export const NOTHING_TO_MULTIPLY = "the order earns no points for the multiplier to multiply";

/** Whether a promotion's points go to this customer: a member who is not blocked (blocked members earn nothing, as their orders do). */
export const earnsPoints = (customer: CelCustomer): boolean => customer.id !== "" && customer.status !== "blocked";

/**
 * What one campaign gave in a combination, in one pass over its outcomes (this runs for every
 * campaign of every combination priced); null when it gave nothing at all. `netAfter`: what the
 * order's merchandise costs after every discount, which values follow-up codes worth a share of it.
 * A guest or a blocked member gets no bonus points and no multiplier (points need a member account
 * in good standing): they would be recorded as given, and spend the campaign's uses and points budget.
 */
export function appliedCampaign(cand: Candidate, os: readonly EffectOutcome[], discount: number, netAfter: number, member: boolean): AppliedCampaign | null {
  let shippingDiscount = 0;
  let points = 0;
  let multiplier = 0;
  let gifts: AppliedCampaign["gifts"] | null = null;
  let followUps: AppliedCampaign["followUps"] | null = null;
  let partnerCodes: AppliedCampaign["partnerCodes"] | null = null;
  for (const o of os) {
    shippingDiscount += o.shippingDiscount;
    if (member) points += o.bonusPoints;
    if (member && o.multiplier) multiplier += o.multiplier - 1;
    if (o.gift) (gifts ??= []).push(o.gift);
    if (o.followUp) {
      const f = o.followUp;
      const value = f.percentOfOrder !== undefined ? applyRate(netAfter, bps(f.percentOfOrder), 10_000, "floor") : null;
      // A share of an order that comes to nothing is no credit: no code worth 0 is issued.
      if (value !== 0) (followUps ??= []).push({ campaignId: f.campaignId, validDays: f.validDays, value });
    }
    if (o.partnerCode) (partnerCodes ??= []).push(o.partnerCode);
  }
  if (discount === 0 && shippingDiscount === 0 && !gifts && points === 0 && !followUps && !partnerCodes && multiplier === 0) return null;
  const c = cand.campaign;
  return {
    campaignId: c.id, version: c.version, name: c.def.name, code: cand.code, discount, shippingDiscount, bonusPoints: points, multiplier: multiplier + 1,
    effects: NONE, // written by `effectsOf` for the combination that wins: notes are costly to format
    gifts: gifts ?? NONE, followUps: followUps ?? NONE, partnerCodes: partnerCodes ?? NONE,
  };
}
