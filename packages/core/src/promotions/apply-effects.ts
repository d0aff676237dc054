import { allocate } from "../money/allocate.ts";
import { applyRate } from "../money/rate.ts";
import { matches, unitsOf, type Unit, type WorkingCart } from "./working-cart.ts";
import type { PromotionEffect } from "./types.ts";

/** A percentage with up to two decimals, as basis points (12.5 -> 1250). */
export const bps = (percent: number): number => Math.round(percent * 100);

/** What one effect did: money off (merchandise or shipping), a gift, points, a follow-up code. */
export interface EffectOutcome {
  kind: PromotionEffect["kind"];
  discount: number;
  shippingDiscount: number;
  gift?: { sku: string; name: string; quantity: number };
  bonusPoints?: number;
  multiplier?: number;
  followUp?: { campaignId: string; validDays: number; percentOfOrder?: number | undefined };
  partnerCode?: { rewardId: string };
  note: string;
}

/** Effects that price lines or units come first; effects on the whole order apply to what is left. */
export const isLineEffect = (e: PromotionEffect): boolean => e.kind === "lines_percent" || e.kind === "lines_fixed" || e.kind === "bundle" || e.kind === "buy_x_get_y";

/** Takes the discount of each unit, grouped by line. */
function takeUnits(w: WorkingCart, units: readonly Unit[], each: (u: Unit) => number, campaignId: string): number {
  const perLine = new Map<number, number>();
  for (const u of units) perLine.set(u.line, (perLine.get(u.line) ?? 0) + each(u));
  let took = 0;
  for (const [line, amount] of perLine) took += w.take(line, amount, campaignId);
  return took;
}

/**
 * The rate, in basis points, a progressive or ladder effect gives at its `progress`: base plus a step
 * for every `every` reached, capped; or the highest ladder step reached. Integers throughout.
 */
export function currentRate(effect: Extract<PromotionEffect, { kind: "progressive_percent" | "spend_ladder" }>): number {
  const progress = Math.max(0, effect.progress ?? 0);
  if (effect.kind === "spend_ladder") {
    let rate = 0;
    for (const s of effect.steps) if (progress >= s.from) rate = bps(s.percent);
    return rate;
  }
  return Math.min(bps(effect.maxPercent), bps(effect.basePercent) + bps(effect.stepPercent) * Math.floor(progress / effect.every));
}

const noGain = (kind: PromotionEffect["kind"], note: string): EffectOutcome => ({ kind, discount: 0, shippingDiscount: 0, note });

/**
 * Applies one effect of a campaign to the working cart. Pure: the working cart is the only state,
 * and it belongs to this evaluation.
 */
