import { allocate } from "../money/allocate.ts";
import { applyRate } from "../money/rate.ts";
import type { CartLines, Unit, WorkingCart } from "./working-cart.ts";
import type { PromotionEffect } from "./types.ts";

/** A percentage with up to two decimals, as basis points (12.5 -> 1250). */
export const bps = (percent: number): number => Math.round(percent * 100);

/**
 * What one effect did: money off (merchandise or shipping), a gift, points, a follow-up code, and a
 * note for people. One class for every kind of effect, with every field present: the pricing reads
 * these fields for every campaign of every combination, and outcomes of six shapes made each of
 * those reads a lookup through V8's megamorphic cache. The note is written only when read: most
 * are never read (combinations that lose, carts priced without a trace), and formatting the numbers
 * cost more than applying the effect.
 */
export class EffectOutcome {
  bonusPoints = 0;
  /** The points multiplier this effect applies (0: none). */
  multiplier = 0;
  gift: { sku: string; name: string; quantity: number } | null = null;
  followUp: { campaignId: string; validDays: number; percentOfOrder?: number | undefined } | null = null;
  partnerCode: { rewardId: string } | null = null;
  private text: string | null = null;

  /** `count`: what the note counts (units, lines, applications or a rate, by kind: see describe); -1: the effect found nothing to act on. */
  constructor(
    private readonly effect: PromotionEffect,
    readonly kind: PromotionEffect["kind"],
    readonly discount: number,
    readonly shippingDiscount: number,
    private readonly count: number,
  ) {}

  get note(): string {
    return (this.text ??= describe(this.effect, this.discount, this.shippingDiscount, this.count));
  }
}

/** Effects that price lines or units come first; effects on the whole order apply to what is left. */
export const isLineEffect = (e: PromotionEffect): boolean => e.kind === "lines_percent" || e.kind === "lines_fixed" || e.kind === "bundle" || e.kind === "buy_x_get_y";

/**
 * Takes the discount of each unit, grouped by line: `rate` basis points off each unit's price, or
 * with `rate` null, `fixed` off each unit (at most its price).
 */
function takeUnits(w: WorkingCart, units: readonly Unit[], rate: number | null, fixed: number, slot: number): number {
  const perLine = new Array<number>(w.lines.n).fill(0);
  for (const u of units) perLine[u.line]! += rate !== null ? applyRate(u.price, rate, 10_000, "floor") : Math.min(fixed, u.price);
  return takePerLine(w, perLine, slot);
}

