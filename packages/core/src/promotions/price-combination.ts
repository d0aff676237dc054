import type { CelOrder } from "../rules/cel.ts";
import { allocate } from "../money/allocate.ts";
import { applyRate } from "../money/rate.ts";
import { applyEffect, bps, isLineEffect, type EffectOutcome } from "./apply-effects.ts";
import { WorkingCart } from "./working-cart.ts";
import type { CartInput } from "./types.ts";
import type { AppliedCampaign, CartEvaluation, CartEvaluationInput, CompiledCampaign } from "./evaluate-cart.ts";

/**
 * Pricing one combination of campaigns (evaluate-cart.ts chooses among combinations): apply the
 * effects to a fresh working cart, trim with the margin guard, drop what would overrun a budget, and
 * say what each campaign gave.
 */

/** Lower priority first; ties by id, so the order never depends on how campaigns were listed. */
export const byPriority = (a: CompiledCampaign, b: CompiledCampaign) => a.def.priority - b.def.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The cart as conditions see it: before any discount. */
export function cartOrder(cart: CartInput, net?: readonly number[], discount = 0, shippingDiscount = 0): CelOrder {
  let subtotal = 0;
  let weight = 0;
  let items = 0;
  const lines = cart.lines.map((l, i) => {
    const gross = l.quantity * l.unitPrice;
    subtotal += gross;
    weight += (l.weight ?? 0) * l.quantity;
    items += l.quantity;
    return { sku: l.sku, name: l.name ?? "", category: l.category ?? "", quantity: l.quantity, unitPrice: l.unitPrice, net: net ? net[i]! : gross, weight: (l.weight ?? 0) * l.quantity };
  });
  const shipping = cart.shipping ?? 0;
  const total = subtotal - discount + shipping - shippingDiscount;
  return { id: "", currency: cart.currency, subtotal, discount: discount + shippingDiscount, shipping, tax: 0, total, earningBase: subtotal - discount, weight, itemCount: items, channel: cart.channel ?? "", store: cart.store ?? "", lines };
}

/** A campaign in the running for a cart, with the code that reached it (null: automatic). */
export interface Candidate {
  campaign: CompiledCampaign;
  code: string | null;
}

export const label = (c: Candidate) => `${c.campaign.def.name} (${c.campaign.id}${c.code ? `, code ${c.code}` : ""})`;


/** A combination of campaigns applied to the cart. */
export interface Priced {
  discount: number;
  shippingDiscount: number;
  /** What the order would earn with this combination, computed on first use. */
  points: () => number;
  applied: AppliedCampaign[];
  /** Campaigns of the combination that gave nothing, with why. */
  empty: Map<string, string>;
  /** Campaigns dropped because they would overrun their money budget. */
  overBudget: Set<string>;
  result: () => CartEvaluation;
  trace: string[];
}

export function better(a: Priced, b: Priced): boolean {
  const va = a.discount + a.shippingDiscount;
  const vb = b.discount + b.shippingDiscount;
  if (va !== vb) return va > vb;
  const pa = a.points();
  const pb = b.points();
  if (pa !== pb) return pa > pb;
  // A gift or a follow-up code is worth something too: applying nothing ("" sorts first) never wins.
  if ((a.applied.length === 0) !== (b.applied.length === 0)) return b.applied.length === 0;
  const ka = a.applied.map((x) => x.campaignId).join(",");
  const kb = b.applied.map((x) => x.campaignId).join(",");
  return ka < kb;
}

/**
 * Prices a combination. A campaign that would overrun its money budget is dropped and the rest priced
 * again without it (a budget is never overrun, and the others do not pay for its absence).
 */
