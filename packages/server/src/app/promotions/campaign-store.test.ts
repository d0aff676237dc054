import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { CampaignDefinition, CartInput, CompiledCampaign, LineFilter, PromotionEffect } from "@patron/core";
import { compileCampaign, ProgramCampaigns } from "./campaign-store.ts";

const SKUS = ["A", "B", "C", "D", "E"];
const CATEGORIES = ["x", "y", "z"];

const filterArb: fc.Arbitrary<LineFilter> = fc.oneof(
  fc.constant({}),
  fc.record({ skus: fc.subarray(SKUS, { minLength: 1 }) }),
  fc.record({ categories: fc.subarray(CATEGORIES, { minLength: 1 }) }),
  fc.record({ skus: fc.subarray(SKUS), categories: fc.subarray(CATEGORIES) }),
);
const effectArb: fc.Arbitrary<PromotionEffect> = fc.oneof(
  fc.record({ kind: fc.constant("lines_percent" as const), percent: fc.constant(10), filter: filterArb }),
  fc.record({ kind: fc.constant("order_percent" as const), percent: fc.constant(10) }),
  fc.record({ kind: fc.constant("bundle" as const), items: fc.array(fc.record({ filter: filterArb, quantity: fc.constant(1) }), { minLength: 1, maxLength: 2 }), price: fc.constant(1) }),
  fc.record({ kind: fc.constant("buy_x_get_y" as const), buy: fc.record({ filter: filterArb, quantity: fc.constant(1) }), get: fc.record({ filter: filterArb, quantity: fc.constant(1) }), percent: fc.constant(100) }),
);
const campaignArb = fc.record({ id: fc.integer({ min: 0, max: 99 }), kind: fc.constantFrom("automatic" as const, "automatic" as const, "code" as const), priority: fc.integer({ min: 0, max: 3 }), effects: fc.array(effectArb, { minLength: 1, maxLength: 2 }) });
const cartArb: fc.Arbitrary<CartInput> = fc.record({
  currency: fc.constant("VND"),
  lines: fc.array(fc.record({ sku: fc.constantFrom(...SKUS, "Q"), category: fc.option(fc.constantFrom(...CATEGORIES, "w"), { nil: undefined }), quantity: fc.constant(1), unitPrice: fc.constant(1) }), { maxLength: 8 }),
});

/** The filter an effect is indexed by, or null when the effect can act on any cart (the reference reads the effects directly). */
function keyFilter(e: PromotionEffect): LineFilter | null {
  const f = e.kind === "lines_percent" || e.kind === "lines_fixed" ? e.filter : e.kind === "bundle" ? e.items[0]!.filter : e.kind === "buy_x_get_y" ? e.buy.filter : null;
  return f && (f.skus?.length || f.categories?.length) ? f : null;
}

/** The plain scan the index stands for: every automatic campaign that can act on the cart, in priority then id order. */
function reference(list: readonly CompiledCampaign[], cart: CartInput): CompiledCampaign[] {
  const reaches = (c: CompiledCampaign) => {
    const filters = c.def.effects.map(keyFilter);
    if (filters.some((f) => f === null)) return true;
    return cart.lines.some((l) => filters.some((f) => f!.skus?.includes(l.sku) || (l.category !== undefined && f!.categories?.includes(l.category))));
  };
  return list.filter((c) => c.def.kind === "automatic" && reaches(c)).sort((a, b) => a.def.priority - b.def.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

describe("ProgramCampaigns.automaticFor (properties)", () => {
  it("lists the automatic campaigns that can act on the cart, each once, in evaluation order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(campaignArb, { selector: (c) => c.id, maxLength: 30 }), fc.array(cartArb, { minLength: 1, maxLength: 4 }), (generated, carts) => {
        const list = generated.map((g) => {
          const def: CampaignDefinition = { name: `c${g.id}`, kind: g.kind, code: g.kind === "code" ? `C${g.id}` : null, schedule: null, audience: null, condition: null, effects: g.effects, stacking: "stackable", priority: g.priority, limits: {} };
          return compileCampaign(`c${g.id}`, 1, def);
        });
        const program = new ProgramCampaigns(1, list);
        // Several carts in a row: each request starts from a clean slate.
        for (const cart of carts) expect(program.automaticFor(cart).map((c) => c.id)).toEqual(reference(list, cart).map((c) => c.id));
      }),
      { numRuns: 500 },
    );
  });
});
