import { describe, expect, it } from "vitest";
import { checkCampaign } from "./check-campaign.ts";
import type { CampaignDefinition, PromotionEffect } from "./types.ts";

const base: CampaignDefinition = {
  name: "Ten off",
  kind: "automatic",
  schedule: null,
  audience: null,
  condition: null,
  effects: [{ kind: "order_percent", percent: 10 }],
  stacking: "stackable",
  priority: 10,
  limits: {},
};
const def = (patch: Partial<CampaignDefinition>): CampaignDefinition => ({ ...base, ...patch });
const withEffect = (e: PromotionEffect) => def({ effects: [e] });
const all = { filter: {} };

describe("checkCampaign accepts", () => {
  it.each<[string, CampaignDefinition]>([
    ["an automatic campaign with one effect", base],
    ["a code campaign with a code typed any way", def({ kind: "code", code: "summer-10" })],
    ["a bulk_codes campaign without a code", def({ kind: "bulk_codes", code: null })],
    ["group stacking with a group", def({ stacking: "group", group: "points" })],
    ["an audience and a cart condition that type-check", def({ audience: "isMember() && customer.metrics.lifetimeOrders >= 1", condition: "cart.subtotal >= 100000 && hasSku(\"own-cup\")" })],
    ["a percentage with two decimals", withEffect({ kind: "order_percent", percent: 12.5, max: 5000 })],
    ["100% off", withEffect({ kind: "lines_percent", percent: 100, filter: { skus: ["a"] }, cheapest: 1 })],
    ["a fixed amount of 0 (codes carry their own value)", withEffect({ kind: "order_fixed", amount: 0 })],
    ["a bundle", withEffect({ kind: "bundle", items: [{ filter: { skus: ["coffee"] }, quantity: 1 }, { filter: { skus: ["juice"] }, quantity: 1 }], price: 60000 })],
    ["buy 2 get 1 free", withEffect({ kind: "buy_x_get_y", buy: { ...all, quantity: 2 }, get: { ...all, quantity: 1 }, percent: 100, maxApplications: 3 })],
    ["a gift", withEffect({ kind: "gift", sku: "bag", quantity: 1 })],
    ["free shipping up to an amount", withEffect({ kind: "free_shipping", max: 3000 })],
    ["bonus points", withEffect({ kind: "bonus_points", points: 50 })],
    ["a multiplier of 1.25", withEffect({ kind: "points_multiplier", factor: 1.25 })],
    ["a follow-up code worth 10% of the order for 90 days", withEffect({ kind: "follow_up_code", campaignId: "cmp_1", validDays: 90, percentOfOrder: 10 })],
    ["a partner code", withEffect({ kind: "partner_code", rewardId: "rwd_1" })],
    ["20 effects", def({ effects: Array.from({ length: 20 }, () => ({ kind: "bonus_points", points: 1 }) as const) })],
    ["a schedule in order, with hours that wrap midnight", def({ schedule: { from: "2026-11-27T00:00:00Z", to: "2026-11-30T00:00:00Z", hours: [{ from: "22:00", to: "02:00" }] } })],
    ["every limit", def({ limits: { total: 500, perCustomer: { max: 1, per: "lifetime" }, budget: { money: 1_000_000, points: 10_000 } } })],
  ])("%s", (_, d) => {
    expect(checkCampaign(d)).toBeNull();
  });
});