export function price(option: readonly Candidate[], input: CartEvaluationInput, before: CelOrder): Priced {
  const dropped = new Map<string, string>();
  let members = option;
  for (;;) {
    const p = priceOnce(members, input, before);
    // A points budget must see the multiplier's extra, which needs the earning rules.
    if (members.some((m) => m.campaign.def.limits.budget?.points !== undefined)) p.points();
    let why: string | null = null;
    const over = p.applied.find((a) => {
      const budget = members.find((m) => m.campaign.id === a.campaignId)!.campaign.def.limits.budget;
      const u = input.usage.get(a.campaignId);
      const moneyLeft = budget?.money !== undefined ? budget.money - (u?.budgetMoneyUsed ?? 0) : Infinity;
      const pointsLeft = budget?.points !== undefined ? budget.points - (u?.budgetPointsUsed ?? 0) : Infinity;
      if (a.discount + a.shippingDiscount > moneyLeft) why = `its money budget has ${moneyLeft} left, less than the ${a.discount + a.shippingDiscount} it would give`;
      else if (a.bonusPoints > pointsLeft) why = `its points budget has ${pointsLeft} left, less than the ${a.bonusPoints} it would give`;
      return why !== null;
    });
    if (!over) {
      for (const id of dropped.keys()) p.overBudget.add(id);
      if (input.trace) p.trace.push(...dropped.values());
      return p;
    }
    dropped.set(over.campaignId, `${over.name} (${over.campaignId}): not applied, ${why}`);
    members = members.filter((m) => m.campaign.id !== over.campaignId);
  }
}

