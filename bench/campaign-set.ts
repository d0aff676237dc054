/**
 * The campaigns and cart that bench/carts.ts (in process) and bench/checkout-http.ts (over HTTP) price.
 */
import type { CampaignDefinition, CartInput, PromotionEffect } from "../packages/core/src/index.ts";

const SKUS = Array.from({ length: 400 }, (_, i) => `sku-${i}`);
const CATS = Array.from({ length: 40 }, (_, i) => `cat-${i}`);

/**
 * How the campaigns past the first 20 are made:
 * - `dense`: the same mix as the first 20 all the way, so a third of every program is site-wide
 *   (order discounts, bonus points) and reaches every cart: 200 campaigns put 67 candidates and 35
 *   stacked discounts on one cart. The worst case, and what the ratio was first measured on.
 * - `targeted`: the first 20 as in `dense` (the same 20-campaign program), then what a catalog grows
 *   by: promotions on skus and categories, segment offers (an audience the bench customer is not in)
 *   and code campaigns, so a cart meets the campaigns for what it holds and who its customer is.
 */
export type CampaignMix = "dense" | "targeted";

/** The i-th campaign of the benchmark set (a mix of effects, conditions and stacking modes). */
export function campaignDefinition(i: number, mix: CampaignMix = "dense"): CampaignDefinition {
  if (mix === "targeted" && i >= 20) return targetedCampaign(i);
  const sku = SKUS[(i * 7) % SKUS.length]!;
  const cat = CATS[i % CATS.length]!;
  const effects: PromotionEffect[][] = [
    [{ kind: "lines_percent", percent: 10, filter: { skus: [sku] } }],
    [{ kind: "lines_fixed", amountPerUnit: 1000, filter: { categories: [cat] }, cheapest: 2 }],
    [{ kind: "bundle", items: [{ filter: { skus: [sku] }, quantity: 1 }, { filter: { skus: [SKUS[(i * 7 + 1) % SKUS.length]!] }, quantity: 1 }], price: 50_000 }],
    [{ kind: "buy_x_get_y", buy: { filter: { categories: [cat] }, quantity: 2 }, get: { filter: { categories: [cat] }, quantity: 1 }, percent: 100, maxApplications: 1 }],
    [{ kind: "order_percent", percent: 5 }],
    [{ kind: "bonus_points", points: 20 }],
  ];
  const conditions = [null, "cart.subtotal >= 100000", null, 'customer.metrics.lifetimeOrders >= 1 && hasTag("vip")', null, "cart.itemCount >= 3"];
  return {
    name: `campaign ${i}`, kind: i % 10 === 9 ? "code" : "automatic", code: i % 10 === 9 ? `CODE${i}` : null, schedule: i % 4 === 0 ? { daysOfWeek: [1, 2, 3, 4, 5, 6, 7] } : null,
    audience: i % 3 === 0 ? "isMember()" : null, condition: conditions[i % conditions.length]!, effects: effects[i % effects.length]!,
    stacking: i % 15 === 0 ? "exclusive" : i % 7 === 0 ? "group" : "stackable", group: i % 15 !== 0 && i % 7 === 0 ? "g" : null, priority: i % 5, limits: {},
  };
}

/** A campaign a growing catalog adds: on some skus or a category, for a segment, or behind a code. */
function targetedCampaign(i: number): CampaignDefinition {
  const sku = SKUS[(i * 7) % SKUS.length]!;
  const cat = CATS[i % CATS.length]!;
  const base = { name: `campaign ${i}`, code: null, schedule: i % 4 === 0 ? { daysOfWeek: [1, 2, 3, 4, 5, 6, 7] } : null, stacking: i % 7 === 0 ? ("group" as const) : ("stackable" as const), group: i % 7 === 0 ? "g" : null, priority: i % 5, limits: {} };
  switch (i % 6) {
    case 0:
      return { ...base, kind: "automatic", audience: null, condition: null, effects: [{ kind: "lines_percent", percent: 10, filter: { skus: [sku] } }] };
    case 1:
      return { ...base, kind: "automatic", audience: null, condition: "cart.subtotal >= 100000", effects: [{ kind: "lines_fixed", amountPerUnit: 1000, filter: { categories: [cat] }, cheapest: 2 }] };
    case 2:
      return { ...base, kind: "automatic", audience: null, condition: null, effects: [{ kind: "bundle", items: [{ filter: { skus: [sku] }, quantity: 1 }, { filter: { skus: [SKUS[(i * 7 + 1) % SKUS.length]!] }, quantity: 1 }], price: 50_000 }] };
    case 3:
      return { ...base, kind: "automatic", audience: null, condition: null, effects: [{ kind: "buy_x_get_y", buy: { filter: { categories: [cat] }, quantity: 2 }, get: { filter: { categories: [cat] }, quantity: 1 }, percent: 100, maxApplications: 1 }] };
    case 4: // a segment offer: order-wide, so every cart meets it, and its audience turns this customer away
      return { ...base, kind: "automatic", audience: `hasTag("segment-${i}")`, condition: null, effects: [{ kind: "order_percent", percent: 5 }] };
    default:
      return { ...base, kind: "code", code: `CODE${i}`, audience: null, condition: null, effects: [{ kind: "order_percent", percent: 5 }] };
  }
}

/** Five lines whose skus and categories meet some of the campaigns. */
export const benchCart: CartInput = {
  currency: "VND",
  lines: [0, 7, 14, 70, 140].map((s, k) => ({ sku: SKUS[s]!, category: CATS[k * 3]!, quantity: 1 + (k % 3), unitPrice: 30_000 + k * 15_000, weight: 250 })),
  shipping: 20_000,
};

