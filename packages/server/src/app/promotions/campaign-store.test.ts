import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { celVariables, runCondition, type CampaignDefinition, type CartInput, type CelCustomer, type CompiledCampaign, type LineFilter, type PromotionEffect } from "@patron/core";
import { compileCampaign, ProgramCampaigns } from "./campaign-index.ts";

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

/** Audiences: the forms the index files campaigns under, and forms it must leave to evaluateCart. */
const KEYED = ['hasTag("vip")', 'hasTag("student")', 'customer.tier == "gold"', "isMember()", 'isMember() && hasTag("vip")', '"silver" == customer.tier && hasTag("student")'];
const UNKEYED = ["customer.metrics.lifetimeOrders >= 2", 'hasTag("vip") || customer.tier == "gold"', '!hasTag("vip")'];
const NOW = new Date("2026-11-24T10:00:00Z");

function audienceHolds(c: CompiledCampaign, who: CelCustomer): boolean {
  if (!c.audience) return true;
  const input = { event: { id: "", type: "cart", name: "", occurredAt: NOW, data: {} }, order: null, customer: who, now: NOW, timeZone: "UTC" };
  const r = runCondition(c.audience, input as never, celVariables(input as never));
  return "matched" in r && r.matched;
}

describe("ProgramCampaigns.automaticFor with a customer (the audience index)", () => {
  it("keeps every campaign whose audience holds, drops only those it cannot hold for, in evaluation order", () => {
    const audienceArb = fc.oneof(fc.constant(null), fc.constantFrom(...KEYED), fc.constantFrom(...UNKEYED));
    const customerArb = fc.record({ id: fc.constantFrom("", "cus_1"), tier: fc.constantFrom("", "gold", "silver"), tags: fc.subarray(["vip", "student"]), lifetimeOrders: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(campaignArb, audienceArb), { selector: ([c]) => c.id, maxLength: 30 }), cartArb, customerArb, (generated, cart, who) => {
        const list = generated.map(([g, audience]) => {
          const def: CampaignDefinition = { name: `c${g.id}`, kind: g.kind, code: g.kind === "code" ? `C${g.id}` : null, schedule: null, audience, condition: null, effects: g.effects, stacking: "stackable", priority: g.priority, limits: {} };
          return compileCampaign(`c${g.id}`, 1, def);
        });
        const customer: CelCustomer = {
          id: who.id, email: "", phone: "", name: "", birthday: "", status: "active", tier: who.tier, tags: who.tags, attributes: {},
          metrics: { lifetimeOrders: who.lifetimeOrders, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0 },
        };
        const program = new ProgramCampaigns(1, list);
        const all = reference(list, cart);
        const got = program.automaticFor(cart, customer).map((c) => c.id);
        // In the order of the plain scan, and none left out whose audience holds.
        expect(got).toEqual(all.filter((c) => got.includes(c.id)).map((c) => c.id));
        for (const c of all) if (audienceHolds(c, customer)) expect(got).toContain(c.id);
        // Where the audience is only keyed forms, the index decides exactly.
        for (const c of all) if (c.def.audience !== null && KEYED.includes(c.def.audience)) expect(got.includes(c.id)).toBe(audienceHolds(c, customer));
        // Without a customer nothing is left out for its audience.
        expect(program.automaticFor(cart).map((c) => c.id)).toEqual(all.map((c) => c.id));
      }),
      { numRuns: 500 },
    );
  });
});