/** Applies a combination to a fresh copy of the cart and prices the result. */
function priceOnce(option: readonly Candidate[], input: CartEvaluationInput, before: CelOrder): Priced {
  const guard = input.guard;
  const w = new WorkingCart(input.cart, guard?.lineFloorPercent ? bps(guard.lineFloorPercent) : 0);
  const trace: string[] = [];
  const outcomes = new Map<string, EffectOutcome[]>();
  const sorted = [...option].sort((a, b) => byPriority(a.campaign, b.campaign));
  // Line and unit effects first, in priority order; then order effects on what is left.
  for (const pass of [true, false]) {
    for (const cand of sorted) {
      for (const e of cand.campaign.def.effects) {
        if (isLineEffect(e) !== pass) continue;
        const o = applyEffect(w, e, cand.campaign.id);
        const list = outcomes.get(cand.campaign.id);
        if (list) list.push(o);
        else outcomes.set(cand.campaign.id, [o]);
      }
    }
  }

  const trimmedAway = new Set<string>();
  // The margin guard: the whole discount at most maxDiscountPercent of the subtotal; the campaigns
  // applied last give back first.
  if (guard?.maxDiscountPercent !== undefined && guard.maxDiscountPercent !== null) {
    const cap = applyRate(before.subtotal, bps(guard.maxDiscountPercent), 10_000, "floor");
    let over = before.subtotal - w.merchandiseNet() - cap;
    // Campaigns the guard took everything from: their codes must say so, not "nothing to apply to".
    if (over > 0 && input.trace) trace.push(`margin guard: the discount is capped at ${guard.maxDiscountPercent}% of ${before.subtotal} = ${cap}; ${over} given back`);
    for (let k = sorted.length - 1; k >= 0 && over > 0; k--) {
      const id = sorted[k]!.campaign.id;
      const per = w.adjustments.map((a) => a.get(id) ?? 0);
      const had = per.reduce((a, b) => a + b, 0);
      const back = Math.min(had, over);
      if (back === 0) continue;
      const parts = allocate(back, per);
      parts.forEach((p, i) => w.giveBack(i, p, id));
      if (back === had) trimmedAway.add(id);
      over -= back;
    }
  }

  const applied: AppliedCampaign[] = [];
  const empty = new Map<string, string>();
  // Follow-up codes worth a share of the order are valued once the order's total is known.
  const pendingFollowUps = new Map<string, NonNullable<EffectOutcome["followUp"]>[]>();
  let bonus = 0;
  for (const cand of sorted) {
    const os = outcomes.get(cand.campaign.id) ?? [];
    const discount = w.discountOf(cand.campaign.id);
    // One pass over the outcomes (this runs for every campaign of every combination priced).
    let shippingDiscount = 0;
    let points = 0;
    let multiplier = 0;
    const gifts: AppliedCampaign["gifts"] = [];
    const followUpEffects: NonNullable<EffectOutcome["followUp"]>[] = [];
    const partnerCodes: AppliedCampaign["partnerCodes"] = [];
    for (const o of os) {
      shippingDiscount += o.shippingDiscount;
      points += o.bonusPoints ?? 0;
      if (o.multiplier) multiplier += o.multiplier - 1;
      if (o.gift) gifts.push(o.gift);
      if (o.followUp) followUpEffects.push(o.followUp);
      if (o.partnerCode) partnerCodes.push(o.partnerCode);
    }
    if (discount === 0 && shippingDiscount === 0 && gifts.length === 0 && points === 0 && followUpEffects.length === 0 && partnerCodes.length === 0 && multiplier === 0) {
      empty.set(cand.campaign.id, trimmedAway.has(cand.campaign.id) ? `the program's margin guard (at most ${guard!.maxDiscountPercent}% off) left no room for it` : os.map((o) => o.note).join("; "));
      if (input.trace) trace.push(`${label(cand)}: gives nothing here (${os.map((o) => o.note).join("; ")})`);
      continue;
    }
    bonus += points;
    pendingFollowUps.set(cand.campaign.id, followUpEffects);
    applied.push({
      campaignId: cand.campaign.id, version: cand.campaign.version, name: cand.campaign.def.name, code: cand.code, discount, shippingDiscount, bonusPoints: points, multiplier: multiplier + 1,
      effects: os.map((o) => ({ kind: o.kind, discount: o.kind === "free_shipping" ? 0 : o.discount, shippingDiscount: o.shippingDiscount, note: o.note })), gifts,
      followUps: [], partnerCodes,
    });
    if (input.trace) trace.push(`${label(cand)}: ${os.map((o) => o.note).join("; ")}`);
  }

  const discount = before.subtotal - w.merchandiseNet();
  const shippingDiscount = applied.reduce((n, a) => n + a.shippingDiscount, 0);
  // The earning rules run only when the points are needed: a tie on money, a points budget, or the
  // combination that wins. Most combinations are decided on money alone.
  let earned: { rules: number; extra: number; total: number } | null = null;
  const points = () => {
    if (earned) return earned.total;
    const rules = input.earn ? input.earn(cartOrder(input.cart, w.net, discount, shippingDiscount)) : 0;
    // Multipliers add up (2 and 3 give 1 + 1 + 2 times); each campaign's extra is rounded down and
    // counted in its own bonusPoints, so a rollback takes back exactly what that campaign gave.
    let extra = 0;
    for (const a of applied) {
      if (a.multiplier === 1) continue;
      const e = Math.floor((rules * Math.round((a.multiplier - 1) * 100)) / 100);
      a.bonusPoints += e;
      extra += e;
    }
    earned = { rules, extra, total: rules + extra + bonus };
    return earned.total;
  };
  const shipping = input.cart.shipping ?? 0;
  for (const a of applied) {
    a.followUps = (pendingFollowUps.get(a.campaignId) ?? []).map((f) => ({
      campaignId: f.campaignId, validDays: f.validDays, value: f.percentOfOrder !== undefined ? applyRate(before.subtotal - discount, bps(f.percentOfOrder), 10_000, "floor") : null,
    }));
  }
  return {
    discount, shippingDiscount, points, applied, empty, overBudget: new Set(), trace,
    // Built only for the combination that wins.
    result: () => {
      const total = points();
      return {
      currency: input.cart.currency, subtotal: before.subtotal, discount, shipping, shippingDiscount, total: before.subtotal - discount + shipping - shippingDiscount,
      lines: input.cart.lines.map((l, i) => ({
        index: i, sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, subtotal: w.gross[i]!, discount: w.gross[i]! - w.net[i]!, total: w.net[i]!,
        adjustments: [...w.adjustments[i]!].map(([campaignId, amount]) => ({ campaignId, amount })),
      })),
      applied,
      gifts: applied.flatMap((a) => a.gifts.map((g) => ({ ...g, campaignId: a.campaignId }))),
      points: { rules: earned!.rules, bonus: bonus + earned!.extra, total },
      refused: [],
      trace: [],
      };
    },
  };
}