export function applyEffect(w: WorkingCart, effect: PromotionEffect, campaignId: string): EffectOutcome {
  const lines = w.cart.lines;
  switch (effect.kind) {
    case "order_percent": {
      const all = lines.map((_, i) => i);
      const off = applyRate(w.merchandiseNet(), bps(effect.percent), 10_000, "floor");
      const amount = effect.max !== undefined ? Math.min(off, effect.max) : off;
      const took = w.spread(amount, all, campaignId);
      return { kind: effect.kind, discount: took, shippingDiscount: 0, note: `${effect.percent}% off the order${effect.max !== undefined ? ` (at most ${effect.max})` : ""}: ${took}` };
    }
    case "progressive_percent":
    case "spend_ladder": {
      const rate = currentRate(effect);
      if (rate === 0) return noGain(effect.kind, `no step reached (${effect.progress ?? 0} so far)`);
      const off = applyRate(w.merchandiseNet(), rate, 10_000, "floor");
      const amount = effect.max !== undefined ? Math.min(off, effect.max) : off;
      const took = w.spread(amount, lines.map((_, i) => i), campaignId);
      return { kind: effect.kind, discount: took, shippingDiscount: 0, note: `${rate / 100}% off the order (${effect.progress ?? 0} so far${effect.kind === "progressive_percent" ? ` this ${effect.period}` : " spent"}): ${took}` };
    }
    case "order_fixed": {
      const took = w.spread(effect.amount, lines.map((_, i) => i), campaignId);
      return { kind: effect.kind, discount: took, shippingDiscount: 0, note: `${effect.amount} off the order: ${took}` };
    }
    case "lines_percent": {
      const rate = bps(effect.percent);
      if (effect.cheapest !== undefined) {
        const units = unitsOf(w.cart, effect.filter).slice(0, effect.cheapest);
        const took = takeUnits(w, units, (u) => applyRate(u.price, rate, 10_000, "floor"), campaignId);
        return units.length ? { kind: effect.kind, discount: took, shippingDiscount: 0, note: `${effect.percent}% off the ${units.length} cheapest matching units: ${took}` } : noGain(effect.kind, "no matching line");
      }
      let took = 0;
      let reached = 0;
      lines.forEach((l, i) => {
        if (l.quantity > 0 && matches(effect.filter, l.sku, l.category)) {
          reached++;
          took += w.take(i, applyRate(w.net[i]!, rate, 10_000, "floor"), campaignId);
        }
      });
      return reached ? { kind: effect.kind, discount: took, shippingDiscount: 0, note: `${effect.percent}% off ${reached} matching line(s): ${took}` } : noGain(effect.kind, "no matching line");
    }
    case "lines_fixed": {
      const units = unitsOf(w.cart, effect.filter);
      const chosen = effect.cheapest !== undefined ? units.slice(0, effect.cheapest) : units;
      const took = takeUnits(w, chosen, (u) => Math.min(effect.amountPerUnit, u.price), campaignId);
      return chosen.length ? { kind: effect.kind, discount: took, shippingDiscount: 0, note: `${effect.amountPerUnit} off each of ${chosen.length} matching unit(s): ${took}` } : noGain(effect.kind, "no matching line");
    }
    case "bundle":
      return applyBundle(w, effect, campaignId);
    case "buy_x_get_y":
      return applyBuyXGetY(w, effect, campaignId);
    case "gift":
      return { kind: effect.kind, discount: 0, shippingDiscount: 0, gift: { sku: effect.sku, name: effect.name ?? effect.sku, quantity: effect.quantity }, note: `gift: ${effect.quantity} × ${effect.sku}` };
    case "free_shipping": {
      const amount = Math.min(w.shippingLeft, effect.max ?? w.shippingLeft);
      w.shippingLeft -= amount;
      return { kind: effect.kind, discount: 0, shippingDiscount: amount, note: amount > 0 ? `shipping off: ${amount}` : "no shipping to take off" };
    }
    case "bonus_points":
      return { kind: effect.kind, discount: 0, shippingDiscount: 0, bonusPoints: effect.points, note: `${effect.points} bonus points` };
    case "points_multiplier":
      return { kind: effect.kind, discount: 0, shippingDiscount: 0, multiplier: effect.factor, note: `points × ${effect.factor}` };
    case "follow_up_code":
      return {
        kind: effect.kind, discount: 0, shippingDiscount: 0, followUp: { campaignId: effect.campaignId, validDays: effect.validDays, percentOfOrder: effect.percentOfOrder },
        note: `a personal code of ${effect.campaignId}${effect.percentOfOrder !== undefined ? ` worth ${effect.percentOfOrder}% of the order` : ""} after the order, valid ${effect.validDays} days`,
      };
    case "partner_code":
      return { kind: effect.kind, discount: 0, shippingDiscount: 0, partnerCode: { rewardId: effect.rewardId }, note: `a partner code from the pool of ${effect.rewardId} after the order` };
  }
}

/**
 * Each application takes `quantity` units of every item, the dearest first (best for the customer),
 * and sells them together for `price`. Units used by one item are not used by another.
 */