describe("checkCampaign refuses, naming the field", () => {
  it.each<[string, CampaignDefinition, string]>([
    ["a code campaign without a code", def({ kind: "code" }), "code"],
    ["a code campaign with a null code", def({ kind: "code", code: null }), "code"],
    ["a code on an automatic campaign", def({ code: "SUMMER" }), "code"],
    ["a reusable code on a bulk_codes campaign", def({ kind: "bulk_codes", code: "SUMMER" }), "code"],
    ["a code of two characters", def({ kind: "code", code: "ab" }), "code"],
    ["a code with a symbol", def({ kind: "code", code: "10%OFF" }), "code"],
    ["group stacking without a group", def({ stacking: "group" }), "group"],
    ["a group on stackable campaigns", def({ group: "points" }), "group"],
    ["no effects", def({ effects: [] }), "effects"],
    ["21 effects", def({ effects: Array.from({ length: 21 }, () => ({ kind: "bonus_points", points: 1 }) as const) }), "effects"],
    ["0%", withEffect({ kind: "order_percent", percent: 0 }), "effects.0.percent"],
    ["101%", withEffect({ kind: "order_percent", percent: 101 }), "effects.0.percent"],
    ["12.345%", withEffect({ kind: "order_percent", percent: 12.345 }), "effects.0.percent"],
    ["a cap of 0", withEffect({ kind: "order_percent", percent: 10, max: 0 }), "effects.0.max"],
    ["a negative fixed amount", withEffect({ kind: "order_fixed", amount: -1 }), "effects.0.amount"],
    ["a fractional fixed amount", withEffect({ kind: "order_fixed", amount: 1.5 }), "effects.0.amount"],
    ["cheapest 0", withEffect({ kind: "lines_percent", percent: 50, filter: {}, cheapest: 0 }), "effects.0.cheapest"],
    ["cheapest 1.5", withEffect({ kind: "lines_fixed", amountPerUnit: 100, filter: {}, cheapest: 1.5 }), "effects.0.cheapest"],
    ["an empty skus list", withEffect({ kind: "lines_fixed", amountPerUnit: 100, filter: { skus: [] } }), "effects.0.filter.skus"],
    ["a bundle without items", withEffect({ kind: "bundle", items: [], price: 100 }), "effects.0.items"],
    ["a bundle item of 0 units", withEffect({ kind: "bundle", items: [{ filter: {}, quantity: 0 }], price: 100 }), "effects.0.items.0.quantity"],
    ["buy 0", withEffect({ kind: "buy_x_get_y", buy: { ...all, quantity: 0 }, get: { ...all, quantity: 1 }, percent: 100 }), "effects.0.buy.quantity"],
    ["get 0", withEffect({ kind: "buy_x_get_y", buy: { ...all, quantity: 2 }, get: { ...all, quantity: 0 }, percent: 100 }), "effects.0.get.quantity"],
    ["buy x get y at 0%", withEffect({ kind: "buy_x_get_y", buy: { ...all, quantity: 2 }, get: { ...all, quantity: 1 }, percent: 0 }), "effects.0.percent"],
    ["a gift of 0 units", withEffect({ kind: "gift", sku: "x", quantity: 0 }), "effects.0.quantity"],
    ["0 bonus points", withEffect({ kind: "bonus_points", points: 0 }), "effects.0.points"],
    ["a multiplier of 1", withEffect({ kind: "points_multiplier", factor: 1 }), "effects.0.factor"],
    ["a progressive step of 0", withEffect({ kind: "progressive_percent", basis: "visits", period: "month", basePercent: 5, stepPercent: 0, every: 1, maxPercent: 15 }), "effects.0.stepPercent"],
    ["a progressive cap below its base", withEffect({ kind: "progressive_percent", basis: "visits", period: "month", basePercent: 5, stepPercent: 1, every: 1, maxPercent: 4 }), "effects.0.maxPercent"],
    ["a progressive step every 0", withEffect({ kind: "progressive_percent", basis: "spend", period: "month", basePercent: 0, stepPercent: 1, every: 0, maxPercent: 4 }), "effects.0.every"],
    ["a progressive order condition that is not CEL", withEffect({ kind: "progressive_percent", basis: "visits", period: "month", orderCondition: "order.lines.exists(", basePercent: 5, stepPercent: 1, every: 1, maxPercent: 15 }), "effects.0.orderCondition"],
    ["a ladder without steps", withEffect({ kind: "spend_ladder", steps: [] }), "effects.0.steps"],
    ["a ladder going down", withEffect({ kind: "spend_ladder", steps: [{ from: 100, percent: 5 }, { from: 200, percent: 3 }] }), "effects.0.steps.1"],
    ["a multiplier of 101", withEffect({ kind: "points_multiplier", factor: 101 }), "effects.0.factor"],
    ["a multiplier of 1.234", withEffect({ kind: "points_multiplier", factor: 1.234 }), "effects.0.factor"],
    ["two multipliers", def({ effects: [{ kind: "points_multiplier", factor: 2 }, { kind: "bonus_points", points: 5 }, { kind: "points_multiplier", factor: 3 }] }), "effects.2"],
    ["a follow-up valid 0 days", withEffect({ kind: "follow_up_code", campaignId: "cmp_1", validDays: 0 }), "effects.0.validDays"],
    ["a follow-up valid 3651 days", withEffect({ kind: "follow_up_code", campaignId: "cmp_1", validDays: 3651 }), "effects.0.validDays"],
    ["a follow-up worth 0% of the order", withEffect({ kind: "follow_up_code", campaignId: "cmp_1", validDays: 30, percentOfOrder: 0 }), "effects.0.percentOfOrder"],
    ["a schedule that ends when it starts", def({ schedule: { from: "2026-11-30T00:00:00Z", to: "2026-11-30T00:00:00Z" } }), "schedule.to"],
    ["a schedule that ends before it starts", def({ schedule: { from: "2026-12-01T00:00:00Z", to: "2026-11-30T00:00:00Z" } }), "schedule.to"],
    ["an empty hour range", def({ schedule: { hours: [{ from: "10:00", to: "10:00" }] } }), "schedule.hours"],
    ["a total limit of 0", def({ limits: { total: 0 } }), "limits.total"],
    ["a total limit of 1.5", def({ limits: { total: 1.5 } }), "limits.total"],
    ["a per-customer limit of 0", def({ limits: { perCustomer: { max: 0, per: "day" } } }), "limits.perCustomer.max"],
    ["an empty budget", def({ limits: { budget: {} } }), "limits.budget"],
    ["a money budget of 0", def({ limits: { budget: { money: 0 } } }), "limits.budget.money"],
    ["a negative points budget", def({ limits: { budget: { points: -10 } } }), "limits.budget.points"],
  ])("%s", (_, d, field) => {
    const e = checkCampaign(d);
    expect(e, field).not.toBeNull();
    expect(e!.code).toBe("CAMPAIGN_INVALID");
    expect(e!.details).toMatchObject({ field });
    expect(e!.message.length).toBeGreaterThan(10);
  });
});

describe("checkCampaign on conditions", () => {
  it.each([
    { field: "audience", source: "customer.nope > 1" },
    { field: "audience", source: "isMember(" },
    { field: "condition", source: "cart.subtotal >= 'a lot'" },
    { field: "condition", source: "cart.subtotal" },
  ] as const)("refuses the $field $source with its position", ({ field, source }) => {
    const e = checkCampaign(def({ [field]: source }));
    expect(e).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field } });
    expect(e!.details).toHaveProperty("start");
    expect(e!.details).toHaveProperty("end");
  });

  it("says where the error is, counting from 1", () => {
    const e = checkCampaign(def({ condition: "cart.subtotal >= 100 && cart.nope == 1" }));
    expect(e!.details!.start).toEqual(expect.any(Number));
    expect(e!.message).toMatch(new RegExp(`at character ${(e!.details!.start as number) + 1}`));
  });
});
