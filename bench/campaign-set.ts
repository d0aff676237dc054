/**
 * The campaigns and cart that bench/carts.ts (in process) and bench/checkout-http.ts (over HTTP) price.
 */
import type { CampaignDefinition, CartInput, PromotionEffect } from "../packages/core/src/index.ts";

const SKUS = Array.from({ length: 400 }, (_, i) => `sku-${i}`);
const CATS = Array.from({ length: 40 }, (_, i) => `cat-${i}`);

/** The i-th campaign of the benchmark set (a mix of effects, conditions and stacking modes). */
export function campaignDefinition(i: number): CampaignDefinition {
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

/** Five lines whose skus and categories meet some of the campaigns. */
export const benchCart: CartInput = {
  currency: "VND",
  lines: [0, 7, 14, 70, 140].map((s, k) => ({ sku: SKUS[s]!, category: CATS[k * 3]!, quantity: 1 + (k % 3), unitPrice: 30_000 + k * 15_000, weight: 250 })),
  shipping: 20_000,
};