/** Takes each line's amount (a line's take does not depend on the others', so line order is enough). */
function takePerLine(w: WorkingCart, perLine: readonly number[], slot: number): number {
  let took = 0;
  for (let i = 0; i < perLine.length; i++) if (perLine[i] !== 0) took += w.take(i, perLine[i]!, slot);
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

/**
 * Whether an effect surely acts on nothing in this cart, judged from the cart alone: a line effect
 * whose lines are not in the cart, a bundle missing an item, buy X get Y with too few units. The
 * same tests as applying it makes first, so never true of an effect that could give something.
 */
export function actsOnNothing(effect: PromotionEffect, lines: CartLines): boolean {
  switch (effect.kind) {
    case "lines_percent":
    case "lines_fixed":
      return lines.unitsReached(effect.filter) === 0;
    case "bundle":
      for (const item of effect.items) if (lines.unitsReached(item.filter) < item.quantity) return true;
      return false;
    case "buy_x_get_y":
      return lines.unitsReached(effect.buy.filter, effect.get.filter) < effect.buy.quantity + effect.get.quantity;
    default:
      return false;
  }
}

/** What applying an effect that acts on nothing would say (`actsOnNothing`). */
export const nothingNote = (effect: PromotionEffect): string => noGain(effect).note;

/** An effect that found nothing to act on. */
const noGain = (effect: PromotionEffect): EffectOutcome => new EffectOutcome(effect, effect.kind, 0, 0, -1);

/** Money off the merchandise; `n`: what the note counts (see describe). */
const gave = (effect: PromotionEffect, took: number, n: number): EffectOutcome => new EffectOutcome(effect, effect.kind, took, 0, n);

/** The note of an outcome (EffectOutcome.note). */
function describe(effect: PromotionEffect, took: number, shippingTook: number, n: number): string {
  switch (effect.kind) {
    case "order_percent":
      return `${effect.percent}% off the order${effect.max !== undefined ? ` (at most ${effect.max})` : ""}: ${took}`;
    case "progressive_percent":
    case "spend_ladder":
      if (n < 0) return `no step reached (${effect.progress ?? 0} so far)`;
      return `${n / 100}% off the order (${effect.progress ?? 0} so far${effect.kind === "progressive_percent" ? ` this ${effect.period}` : " spent"}): ${took}`;
    case "order_fixed":
      return `${effect.amount} off the order: ${took}`;
    case "lines_percent":
      if (n < 0) return "no matching line";
      return effect.cheapest !== undefined ? `${effect.percent}% off the ${n} cheapest matching units: ${took}` : `${effect.percent}% off ${n} matching line(s): ${took}`;
    case "lines_fixed":
      if (n < 0) return "no matching line";
      return `${effect.amountPerUnit} off each of ${n} matching unit(s): ${took}`;
    case "bundle":
      if (n < 0) return "the cart does not hold the whole bundle";
      return `bundle at ${effect.price} × ${n}: ${took}`;
    case "buy_x_get_y":
      if (n < 0) return `fewer than ${effect.buy.quantity} + ${effect.get.quantity} matching units`;
      return `buy ${effect.buy.quantity} get ${effect.get.quantity} at ${effect.percent}% off × ${n}: ${took}`;
    case "gift":
      return `gift: ${effect.quantity} × ${effect.sku}`;
    case "free_shipping":
      return shippingTook > 0 ? `shipping off: ${shippingTook}` : "no shipping to take off";
    case "bonus_points":
      return `${effect.points} bonus points`;
    case "points_multiplier":
      return `points × ${effect.factor}`;
    case "follow_up_code":
      return `a personal code of ${effect.campaignId}${effect.percentOfOrder !== undefined ? ` worth ${effect.percentOfOrder}% of the order` : ""} after the order, valid ${effect.validDays} days`;
    case "partner_code":
      return `a partner code from the pool of ${effect.rewardId} after the order`;
  }
}

/**
 * Applies one effect of a campaign to the working cart. Pure: the working cart is the only state,
 * and it belongs to this evaluation.
 */
export function applyEffect(w: WorkingCart, effect: PromotionEffect, slot: number): EffectOutcome {
  const lines = w.cart.lines;
  switch (effect.kind) {
    case "order_percent": {
      const off = applyRate(w.merchandiseNet(), bps(effect.percent), 10_000, "floor");
      const amount = effect.max !== undefined ? Math.min(off, effect.max) : off;
      const took = w.spread(amount, slot);
      return gave(effect, took, 0);
    }
    case "progressive_percent":
    case "spend_ladder": {
      const rate = currentRate(effect);
      if (rate === 0) return noGain(effect);
      const off = applyRate(w.merchandiseNet(), rate, 10_000, "floor");
      const amount = effect.max !== undefined ? Math.min(off, effect.max) : off;
      const took = w.spread(amount, slot);
      return gave(effect, took, rate);
    }
    case "order_fixed": {
      const took = w.spread(effect.amount, slot);
      return gave(effect, took, 0);
    }
    case "lines_percent": {
      const rate = bps(effect.percent);
      if (effect.cheapest !== undefined) {
        const units = w.lines.unitsOf(effect.filter).slice(0, effect.cheapest);
        const took = takeUnits(w, units, rate, 0, slot);
        return units.length ? gave(effect, took, units.length) : noGain(effect);
      }
      let took = 0;
      let reached = 0;
      for (let i = 0; i < lines.length; i++) {
        if (lines[i]!.quantity > 0 && w.lines.reaches(effect.filter, i)) {
          reached++;
          took += w.take(i, applyRate(w.net[i]!, rate, 10_000, "floor"), slot);
        }
      }
      return reached ? gave(effect, took, reached) : noGain(effect);
    }
    case "lines_fixed": {
      const units = w.lines.unitsOf(effect.filter);
      const chosen = effect.cheapest !== undefined ? units.slice(0, effect.cheapest) : units;
      const took = takeUnits(w, chosen, null, effect.amountPerUnit, slot);
      return chosen.length ? gave(effect, took, chosen.length) : noGain(effect);
    }
    case "bundle":
      return applyBundle(w, effect, slot);
    case "buy_x_get_y":
      return applyBuyXGetY(w, effect, slot);
    case "gift": {
      const o = new EffectOutcome(effect, effect.kind, 0, 0, 0);
      o.gift = { sku: effect.sku, name: effect.name ?? effect.sku, quantity: effect.quantity };
      return o;
    }
    case "free_shipping": {
      const amount = Math.min(w.shippingLeft, effect.max ?? w.shippingLeft);
      w.shippingLeft -= amount;
      return new EffectOutcome(effect, effect.kind, 0, amount, 0);
    }
    case "bonus_points": {
      const o = new EffectOutcome(effect, effect.kind, 0, 0, 0);
      o.bonusPoints = effect.points;
      return o;
    }
    case "points_multiplier": {
      const o = new EffectOutcome(effect, effect.kind, 0, 0, 0);
      o.multiplier = effect.factor;
      return o;
    }
    case "follow_up_code": {
      const o = new EffectOutcome(effect, effect.kind, 0, 0, 0);
      o.followUp = { campaignId: effect.campaignId, validDays: effect.validDays, percentOfOrder: effect.percentOfOrder };
      return o;
    }
    case "partner_code": {
      const o = new EffectOutcome(effect, effect.kind, 0, 0, 0);
      o.partnerCode = { rewardId: effect.rewardId };
      return o;
    }
  }
}

/**
 * Each application takes `quantity` units of every item, the dearest first (best for the customer),
 * and sells them together for `price`. Units used by one item are not used by another.
 */
function applyBundle(w: WorkingCart, effect: Extract<PromotionEffect, { kind: "bundle" }>, slot: number): EffectOutcome {
  const cartLines = w.lines;
  // Most carts miss some item altogether: say so before building unit pools.
  for (const item of effect.items) if (cartLines.unitsReached(item.filter) < item.quantity) return noGain(effect);
  // Each unit's state by its id: 0 free, -1 used by an earlier application, a > 0 claimed by application a.
  const state = new Array<number>(cartLines.unitCount).fill(0);
  const pools = effect.items.map((item) => cartLines.unitsOf(item.filter).reverse());
  // Where each pool's scan resumes: every unit before it is used (see pickBundle).
  const from = new Array<number>(pools.length).fill(0);
  const perLine = new Array<number>(cartLines.n);
  let applications = 0;
  let took = 0;
  const max = effect.maxApplications ?? Number.MAX_SAFE_INTEGER;
  while (applications < max) {
    const picked = pickBundle(effect, pools, from, state, applications + 1, cartLines);
    if (!picked) break;
    for (const u of picked) state[cartLines.unitId(u)] = -1;
    applications++;
    const list = picked.reduce((n, u) => n + u.price, 0);
    const off = Math.max(0, list - effect.price);
    if (off === 0) continue;
    const parts = allocate(off, picked.map((u) => u.price));
    perLine.fill(0);
    for (let k = 0; k < picked.length; k++) perLine[picked[k]!.line]! += parts[k]!;
    took += takePerLine(w, perLine, slot);
  }
  return applications ? gave(effect, took, applications) : noGain(effect);
}

/**
 * One application's units: for every item in turn, the first `quantity` units of its pool that are
 * neither used nor claimed by an earlier item of this application (marked with `stamp`); null when
 * some item cannot be filled. Each pool's scan starts where the last one stopped (`from`): the units
 * it passed were picked or skipped as taken, and all of them are used once the application is, so
 * a cart's pools are read once in all, not once per application (200 lines of 10,000 units held a
 * request for minutes).
 */
function pickBundle(effect: Extract<PromotionEffect, { kind: "bundle" }>, pools: readonly Unit[][], from: number[], state: number[], stamp: number, cartLines: WorkingCart["lines"]): Unit[] | null {
  const picked: Unit[] = [];
  for (let k = 0; k < effect.items.length; k++) {
    const need = effect.items[k]!.quantity;
    const pool = pools[k]!;
    let got = 0;
    let at = from[k]!;
    for (; at < pool.length && got < need; at++) {
      const u = pool[at]!;
      const id = cartLines.unitId(u);
      if (state[id] !== 0) continue;
      state[id] = stamp;
      picked.push(u);
      got++;
    }
    if (got < need) return null;
    from[k] = at;
  }
  return picked;
}

/**
 * Each application takes the `buy` units from the dearest matching units and gives the `get` units
 * from the cheapest matching units left, at `percent` off, so the cheapest items are the free ones.
 */
function applyBuyXGetY(w: WorkingCart, effect: Extract<PromotionEffect, { kind: "buy_x_get_y" }>, slot: number): EffectOutcome {
  // Too few units for one application (the usual miss): say so before building unit lists.
  if (w.lines.unitsReached(effect.buy.filter, effect.get.filter) < effect.buy.quantity + effect.get.quantity) {
    return noGain(effect);
  }
  const buyLine = w.lines.reached(effect.buy.filter);
  const getLine = w.lines.reached(effect.get.filter);
  const all = w.lines.unitsOn(buyLine.map((b, i) => b || getLine[i]!));
  const used = new Array<boolean>(all.length).fill(false);
  const given: Unit[] = [];
  let applications = 0;
  const max = effect.maxApplications ?? Number.MAX_SAFE_INTEGER;
  // The buy scan walks down from `hi` and the get scan up from `lo`; what a scan passed is used or
  // not its kind and stays so, so each resumes where it stopped and the list is read once in all
  // (rescanning from the ends made a cart of 2,000,000 units quadratic).
  let hi = all.length - 1;
  let lo = 0;
  while (applications < max) {
    const buy: number[] = [];
    for (; hi >= 0 && buy.length < effect.buy.quantity; hi--) if (!used[hi] && buyLine[all[hi]!.line]) buy.push(hi);
    if (buy.length < effect.buy.quantity) break;
    for (const k of buy) used[k] = true;
    const get: number[] = [];
    for (; lo < all.length && get.length < effect.get.quantity; lo++) if (!used[lo] && getLine[all[lo]!.line]) get.push(lo);
    if (get.length < effect.get.quantity) break; // the buy units stay unpriced: nothing else reads `used`
    for (const k of get) {
      used[k] = true;
      given.push(all[k]!);
    }
    applications++;
  }
  if (applications === 0) return noGain(effect);
  const took = takeUnits(w, given, bps(effect.percent), 0, slot);
  return gave(effect, took, applications);
}