function applyBundle(w: WorkingCart, effect: Extract<PromotionEffect, { kind: "bundle" }>, campaignId: string): EffectOutcome {
  const key = (u: Unit) => u.line * 1_000_000 + u.k;
  const used = new Set<number>();
  const pools = effect.items.map((item) => unitsOf(w.cart, item.filter).reverse());
  let applications = 0;
  let took = 0;
  const max = effect.maxApplications ?? Number.MAX_SAFE_INTEGER;
  while (applications < max) {
    const picked: Unit[] = [];
    const claim = new Set<number>();
    let complete = true;
    for (let k = 0; k < effect.items.length && complete; k++) {
      const need = effect.items[k]!.quantity;
      const got = pools[k]!.filter((u) => !used.has(key(u)) && !claim.has(key(u))).slice(0, need);
      if (got.length < need) complete = false;
      for (const u of got) claim.add(key(u));
      picked.push(...got);
    }
    if (!complete) break;
    for (const c of claim) used.add(c);
    applications++;
    const list = picked.reduce((n, u) => n + u.price, 0);
    const off = Math.max(0, list - effect.price);
    if (off === 0) continue;
    const parts = allocate(off, picked.map((u) => u.price));
    const perLine = new Map<number, number>();
    picked.forEach((u, k) => perLine.set(u.line, (perLine.get(u.line) ?? 0) + parts[k]!));
    for (const [line, amount] of perLine) took += w.take(line, amount, campaignId);
  }
  return applications ? { kind: "bundle", discount: took, shippingDiscount: 0, note: `bundle at ${effect.price} × ${applications}: ${took}` } : noGain("bundle", "the cart does not hold the whole bundle");
}

/**
 * Each application takes the `buy` units from the dearest matching units and gives the `get` units
 * from the cheapest matching units left, at `percent` off, so the cheapest items are the free ones.
 */
function applyBuyXGetY(w: WorkingCart, effect: Extract<PromotionEffect, { kind: "buy_x_get_y" }>, campaignId: string): EffectOutcome {
  const lines = w.cart.lines;
  const all = unitsOf(w.cart, { skus: [], categories: [] }).filter((u) => {
    const l = lines[u.line]!;
    return matches(effect.buy.filter, l.sku, l.category) || matches(effect.get.filter, l.sku, l.category);
  });
  const used = new Array<boolean>(all.length).fill(false);
  const rate = bps(effect.percent);
  const given: Unit[] = [];
  let applications = 0;
  const max = effect.maxApplications ?? Number.MAX_SAFE_INTEGER;
  while (applications < max) {
    const buy: number[] = [];
    for (let k = all.length - 1; k >= 0 && buy.length < effect.buy.quantity; k--) {
      const l = lines[all[k]!.line]!;
      if (!used[k] && matches(effect.buy.filter, l.sku, l.category)) buy.push(k);
    }
    if (buy.length < effect.buy.quantity) break;
    for (const k of buy) used[k] = true;
    const get: number[] = [];
    for (let k = 0; k < all.length && get.length < effect.get.quantity; k++) {
      const l = lines[all[k]!.line]!;
      if (!used[k] && matches(effect.get.filter, l.sku, l.category)) get.push(k);
    }
    if (get.length < effect.get.quantity) {
      for (const k of buy) used[k] = false;
      break;
    }
    for (const k of get) {
      used[k] = true;
      given.push(all[k]!);
    }
    applications++;
  }
  if (applications === 0) return noGain("buy_x_get_y", `fewer than ${effect.buy.quantity} + ${effect.get.quantity} matching units`);
  const took = takeUnits(w, given, (u) => applyRate(u.price, rate, 10_000, "floor"), campaignId);
  return { kind: "buy_x_get_y", discount: took, shippingDiscount: 0, note: `buy ${effect.buy.quantity} get ${effect.get.quantity} at ${effect.percent}% off × ${applications}: ${took}` };
}
