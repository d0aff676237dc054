import { describe, expect, it } from "vitest";
import { compileCondition, type CelCustomer, type CelOrder, type CompiledCondition } from "../rules/cel.ts";
import { evaluateCart, type CampaignUsage, type CartEvaluation, type CartEvaluationInput, type CompiledCampaign, type TypedCode } from "./evaluate-cart.ts";
import type { CampaignDefinition, CartInput, CartLineInput, MarginGuard, PromotionEffect } from "./types.ts";

const HCM = "Asia/Ho_Chi_Minh";
const NOW = new Date("2026-11-27T05:00:00Z"); // Friday 27 November 2026, 12:00 in Ho Chi Minh City

function compiled(src: string | null): CompiledCondition | null {
  if (src === null) return null;
  const r = compileCondition(src);
  if (!r.ok) throw new Error(`expected ${src} to compile: ${r.error.message}`);
  return r.value;
}

function campaign(id: string, over: Partial<CampaignDefinition> = {}): CompiledCampaign {
  const def: CampaignDefinition = {
    name: id,
    kind: over.code ? "code" : "automatic",
    code: null,
    schedule: null,
    audience: null,
    condition: null,
    effects: [],
    stacking: "stackable",
    group: null,
    priority: 0,
    limits: {},
    ...over,
  };
  return { id, version: 1, def, audience: compiled(def.audience), condition: compiled(def.condition) };
}

/** A code as the caller resolves it: typed in lower case, normalised to upper case. */
const typed = (text: string, c: CompiledCampaign | null, extra: Partial<TypedCode> = {}): TypedCode => ({ typed: text.toLowerCase(), code: text.toUpperCase(), campaign: c, ...extra });

function member(over: Partial<CelCustomer> = {}, metrics: Partial<CelCustomer["metrics"]> = {}): CelCustomer {
  return {
    id: "cus_1",
    email: "an@example.com",
    phone: "",
    name: "An",
    birthday: "",
    status: "active",
    tier: "",
    tags: [],
    attributes: {},
    metrics: { lifetimeOrders: 0, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0, ...metrics },
    ...over,
  };
}

const GUEST: CelCustomer = member({ id: "", email: "", name: "" });

const line = (sku: string, quantity: number, unitPrice: number, category?: string, weight?: number): CartLineInput => ({ sku, quantity, unitPrice, category, weight });

/** 2 lattes at 45,000, a cake at 30,000, 3 teas at 20,000: 180,000 VND. */
const CAFE: CartInput = { currency: "VND", lines: [line("LATTE", 2, 45_000, "drinks"), line("CAKE", 1, 30_000, "cakes"), line("TEA", 3, 20_000, "drinks")] };

const usage = (over: Partial<CampaignUsage>): CampaignUsage => ({ redeemed: 0, customerUsed: 0, budgetMoneyUsed: 0, budgetPointsUsed: 0, ...over });

interface Run {
  cart?: CartInput;
  customer?: CelCustomer;
  now?: Date;
  guard?: MarginGuard | null;
  automatic?: CompiledCampaign[];
  codes?: TypedCode[];
  usage?: Record<string, CampaignUsage>;
  earn?: (order: CelOrder) => number;
  trace?: boolean;
}

function evaluate(r: Run): CartEvaluation {
  const input: CartEvaluationInput = {
    cart: r.cart ?? CAFE,
    customer: r.customer ?? member(),
    now: r.now ?? NOW,
    timeZone: HCM,
    guard: r.guard ?? null,
    automatic: r.automatic ?? [],
    codes: r.codes ?? [],
    usage: new Map(Object.entries(r.usage ?? {})),
    earn: r.earn,
    trace: r.trace ?? true,
  };
  return evaluateCart(input);
}

/** The invariants every evaluation keeps, checked on every example below as well. */
function consistent(ev: CartEvaluation): CartEvaluation {
  for (const l of ev.lines) {
    expect(l.adjustments.reduce((n, a) => n + a.amount, 0)).toBe(l.discount);
    expect(l.total).toBe(l.subtotal - l.discount);
  }
  expect(ev.lines.reduce((n, l) => n + l.discount, 0)).toBe(ev.discount);
  expect(ev.applied.reduce((n, a) => n + a.discount, 0)).toBe(ev.discount);
  expect(ev.total).toBe(ev.subtotal - ev.discount + ev.shipping - ev.shippingDiscount);
  return ev;
}

const one = (effect: PromotionEffect, cart: CartInput = CAFE) => consistent(evaluate({ cart, automatic: [campaign("promo", { effects: [effect] })] }));
const lineDiscounts = (ev: CartEvaluation) => ev.lines.map((l) => l.discount);
const appliedIds = (ev: CartEvaluation) => ev.applied.map((a) => a.campaignId);
const refusals = (ev: CartEvaluation) => ev.refused.map((r) => ({ code: r.code, reason: r.reason }));

describe("evaluateCart: money effects", () => {
  it.each<{ spec: string; effect: PromotionEffect; cart?: CartInput; discount: number; lines: number[] }>([
    { spec: "order_percent takes the percentage of the whole merchandise, split over the lines by amount", effect: { kind: "order_percent", percent: 10 }, discount: 18_000, lines: [9_000, 3_000, 6_000] },
    {
      spec: "order_percent stops at its max, split with the largest remainder",
      effect: { kind: "order_percent", percent: 10, max: 5_000 },
      discount: 5_000,
      lines: [2_500, 833, 1_667],
    },
    { spec: "order_percent rounds down: 12.5% of 180,001 is 22,500", effect: { kind: "order_percent", percent: 12.5 }, cart: { currency: "VND", lines: [line("X", 1, 180_001)] }, discount: 22_500, lines: [22_500] },
    { spec: "order_fixed larger than the cart takes the whole merchandise and no more", effect: { kind: "order_fixed", amount: 500_000 }, discount: 180_000, lines: [90_000, 30_000, 60_000] },
    { spec: "order_fixed smaller than the cart is split over the lines by amount", effect: { kind: "order_fixed", amount: 18_000 }, discount: 18_000, lines: [9_000, 3_000, 6_000] },
    { spec: "lines_percent by sku reaches only that sku", effect: { kind: "lines_percent", percent: 20, filter: { skus: ["LATTE"] } }, discount: 18_000, lines: [18_000, 0, 0] },
    { spec: "lines_percent by category reaches every line of the category", effect: { kind: "lines_percent", percent: 20, filter: { categories: ["drinks"] } }, discount: 30_000, lines: [18_000, 0, 12_000] },
    {
      spec: "lines_percent with a sku and a category reaches lines matching either",
      effect: { kind: "lines_percent", percent: 10, filter: { skus: ["CAKE"], categories: ["nothing-here"] } },
      discount: 3_000,
      lines: [0, 3_000, 0],
    },
    {
      spec: "lines_percent on the cheapest 2 matching units takes them from the cheapest line",
      effect: { kind: "lines_percent", percent: 50, filter: { categories: ["drinks"] }, cheapest: 2 },
      discount: 20_000,
      lines: [0, 0, 20_000],
    },
    {
      spec: "lines_percent on the cheapest 4 matching units moves on to the next cheapest line",
      effect: { kind: "lines_percent", percent: 50, filter: { categories: ["drinks"] }, cheapest: 4 },
      discount: 52_500,
      lines: [22_500, 0, 30_000],
    },
    { spec: "lines_fixed takes its amount off every matching unit", effect: { kind: "lines_fixed", amountPerUnit: 5_000, filter: { categories: ["drinks"] } }, discount: 25_000, lines: [10_000, 0, 15_000] },
    { spec: "lines_fixed never takes more than a unit's price", effect: { kind: "lines_fixed", amountPerUnit: 50_000, filter: { skus: ["CAKE"] } }, discount: 30_000, lines: [0, 30_000, 0] },
    {
      spec: "lines_fixed on the cheapest unit only",
      effect: { kind: "lines_fixed", amountPerUnit: 5_000, filter: {}, cheapest: 1 },
      discount: 5_000,
      lines: [0, 0, 5_000],
    },
  ])("$spec", ({ effect, cart, discount, lines }) => {
    const ev = one(effect, cart);
    expect(ev.discount).toBe(discount);
    expect(lineDiscounts(ev)).toEqual(lines);
    expect(ev.total).toBe(ev.subtotal - discount);
    expect(ev.applied).toHaveLength(1);
    expect(ev.applied[0]!.effects[0]!.discount).toBe(discount);
  });

  it("order_fixed larger than the cart leaves the shipping to pay", () => {
    const ev = one({ kind: "order_fixed", amount: 500_000 }, { ...CAFE, shipping: 15_000 });
    expect(ev.discount).toBe(180_000);
    expect(ev.total).toBe(15_000);
  });
});

describe("evaluateCart: bundles", () => {
  const latteAndCake = (price: number, maxApplications?: number): PromotionEffect => ({
    kind: "bundle",
    items: [{ filter: { skus: ["LATTE"] }, quantity: 1 }, { filter: { skus: ["CAKE"] }, quantity: 1 }],
    price,
    maxApplications,
  });
  const twoOfEach: CartInput = { currency: "VND", lines: [line("LATTE", 2, 45_000, "drinks"), line("CAKE", 2, 30_000, "cakes")] };

  it.each<{ spec: string; effect: PromotionEffect; cart?: CartInput; discount: number; lines: number[] }>([
    { spec: "a bundle below list sells its units for the bundle price (75,000 -> 60,000)", effect: latteAndCake(60_000), discount: 15_000, lines: [9_000, 6_000, 0] },
    { spec: "a bundle applies as many times as the cart holds it", effect: latteAndCake(60_000), cart: twoOfEach, discount: 30_000, lines: [18_000, 12_000] },
    { spec: "maxApplications caps how many times it applies", effect: latteAndCake(60_000, 1), cart: twoOfEach, discount: 15_000, lines: [9_000, 6_000] },
    {
      spec: "two drinks for 60,000 takes the dearest pair first and skips pairs already below the price",
      effect: { kind: "bundle", items: [{ filter: { categories: ["drinks"] }, quantity: 2 }], price: 60_000 },
      discount: 30_000,
      lines: [30_000, 0, 0],
    },
    {
      spec: "a unit counts for one bundle item only (a latte + any drink needs a second drink)",
      effect: { kind: "bundle", items: [{ filter: { skus: ["LATTE"] }, quantity: 1 }, { filter: { categories: ["drinks"] }, quantity: 1 }], price: 50_000 },
      cart: { currency: "VND", lines: [line("LATTE", 1, 45_000, "drinks"), line("TEA", 1, 20_000, "drinks")] },
      discount: 15_000,
      lines: [10_385, 4_615],
    },
  ])("$spec", ({ effect, cart, discount, lines }) => {
    const ev = one(effect, cart);
    expect(ev.discount).toBe(discount);
    expect(lineDiscounts(ev)).toEqual(lines);
  });

  it("a cart of 8,001 units fills every bundle it holds: each item's scan resumes where it stopped", () => {
    // A latte and any drink for 50,000: the second item takes the dearest drink left, a latte, until
    // one latte is left, which goes with a tea (65,000 -> 50,000, as in the example above).
    const effect: PromotionEffect = { kind: "bundle", items: [{ filter: { skus: ["LATTE"] }, quantity: 1 }, { filter: { categories: ["drinks"] }, quantity: 1 }], price: 50_000 };
    const cart: CartInput = { currency: "VND", lines: [line("LATTE", 3_001, 45_000, "drinks"), line("TEA", 5_000, 20_000, "drinks")] };
    const ev = one(effect, cart);
    expect(lineDiscounts(ev)).toEqual([1_500 * 40_000 + 10_385, 4_615]);
    expect(ev.applied[0]!.discount).toBe(1_500 * 40_000 + 15_000);
  });

  it.each<{ spec: string; effect: PromotionEffect; cart: CartInput; part: string }>([
    { spec: "a bundle priced above list gives nothing and never raises a price", effect: latteAndCake(80_000), cart: CAFE, part: "bundle at 80000 × 1: 0" },
    {
      spec: "a lone latte is not a latte + drink bundle: its unit is not used twice",
      effect: { kind: "bundle", items: [{ filter: { skus: ["LATTE"] }, quantity: 1 }, { filter: { categories: ["drinks"] }, quantity: 1 }], price: 10_000 },
      cart: { currency: "VND", lines: [line("LATTE", 1, 45_000, "drinks")] },
      part: "the cart does not hold the whole bundle",
    },
  ])("$spec", ({ effect, cart, part }) => {
    const c = campaign("combo", { code: "COMBO", effects: [effect] });
    const ev = consistent(evaluate({ cart, codes: [typed("combo", c)] }));
    expect(ev.discount).toBe(0);
    expect(ev.total).toBe(ev.subtotal);
    expect(ev.applied).toEqual([]);
    expect(ev.refused).toEqual([{ code: "COMBO", reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId: "combo", condition: { kind: "effects", part } }]);
  });
});

describe("evaluateCart: buy X get Y", () => {
  const teas = (n: number): CartInput => ({ currency: "VND", lines: [line("TEA", n, 20_000, "drinks")] });
  const drinks = { categories: ["drinks"] };
  const b2g1 = (percent: number, maxApplications?: number): PromotionEffect => ({ kind: "buy_x_get_y", buy: { filter: drinks, quantity: 2 }, get: { filter: drinks, quantity: 1 }, percent, maxApplications });

  it.each<{ spec: string; effect: PromotionEffect; cart?: CartInput; discount: number; lines: number[] }>([
    { spec: "buy 2 drinks get 1 free: the cheapest drink is the free one", effect: b2g1(100), discount: 20_000, lines: [0, 0, 20_000] },
    { spec: "buy 2 get 1 at 50% off takes half of the cheapest", effect: b2g1(50), discount: 10_000, lines: [0, 0, 10_000] },
    { spec: "6 teas are two applications of buy 2 get 1", effect: b2g1(100), cart: teas(6), discount: 40_000, lines: [40_000] },
    { spec: "maxApplications 1 gives one free tea out of 6", effect: b2g1(100, 1), cart: teas(6), discount: 20_000, lines: [20_000] },
    { spec: "5 teas hold one application: the leftover 2 have no third to get", effect: b2g1(100), cart: teas(5), discount: 20_000, lines: [20_000] },
    {
      spec: "buy a latte, get a cake free: the buy and get filters differ",
      effect: { kind: "buy_x_get_y", buy: { filter: { skus: ["LATTE"] }, quantity: 1 }, get: { filter: { skus: ["CAKE"] }, quantity: 1 }, percent: 100 },
      discount: 30_000,
      lines: [0, 30_000, 0],
    },
  ])("$spec", ({ effect, cart, discount, lines }) => {
    const ev = one(effect, cart);
    expect(ev.discount).toBe(discount);
    expect(lineDiscounts(ev)).toEqual(lines);
  });

  it("a cart of 10,000 units (the most a cart holds) gives every application: the scans resume where they stopped", () => {
    // 6,000 teas at 20,000 and 4,000 coffees at 45,000: buy 2 get 1 makes 3,333 applications. The
    // 6,667 dearest units are bought (4,000 coffees, 2,667 teas) and the 3,333 cheapest given, all teas.
    const cart: CartInput = { currency: "VND", lines: [line("TEA", 6_000, 20_000, "drinks"), line("COFFEE", 4_000, 45_000, "drinks")] };
    const ev = one(b2g1(100), cart);
    expect(ev.discount).toBe(3_333 * 20_000);
    expect(lineDiscounts(ev)).toEqual([3_333 * 20_000, 0]);
    expect(one(b2g1(100, 1_000), cart).discount).toBe(1_000 * 20_000);
  });

  it("refuses a buy 2 get 1 code on 2 units (not enough units), naming the effect", () => {
    const c = campaign("b2g1", { code: "B2G1", effects: [b2g1(100)] });
    const ev = consistent(evaluate({ cart: teas(2), codes: [typed("b2g1", c)] }));
    expect(ev.discount).toBe(0);
    expect(ev.refused).toEqual([{ code: "B2G1", reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId: "b2g1", condition: { kind: "effects", part: "fewer than 2 + 1 matching units" } }]);
  });
});

describe("evaluateCart: gifts, shipping, points and follow-ups", () => {
  it("a gift adds a free line and takes nothing off", () => {
    const ev = one({ kind: "gift", sku: "BAG", name: "Coffee bag", quantity: 1 });
    expect(ev.discount).toBe(0);
    expect(ev.total).toBe(180_000);
    expect(ev.gifts).toEqual([{ sku: "BAG", name: "Coffee bag", quantity: 1, campaignId: "promo" }]);
    expect(ev.applied[0]!.gifts).toEqual([{ sku: "BAG", name: "Coffee bag", quantity: 1 }]);
  });

  it("a gift without a name is named by its sku", () => {
    expect(one({ kind: "gift", sku: "BAG", quantity: 2 }).gifts).toEqual([{ sku: "BAG", name: "BAG", quantity: 2, campaignId: "promo" }]);
  });

  it.each([
    { spec: "free_shipping takes the whole shipping off", max: undefined, shippingDiscount: 30_000, total: 180_000 },
    { spec: "free_shipping with a max takes at most the max", max: 20_000, shippingDiscount: 20_000, total: 190_000 },
    { spec: "free_shipping with a max above the shipping takes the shipping", max: 50_000, shippingDiscount: 30_000, total: 180_000 },
  ])("$spec", ({ max, shippingDiscount, total }) => {
    const ev = one({ kind: "free_shipping", max }, { ...CAFE, shipping: 30_000 });
    expect(ev.discount).toBe(0);
    expect(ev.shipping).toBe(30_000);
    expect(ev.shippingDiscount).toBe(shippingDiscount);
    expect(ev.total).toBe(total);
    expect(ev.applied[0]!.shippingDiscount).toBe(shippingDiscount);
  });

  it("refuses a free-shipping code on a cart without shipping", () => {
    const c = campaign("ship", { code: "SHIP", effects: [{ kind: "free_shipping" }] });
    const ev = evaluate({ codes: [typed("ship", c)] });
    expect(ev.refused).toEqual([{ code: "SHIP", reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId: "ship", condition: { kind: "effects", part: "no shipping to take off" } }]);
  });

  it("a guest gets no bonus points: a campaign that gives only points is refused for a guest, one that also gives money applies without them", () => {
    const points = campaign("pts", { code: "PTS", effects: [{ kind: "bonus_points", points: 500 }] });
    const both = campaign("both", { code: "BOTH", effects: [{ kind: "order_fixed", amount: 1_000 }, { kind: "bonus_points", points: 500 }] });
    const ev = consistent(evaluate({ customer: GUEST, codes: [typed("pts", points), typed("both", both)] }));
    expect(ev.points).toEqual({ rules: 0, bonus: 0, total: 0 });
    expect(ev.applied.map((a) => [a.code, a.discount, a.bonusPoints])).toEqual([["BOTH", 1_000, 0]]);
    expect(ev.refused).toEqual([{ code: "PTS", reason: "CONDITION_NOT_MET", message: expect.stringContaining("member account"), campaignId: "pts", condition: { kind: "effects", part: expect.stringContaining("members only") } }]);
  });

  it("a multiplier-only campaign on an order that earns no points gives nothing: refused, not applied (so not recorded)", () => {
    const double = campaign("x2", { code: "X2", effects: [{ kind: "points_multiplier", factor: 2 }] });
    const both = campaign("x3", { code: "X3", effects: [{ kind: "points_multiplier", factor: 3 }, { kind: "order_fixed", amount: 1_000 }] });
    const ev = consistent(evaluate({ codes: [typed("x2", double), typed("x3", both)], earn: () => 0 }));
    expect(ev.applied.map((a) => [a.code, a.discount, a.bonusPoints])).toEqual([["X3", 1_000, 0]]);
    expect(ev.refused).toEqual([{ code: "X2", reason: "CONDITION_NOT_MET", message: expect.stringContaining("earns no points"), campaignId: "x2", condition: { kind: "effects", part: expect.stringContaining("no points") } }]);
    expect(ev.trace.join("\n")).toContain("earns no points for the multiplier");
  });

  it("a follow-up worth a share of an order that comes to nothing is not issued: no code worth 0", () => {
    const credit = campaign("credit", { effects: [{ kind: "follow_up_code", campaignId: "next", validDays: 90, percentOfOrder: 10 }] });
    const tiny: CartInput = { currency: "VND", lines: [line("GUM", 1, 9)] };
    expect(consistent(evaluate({ cart: tiny, automatic: [credit] })).applied).toEqual([]);
    expect(consistent(evaluate({ cart: { currency: "VND", lines: [line("GUM", 1, 10)] }, automatic: [credit] })).applied[0]!.followUps).toEqual([{ campaignId: "next", validDays: 90, value: 1 }]);
  });

  it("a multiplier that loses to its group on an order that earns no points is refused for earning nothing, not as not combinable", () => {
    // Found by the NOT_COMBINABLE property (seed 1261354597): alone, the code is refused CONDITION_NOT_MET.
    const double = campaign("x2", { code: "X2", stacking: "group", group: "g1", effects: [{ kind: "points_multiplier", factor: 1.5 }] });
    const bonus = campaign("bonus", { stacking: "group", group: "g1", effects: [{ kind: "bonus_points", points: 700 }] });
    // A stackable discount outside the group wins, so the multiplier's own combination (the group) is not the one chosen.
    const off = campaign("off", { effects: [{ kind: "order_fixed", amount: 1_000 }] });
    const ev = consistent(evaluate({ automatic: [bonus, off], codes: [typed("x2", double)], earn: () => 0 }));
    expect(ev.applied.map((a) => a.campaignId)).toEqual(["off"]);
    expect(ev.refused).toEqual([{ code: "X2", reason: "CONDITION_NOT_MET", message: expect.stringContaining("earns no points"), campaignId: "x2", condition: { kind: "effects", part: expect.stringContaining("no points") } }]);
  });

  it("a blocked member gets no bonus points either: a points-only campaign is refused saying so", () => {
    const points = campaign("pts", { code: "PTS", effects: [{ kind: "bonus_points", points: 500 }] });
    const ev = consistent(evaluate({ customer: member({ status: "blocked" }), codes: [typed("pts", points)] }));
    expect(ev.applied).toEqual([]);
    expect(ev.refused).toEqual([{ code: "PTS", reason: "CONDITION_NOT_MET", message: expect.stringContaining("blocked"), campaignId: "pts", condition: { kind: "effects", part: expect.stringContaining("blocked") } }]);
  });

  it("a guest gets no points multiplier: a campaign that only multiplies points is refused for a guest, and applies for a member", () => {
    const double = campaign("x2", { code: "X2", effects: [{ kind: "points_multiplier", factor: 2 }] });
    const earn = (o: CelOrder) => Math.floor(o.earningBase / 1_000);
    const guest = consistent(evaluate({ customer: GUEST, codes: [typed("x2", double)], earn: () => 0 }));
    expect(guest.applied).toEqual([]);
    expect(guest.refused).toEqual([{ code: "X2", reason: "CONDITION_NOT_MET", message: expect.stringContaining("member account"), campaignId: "x2", condition: { kind: "effects", part: expect.stringContaining("members only") } }]);
    expect(consistent(evaluate({ codes: [typed("x2", double)], earn })).applied.map((a) => [a.code, a.multiplier, a.bonusPoints])).toEqual([["X2", 2, 180]]);
  });

  it("a guest still gets the money off of a campaign whose points budget is spent: she would be given none of its points", () => {
    const both = campaign("both", { code: "BOTH", effects: [{ kind: "order_fixed", amount: 1_000 }, { kind: "bonus_points", points: 500 }], limits: { budget: { points: 1_000 } } });
    const spent = { both: usage({ budgetPointsUsed: 1_000 }) };
    expect(consistent(evaluate({ customer: GUEST, codes: [typed("both", both)], usage: spent })).applied.map((a) => [a.code, a.discount, a.bonusPoints])).toEqual([["BOTH", 1_000, 0]]);
    expect(evaluate({ codes: [typed("both", both)], usage: spent }).refused).toEqual([expect.objectContaining({ code: "BOTH", reason: "BUDGET_EXHAUSTED" })]);
  });

  it("bonus_points adds points on top of what the rules earn", () => {
    const ev = consistent(evaluate({ automatic: [campaign("bonus", { effects: [{ kind: "bonus_points", points: 500 }] })], earn: (o) => Math.floor(o.earningBase / 1_000) }));
    expect(ev.points).toEqual({ rules: 180, bonus: 500, total: 680 });
    expect(ev.applied[0]!.bonusPoints).toBe(500);
    expect(ev.discount).toBe(0);
  });

  it.each([
    { spec: "points_multiplier 2 gives as much again as the rules earn", factor: 2, extra: 180 },
    { spec: "points_multiplier 1.5 gives half again, rounded down", factor: 1.5, extra: 90 },
    { spec: "points_multiplier 3 gives twice again", factor: 3, extra: 360 },
  ])("$spec", ({ factor, extra }) => {
    const ev = consistent(evaluate({ automatic: [campaign("double", { effects: [{ kind: "points_multiplier", factor }] })], earn: (o) => Math.floor(o.earningBase / 1_000) }));
    expect(ev.points).toEqual({ rules: 180, bonus: extra, total: 180 + extra });
    expect(ev.applied[0]!.multiplier).toBe(factor);
    expect(ev.applied[0]!.bonusPoints).toBe(extra);
  });

  it("earn sees the order after discounts: a multiplier doubles what the discounted order earns", () => {
    const seen: CelOrder[] = [];
    const ev = consistent(
      evaluate({
        automatic: [campaign("double", { effects: [{ kind: "points_multiplier", factor: 2 }] }), campaign("ten", { effects: [{ kind: "order_percent", percent: 10 }] })],
        earn: (o) => {
          seen.push(o);
          return Math.floor(o.earningBase / 1_000);
        },
      }),
    );
    expect(ev.discount).toBe(18_000);
    expect(ev.points).toEqual({ rules: 162, bonus: 162, total: 324 });
    expect(seen.at(-1)).toMatchObject({ subtotal: 180_000, discount: 18_000, earningBase: 162_000, total: 162_000 });
    expect(seen.at(-1)!.lines.map((l) => l.net)).toEqual([81_000, 27_000, 54_000]);
  });

  it("follow_up_code returns the code to issue after the order, without a value", () => {
    const ev = one({ kind: "follow_up_code", campaignId: "next-visit", validDays: 30 });
    expect(ev.discount).toBe(0);
    expect(ev.applied[0]!.followUps).toEqual([{ campaignId: "next-visit", validDays: 30, value: null }]);
  });
});

describe("evaluateCart: stacking", () => {
  it("two stackable campaigns both apply: line effects first, then the order percentage on what is left", () => {
    // The order percentage has the higher priority but still applies after the line effect.
    const pct = campaign("pct", { code: "TEN", priority: 0, effects: [{ kind: "order_percent", percent: 10 }] });
    const latte = campaign("latte", { code: "LATTE20", priority: 1, effects: [{ kind: "lines_percent", percent: 20, filter: { skus: ["LATTE"] } }] });
    const ev = consistent(evaluate({ codes: [typed("ten", pct), typed("latte20", latte)] }));
    expect(appliedIds(ev)).toEqual(["pct", "latte"]);
    expect(ev.applied.map((a) => a.discount)).toEqual([16_200, 18_000]);
    expect(ev.discount).toBe(34_200);
    expect(ev.total).toBe(145_800);
    expect(ev.refused).toEqual([]);
  });

  it("two order percentages apply in priority order, the second on what the first left", () => {
    const a = campaign("a", { priority: 2, effects: [{ kind: "order_percent", percent: 10 }] });
    const b = campaign("b", { priority: 1, effects: [{ kind: "order_percent", percent: 50 }] });
    const ev = consistent(evaluate({ automatic: [a, b] }));
    expect(appliedIds(ev)).toEqual(["b", "a"]);
    expect(ev.applied.map((x) => x.discount)).toEqual([90_000, 9_000]);
  });

  const s1 = campaign("s1", { code: "S1", priority: 0, effects: [{ kind: "order_percent", percent: 10 }] });
  const s2 = campaign("s2", { code: "S2", priority: 1, effects: [{ kind: "order_percent", percent: 5 }] });

  it("an exclusive campaign worth more than the stackables together wins; the losing codes are NOT_COMBINABLE", () => {
    // Stackables: 18,000 + 5% of 162,000 = 26,100; the exclusive: 20% = 36,000.
    const ex = campaign("ex", { code: "EX20", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 20 }] });
    const ev = consistent(evaluate({ codes: [typed("s1", s1), typed("ex20", ex), typed("s2", s2)] }));
    expect(appliedIds(ev)).toEqual(["ex"]);
    expect(ev.discount).toBe(36_000);
    expect(refusals(ev)).toEqual([
      { code: "S1", reason: "NOT_COMBINABLE" },
      { code: "S2", reason: "NOT_COMBINABLE" },
    ]);
    expect(ev.refused[0]!.message).toContain("EX20");
  });

  it("an exclusive campaign worth less than the stackables together loses and is NOT_COMBINABLE", () => {
    const ex = campaign("ex", { code: "EX12", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 12 }] });
    const ev = consistent(evaluate({ codes: [typed("s1", s1), typed("ex12", ex), typed("s2", s2)] }));
    expect(appliedIds(ev)).toEqual(["s1", "s2"]);
    expect(ev.discount).toBe(26_100);
    expect(refusals(ev)).toEqual([{ code: "EX12", reason: "NOT_COMBINABLE" }]);
  });

  it("two exclusive campaigns: only the one worth more applies", () => {
    const a = campaign("a", { code: "A", stacking: "exclusive", effects: [{ kind: "order_fixed", amount: 20_000 }] });
    const b = campaign("b", { code: "B", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 10 }] });
    const ev = consistent(evaluate({ codes: [typed("a", a), typed("b", b)] }));
    expect(appliedIds(ev)).toEqual(["a"]);
    expect(ev.discount).toBe(20_000);
    expect(refusals(ev)).toEqual([{ code: "B", reason: "NOT_COMBINABLE" }]);
  });

  it("equal value: more points win, then the smaller ids", () => {
    const a = campaign("a", { code: "A", stacking: "exclusive", effects: [{ kind: "order_fixed", amount: 10_000 }] });
    const b = campaign("b", { code: "B", stacking: "exclusive", effects: [{ kind: "order_fixed", amount: 10_000 }, { kind: "bonus_points", points: 1 }] });
    const c = campaign("c", { code: "C", stacking: "exclusive", effects: [{ kind: "order_fixed", amount: 10_000 }] });
    expect(appliedIds(evaluate({ codes: [typed("c", c), typed("a", a), typed("b", b)] }))).toEqual(["b"]);
    expect(appliedIds(evaluate({ codes: [typed("c", c), typed("a", a)] }))).toEqual(["a"]);
  });

  it("group campaigns stack within their group: the group worth more wins", () => {
    const a = campaign("a", { code: "A", stacking: "group", group: "g1", priority: 0, effects: [{ kind: "order_percent", percent: 10 }] });
    const b = campaign("b", { code: "B", stacking: "group", group: "g1", priority: 1, effects: [{ kind: "order_percent", percent: 5 }] });
    const c = campaign("c", { code: "C", stacking: "group", group: "g2", effects: [{ kind: "order_percent", percent: 12 }] });
    const ev = consistent(evaluate({ codes: [typed("a", a), typed("b", b), typed("c", c)] }));
    expect(appliedIds(ev)).toEqual(["a", "b"]);
    expect(ev.discount).toBe(26_100);
    expect(refusals(ev)).toEqual([{ code: "C", reason: "NOT_COMBINABLE" }]);
    expect(ev.refused[0]!.message).toContain('group "g2"');
  });

  it("a group campaign stacks neither with another group nor with stackables", () => {
    const a = campaign("a", { code: "A", stacking: "group", group: "g1", effects: [{ kind: "order_percent", percent: 10 }] });
    const c = campaign("c", { code: "C", stacking: "group", group: "g2", effects: [{ kind: "order_percent", percent: 12 }] });
    const d = campaign("d", { code: "D", effects: [{ kind: "order_percent", percent: 5 }] });
    const ev = consistent(evaluate({ codes: [typed("a", a), typed("c", c), typed("d", d)] }));
    expect(appliedIds(ev)).toEqual(["c"]);
    expect(ev.discount).toBe(21_600);
    expect(refusals(ev)).toEqual([
      { code: "A", reason: "NOT_COMBINABLE" },
      { code: "D", reason: "NOT_COMBINABLE" },
    ]);
  });

  it("builds no trace unless asked", () => {
    const ex = campaign("ex", { code: "EX", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 20 }] });
    const ev = evaluate({ automatic: [campaign("auto", { effects: [{ kind: "order_percent", percent: 5 }] })], codes: [typed("ex", ex)], trace: false });
    expect(appliedIds(ev)).toEqual(["ex"]);
    expect(ev.trace).toEqual([]);
  });

  it("an automatic campaign that loses to a code is left out quietly (no refusal, a trace line)", () => {
    const auto = campaign("auto", { effects: [{ kind: "order_percent", percent: 5 }] });
    const ex = campaign("ex", { code: "EX", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 20 }] });
    const ev = consistent(evaluate({ automatic: [auto], codes: [typed("ex", ex)] }));
    expect(appliedIds(ev)).toEqual(["ex"]);
    expect(ev.refused).toEqual([]);
    expect(ev.trace.join("\n")).toContain("2 combinations priced");
  });

  it("an automatic campaign whose effects cannot act on the cart is out before its conditions run; behind a code it goes the whole way", () => {
    const effects: PromotionEffect[] = [{ kind: "bundle", items: [{ filter: { skus: ["LATTE"] }, quantity: 1 }, { filter: { skus: ["MUFFIN"] }, quantity: 1 }], price: 50_000 }];
    const never = 'hasTag("never")';
    const auto = campaign("auto", { audience: never, effects });
    const coded = campaign("coded", { code: "BUNDLE", audience: never, effects });
    const bxgy = campaign("bxgy", { effects: [{ kind: "buy_x_get_y", buy: { filter: { skus: ["CAKE"] }, quantity: 1 }, get: { filter: { skus: ["CAKE"] }, quantity: 1 }, percent: 100 }] });
    const lines = campaign("lines", { stacking: "exclusive", effects: [{ kind: "lines_percent", percent: 50, filter: { categories: ["flowers"] } }] });
    const ev = consistent(evaluate({ automatic: [auto, bxgy, lines], codes: [typed("bundle", coded)] }));
    expect(ev.applied).toEqual([]);
    const trace = ev.trace.join("\n");
    expect(trace).toContain("auto (auto): gives nothing here (the cart does not hold the whole bundle)");
    expect(trace).toContain("bxgy (bxgy): gives nothing here (fewer than 1 + 1 matching units)");
    expect(trace).toContain("lines (lines): gives nothing here (no matching line)");
    expect(trace).not.toContain("auto (auto): not applied");
    expect(ev.refused).toEqual([expect.objectContaining({ code: "BUNDLE", reason: "CONDITION_NOT_MET", condition: { kind: "audience", part: never } })]);
    // With a muffin in the cart the bundle can act, and the automatic campaign's audience decides again.
    const withMuffin = consistent(evaluate({ cart: { ...CAFE, lines: [...CAFE.lines, line("MUFFIN", 1, 25_000)] }, automatic: [auto] }));
    expect(withMuffin.trace.join("\n")).toContain("auto (auto): not applied, The audience condition is not met");
  });

  it("an automatic option that cannot beat the best so far is bounded, not priced, and the answer is the same", () => {
    const stack = [campaign("s1", { effects: [{ kind: "order_percent", percent: 10 }] }), campaign("s2", { effects: [{ kind: "order_percent", percent: 10 }] })];
    const small = campaign("small", { stacking: "exclusive", effects: [{ kind: "order_percent", percent: 15 }] });
    const big = campaign("big", { stacking: "exclusive", effects: [{ kind: "order_percent", percent: 25 }] });
    const withSmall = consistent(evaluate({ automatic: [...stack, small], trace: true }));
    expect(appliedIds(withSmall)).toEqual(["s1", "s2"]);
    expect(withSmall.trace.join("\n")).toContain("2 combinations priced (1 of them only bounded");
    // 25% beats 10% + 10% (19% of the cart): bounded above the stack, so priced, and it wins.
    const withBig = consistent(evaluate({ automatic: [...stack, big], trace: true }));
    expect(appliedIds(withBig)).toEqual(["big"]);
    expect(withBig.trace.join("\n")).not.toContain("only bounded");
  });
});

describe("evaluateCart: the margin guard", () => {
  const first = campaign("first", { priority: 0, effects: [{ kind: "order_percent", percent: 15 }] });
  const second = campaign("second", { priority: 1, effects: [{ kind: "order_percent", percent: 10 }] });

  it("maxDiscountPercent trims the last-applied campaign first", () => {
    // 27,000 + 10% of 153,000 = 42,300; the cap is 20% of 180,000 = 36,000: the second gives back 6,300.
    const ev = consistent(evaluate({ automatic: [first, second], guard: { maxDiscountPercent: 20 } }));
    expect(ev.discount).toBe(36_000);
    expect(ev.applied.map((a) => [a.campaignId, a.discount])).toEqual([
      ["first", 27_000],
      ["second", 9_000],
    ]);
    expect(ev.trace.join("\n")).toContain("margin guard");
  });

  it("maxDiscountPercent trims the earlier campaign too once the last one has given everything back", () => {
    const ev = consistent(evaluate({ automatic: [first, second], guard: { maxDiscountPercent: 10 } }));
    expect(ev.discount).toBe(18_000);
    expect(ev.applied.map((a) => [a.campaignId, a.discount])).toEqual([["first", 18_000]]);
  });

  it("a code the guard takes everything from is refused as the margin guard's doing, not as 'nothing to apply to'", () => {
    const typed = campaign("typed", { priority: 1, code: "EXTRA", effects: [{ kind: "order_percent", percent: 10 }] });
    const ev = consistent(evaluate({ automatic: [first], codes: [{ typed: "EXTRA", code: "EXTRA", campaign: typed }], guard: { maxDiscountPercent: 15 } }));
    expect(ev.discount).toBe(27_000);
    expect(ev.refused).toEqual([
      expect.objectContaining({ code: "EXTRA", reason: "CONDITION_NOT_MET", message: expect.stringContaining("margin guard"), condition: { kind: "effects", part: expect.stringContaining("margin guard (at most 15% off)") } }),
    ]);
  });

  it("maxDiscountPercent leaves a discount under the cap alone", () => {
    const ev = consistent(evaluate({ automatic: [first], guard: { maxDiscountPercent: 50 } }));
    expect(ev.discount).toBe(27_000);
  });

  it("maxDiscountPercent does not cap the shipping discount", () => {
    const ship = campaign("ship", { effects: [{ kind: "free_shipping" }] });
    const ev = consistent(evaluate({ cart: { ...CAFE, shipping: 30_000 }, automatic: [first, ship], guard: { maxDiscountPercent: 10 } }));
    expect(ev.discount).toBe(18_000);
    expect(ev.shippingDiscount).toBe(30_000);
    expect(ev.total).toBe(162_000);
  });

  it.each<{ spec: string; effects: PromotionEffect[]; floor: number; totals: number[] }>([
    { spec: "lineFloorPercent keeps each line at its floor when an order discount would take more", effects: [{ kind: "order_fixed", amount: 100_000 }], floor: 70, totals: [63_000, 21_000, 42_000] },
    { spec: "lineFloorPercent caps a line percentage at the floor", effects: [{ kind: "lines_percent", percent: 50, filter: { skus: ["LATTE"] } }], floor: 70, totals: [63_000, 30_000, 60_000] },
    {
      // 20% off the lattes leaves them 72,000 (floor 54,000); 50,000 off the order would take 22,222
      // from them: they give 18,000 and the other lines share the 4,222 left.
      spec: "lineFloorPercent: what a capped line cannot take goes to the others",
      effects: [{ kind: "lines_percent", percent: 20, filter: { skus: ["LATTE"] } }, { kind: "order_fixed", amount: 50_000 }],
      floor: 60,
      totals: [54_000, 19_334, 38_666],
    },
  ])("$spec", ({ effects, floor, totals }) => {
    const ev = consistent(evaluate({ automatic: [campaign("promo", { effects })], guard: { lineFloorPercent: floor } }));
    expect(ev.lines.map((l) => l.total)).toEqual(totals);
    ev.lines.forEach((l) => expect(l.total * 100).toBeGreaterThanOrEqual(l.subtotal * floor));
  });

  it("lineFloorPercent rounds the floor up: 30% of 999 keeps 300", () => {
    const ev = consistent(evaluate({ cart: { currency: "VND", lines: [line("X", 1, 999)] }, automatic: [campaign("all", { effects: [{ kind: "order_percent", percent: 100 }] })], guard: { lineFloorPercent: 30 } }));
    expect(ev.discount).toBe(699);
    expect(ev.total).toBe(300);
  });
});

describe("evaluateCart: refused codes", () => {
  const ten = (over: Partial<CampaignDefinition> = {}) => campaign("ten", { code: "TEN", effects: [{ kind: "order_percent", percent: 10 }], ...over });

  it.each<{ spec: string; code: TypedCode; usage?: Record<string, CampaignUsage>; reason: string; campaignId?: string }>([
    { spec: "CODE_UNKNOWN: the code resolves to no campaign", code: typed("nope", null), reason: "CODE_UNKNOWN" },
    {
      spec: "CODE_EXPIRED: the campaign's schedule has ended",
      code: typed("ten", ten({ schedule: { to: "2026-11-01T00:00:00Z" } })),
      reason: "CODE_EXPIRED",
      campaignId: "ten",
    },
    { spec: "CODE_EXPIRED: the campaign has not started", code: typed("ten", ten({ schedule: { from: "2026-12-01T00:00:00Z" } })), reason: "CODE_EXPIRED", campaignId: "ten" },
    { spec: "CODE_EXPIRED: today is not one of the campaign's weekdays", code: typed("ten", ten({ schedule: { daysOfWeek: [1, 2] } })), reason: "CODE_EXPIRED", campaignId: "ten" },
    { spec: "CODE_EXHAUSTED: the campaign has been redeemed its total times", code: typed("ten", ten({ limits: { total: 100 } })), usage: { ten: usage({ redeemed: 100 }) }, reason: "CODE_EXHAUSTED", campaignId: "ten" },
    {
      spec: "CUSTOMER_LIMIT_REACHED: this customer has used it the most times allowed",
      code: typed("ten", ten({ limits: { perCustomer: { max: 2, per: "month" } } })),
      usage: { ten: usage({ customerUsed: 2 }) },
      reason: "CUSTOMER_LIMIT_REACHED",
      campaignId: "ten",
    },
    { spec: "BUDGET_EXHAUSTED: the money budget is spent", code: typed("ten", ten({ limits: { budget: { money: 100_000 } } })), usage: { ten: usage({ budgetMoneyUsed: 100_000 }) }, reason: "BUDGET_EXHAUSTED", campaignId: "ten" },
    {
      spec: "BUDGET_EXHAUSTED: what is left of the money budget is less than the cart's discount",
      code: typed("ten", ten({ limits: { budget: { money: 100_000 } } })),
      usage: { ten: usage({ budgetMoneyUsed: 90_000 }) },
      reason: "BUDGET_EXHAUSTED",
      campaignId: "ten",
    },
    {
      spec: "BUDGET_EXHAUSTED: the points budget cannot cover the bonus points",
      code: typed("pts", campaign("pts", { code: "PTS", effects: [{ kind: "bonus_points", points: 500 }], limits: { budget: { points: 1_000 } } })),
      usage: { pts: usage({ budgetPointsUsed: 800 }) },
      reason: "BUDGET_EXHAUSTED",
      campaignId: "pts",
    },
    {
      spec: "the code's own record can refuse it before the campaign is looked at",
      code: typed("used", ten(), { refusal: { reason: "CODE_EXHAUSTED", message: "This code has been used." } }),
      reason: "CODE_EXHAUSTED",
      campaignId: "ten",
    },
  ])("$spec", ({ code, usage: u, reason, campaignId }) => {
    const ev = consistent(evaluate({ codes: [code], usage: u }));
    expect(ev.applied).toEqual([]);
    expect(ev.discount).toBe(0);
    expect(ev.total).toBe(180_000);
    expect(ev.refused).toEqual([{ code: code.code, reason, message: expect.any(String), ...(campaignId ? { campaignId } : {}) }]);
  });

  it("a money budget with room for the cart's discount applies", () => {
    const ev = consistent(evaluate({ codes: [typed("ten", ten({ limits: { budget: { money: 100_000 } } }))], usage: { ten: usage({ budgetMoneyUsed: 82_000 }) } }));
    expect(ev.discount).toBe(18_000);
    expect(ev.refused).toEqual([]);
  });

  it("a campaign over its money budget is dropped and the others apply without it", () => {
    const other = campaign("other", { code: "OTHER", priority: 1, effects: [{ kind: "order_percent", percent: 5 }] });
    const ev = consistent(evaluate({ codes: [typed("ten", ten({ limits: { budget: { money: 10_000 } } })), typed("other", other)] }));
    expect(appliedIds(ev)).toEqual(["other"]);
    expect(ev.discount).toBe(9_000);
    expect(refusals(ev)).toEqual([{ code: "TEN", reason: "BUDGET_EXHAUSTED" }]);
  });

  it("a points multiplier whose extra points overrun the points budget is refused", () => {
    const dbl = campaign("dbl", { code: "DBL", effects: [{ kind: "points_multiplier", factor: 2 }], limits: { budget: { points: 100 } } });
    const ev = consistent(evaluate({ codes: [typed("dbl", dbl)], earn: (o) => Math.floor(o.earningBase / 1_000) }));
    expect(ev.applied).toEqual([]);
    expect(ev.points).toEqual({ rules: 180, bonus: 0, total: 180 });
    expect(refusals(ev)).toEqual([{ code: "DBL", reason: "BUDGET_EXHAUSTED" }]);
  });

  it.each<{ spec: string; over: Partial<CampaignDefinition>; customer?: CelCustomer; kind: "audience" | "cart" | "effects"; part: string }>([
    { spec: "CONDITION_NOT_MET audience names the false part of the audience", over: { audience: 'isMember() && hasTag("vip")' }, kind: "audience", part: 'hasTag("vip")' },
    {
      spec: "CONDITION_NOT_MET cart names the false part of the cart condition",
      over: { condition: 'cart.currency == "VND" && cart.subtotal >= 500000' },
      kind: "cart",
      part: "cart.subtotal >= 500000",
    },
    { spec: "CONDITION_NOT_MET cart: `order` is the same value as `cart`", over: { condition: "order.itemCount > 6" }, kind: "cart", part: "order.itemCount > 6" },
    {
      spec: "CONDITION_NOT_MET effects: no line of the cart is reached by the effect",
      over: { effects: [{ kind: "lines_percent", percent: 10, filter: { skus: ["CROISSANT"] } }] },
      kind: "effects",
      part: "no matching line",
    },
    {
      spec: "the audience is checked before the cart: both false names the audience",
      over: { audience: "customer.metrics.lifetimeOrders > 10", condition: "cart.subtotal > 1000000" },
      kind: "audience",
      part: "customer.metrics.lifetimeOrders > 10",
    },
  ])("$spec", ({ over, customer, kind, part }) => {
    const ev = consistent(evaluate({ customer, codes: [typed("ten", ten(over))] }));
    expect(ev.applied).toEqual([]);
    expect(ev.refused).toEqual([{ code: "TEN", reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId: "ten", condition: { kind, part } }]);
  });

  it("a CEL run-time error (a missing attribute) refuses the code and does not throw", () => {
    const src = "customer.attributes.ownCup == true";
    const ev = consistent(evaluate({ codes: [typed("ten", ten({ audience: src }))] }));
    expect(ev.applied).toEqual([]);
    expect(ev.refused).toEqual([{ code: "TEN", reason: "CONDITION_NOT_MET", message: expect.stringContaining("failed"), campaignId: "ten", condition: { kind: "audience", part: src } }]);
  });

  it("a CEL run-time error in an automatic campaign leaves it out and does not throw", () => {
    const ev = consistent(evaluate({ automatic: [ten({ code: null, condition: "cart.subtotal / (cart.itemCount - 6) > 0" })] }));
    expect(ev.applied).toEqual([]);
    expect(ev.refused).toEqual([]);
    expect(ev.trace.join("\n")).toContain("condition failed");
  });

  describe("a code in a combination that lost says why it could not apply on its own", () => {
    const nothing: PromotionEffect[] = [{ kind: "lines_percent", percent: 10, filter: { skus: ["CROISSANT"] } }];
    const notMet = (code: string, campaignId: string) => ({ code, reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId, condition: { kind: "effects", part: "no matching line" } });

    it("an exclusive code that reaches nothing is CONDITION_NOT_MET effects, not NOT_COMBINABLE with the stackables", () => {
      const ex = campaign("ex", { code: "EX", stacking: "exclusive", effects: nothing });
      const ev = consistent(evaluate({ codes: [typed("ten", ten()), typed("ex", ex)] }));
      expect(appliedIds(ev)).toEqual(["ten"]);
      expect(ev.refused).toEqual([notMet("EX", "ex")]);
    });

    it("when no combination gives anything, every code is CONDITION_NOT_MET effects (none is NOT_COMBINABLE with nothing)", () => {
      const ex = campaign("ex", { code: "EX", stacking: "exclusive", effects: nothing });
      const grp = campaign("grp", { code: "GRP", stacking: "group", group: "g", effects: nothing });
      const st = campaign("st", { code: "ST", effects: nothing });
      const ev = consistent(evaluate({ codes: [typed("ex", ex), typed("grp", grp), typed("st", st)] }));
      expect(ev.applied).toEqual([]);
      expect(ev.refused).toEqual([notMet("EX", "ex"), notMet("GRP", "grp"), notMet("ST", "st")]);
    });

    it("a gift code wins over a combination that gives nothing", () => {
      const gift = campaign("gift", { code: "GIFT", stacking: "exclusive", effects: [{ kind: "gift", sku: "BAG", quantity: 1 }] });
      const st = campaign("st", { code: "ST", effects: nothing });
      const ev = consistent(evaluate({ codes: [typed("gift", gift), typed("st", st)] }));
      expect(appliedIds(ev)).toEqual(["gift"]);
      expect(ev.gifts).toEqual([{ sku: "BAG", name: "BAG", quantity: 1, campaignId: "gift" }]);
      expect(ev.refused).toEqual([notMet("ST", "st")]);
    });

    it("a follow-up code wins over an exclusive that gives nothing", () => {
      const next = campaign("next", { code: "NEXT", stacking: "exclusive", effects: [{ kind: "follow_up_code", campaignId: "later", validDays: 30 }] });
      const ex = campaign("ex", { code: "EX", stacking: "exclusive", effects: nothing });
      const ev = consistent(evaluate({ codes: [typed("next", next), typed("ex", ex)] }));
      expect(appliedIds(ev)).toEqual(["next"]);
      expect(ev.refused).toEqual([notMet("EX", "ex")]);
    });

    it("an exclusive code over its money budget is BUDGET_EXHAUSTED, not NOT_COMBINABLE with a smaller stackable", () => {
      const ex = campaign("ex", { code: "EX", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 50 }], limits: { budget: { money: 50_000 } } });
      const ev = consistent(evaluate({ codes: [typed("ten", ten()), typed("ex", ex)] }));
      expect(appliedIds(ev)).toEqual(["ten"]);
      expect(refusals(ev)).toEqual([{ code: "EX", reason: "BUDGET_EXHAUSTED" }]);
    });

    it("an exclusive code that would give something but less than the stackables stays NOT_COMBINABLE", () => {
      const ex = campaign("ex", { code: "EX", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 5 }] });
      const ev = consistent(evaluate({ codes: [typed("ten", ten()), typed("ex", ex)] }));
      expect(refusals(ev)).toEqual([{ code: "EX", reason: "NOT_COMBINABLE" }]);
      expect(ev.refused[0]!.message).toContain("TEN");
    });
  });

  it("the same code typed twice counts once", () => {
    const c = ten();
    const ev = consistent(evaluate({ codes: [typed("ten", c), typed("TEN", c)] }));
    expect(appliedIds(ev)).toEqual(["ten"]);
    expect(ev.applied[0]!.code).toBe("TEN");
    expect(ev.discount).toBe(18_000);
    expect(ev.refused).toEqual([]);
  });

  it("the same unknown code typed twice is refused once", () => {
    const ev = evaluate({ codes: [typed("nope", null), typed("nope", null)] });
    expect(refusals(ev)).toEqual([{ code: "NOPE", reason: "CODE_UNKNOWN" }]);
  });

  it("two codes of one campaign: the smaller code applies, the other is NOT_COMBINABLE", () => {
    const bulk = campaign("bulk", { kind: "bulk_codes", effects: [{ kind: "order_percent", percent: 10 }] });
    const ev = consistent(evaluate({ codes: [typed("zz-222", bulk), typed("aa-111", bulk)] }));
    expect(ev.applied.map((a) => [a.campaignId, a.code])).toEqual([["bulk", "AA-111"]]);
    expect(ev.discount).toBe(18_000);
    expect(ev.refused).toEqual([{ code: "ZZ-222", reason: "NOT_COMBINABLE", message: "Code AA-111 of the same campaign already applies.", campaignId: "bulk" }]);
  });

  it("a code that cannot be a code at all is refused under what was typed", () => {
    const ev = evaluate({ codes: [{ typed: "???", code: null, campaign: null }] });
    expect(refusals(ev)).toEqual([{ code: "???", reason: "CODE_UNKNOWN" }]);
  });

  it("refusals are listed by code, whatever order they were typed in", () => {
    const ev = evaluate({ codes: [typed("zed", null), typed("ten", ten({ schedule: { to: "2026-01-01T00:00:00Z" } })), typed("abc", null)] });
    expect(ev.refused.map((r) => r.code)).toEqual(["ABC", "TEN", "ZED"]);
  });

  it("a typed code beats the automatic entry of the same campaign: it applies once, under the code", () => {
    const c = ten();
    const ev = consistent(evaluate({ automatic: [c], codes: [typed("ten", c)] }));
    expect(ev.applied.map((a) => [a.campaignId, a.code])).toEqual([["ten", "TEN"]]);
    expect(ev.discount).toBe(18_000);
  });
});

describe("evaluateCart: PRODUCT.md stories", () => {
  describe("story 1: a reusable code gives 10% off orders from 1,000 RUB, up to 3 times per customer", () => {
    const save10 = campaign("save10", {
      code: "SAVE10",
      condition: "cart.subtotal >= 100000",
      effects: [{ kind: "order_percent", percent: 10 }],
      limits: { perCustomer: { max: 3, per: "lifetime" } },
    });
    const rub = (...lines: CartLineInput[]): CartInput => ({ currency: "RUB", lines, shipping: 30_000 });

    it.each([
      { spec: "1,250.00 RUB of goods: 125.00 RUB off", cart: rub(line("SHOES", 1, 125_000)), used: 0, discount: 12_500, total: 142_500 },
      { spec: "exactly 1,000.00 RUB qualifies", cart: rub(line("SHIRT", 2, 50_000)), used: 0, discount: 10_000, total: 120_000 },
      { spec: "the third use still applies", cart: rub(line("SHOES", 1, 125_000)), used: 2, discount: 12_500, total: 142_500 },
    ])("$spec", ({ cart, used, discount, total }) => {
      const ev = consistent(evaluate({ cart, codes: [typed("save10", save10)], usage: { save10: usage({ customerUsed: used }) } }));
      expect(ev.discount).toBe(discount);
      expect(ev.total).toBe(total);
      expect(ev.applied.map((a) => a.code)).toEqual(["SAVE10"]);
    });

    it("999.99 RUB of goods does not qualify (CONDITION_NOT_MET cart)", () => {
      const ev = consistent(evaluate({ cart: rub(line("SHIRT", 1, 99_999)), codes: [typed("save10", save10)] }));
      expect(ev.total).toBe(129_999);
      expect(ev.refused).toEqual([{ code: "SAVE10", reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId: "save10", condition: { kind: "cart", part: "cart.subtotal >= 100000" } }]);
    });

    it("the fourth use is CUSTOMER_LIMIT_REACHED", () => {
      const ev = consistent(evaluate({ cart: rub(line("SHOES", 1, 125_000)), codes: [typed("save10", save10)], usage: { save10: usage({ customerUsed: 3, redeemed: 57 }) } }));
      expect(ev.total).toBe(155_000);
      expect(refusals(ev)).toEqual([{ code: "SAVE10", reason: "CUSTOMER_LIMIT_REACHED" }]);
    });
  });

  describe("story 2: 15% off a second purchase made within 7 days of the first", () => {
    const second = campaign("second", {
      code: "AGAIN15",
      audience: "customer.metrics.lifetimeOrders == 1 && customer.metrics.daysSinceFirstOrder <= 7",
      effects: [{ kind: "order_percent", percent: 15 }],
    });
    const flowers: CartInput = { currency: "VND", lines: [line("ROSES", 1, 350_000, "bouquets"), line("CARD", 1, 15_000, "extras")] };
    const run = (customer: CelCustomer) => consistent(evaluate({ cart: flowers, customer, codes: [typed("again15", second)] }));

    it.each([
      { spec: "the day of the first order", days: 0 },
      { spec: "7 days after the first order", days: 7 },
    ])("applies $spec: 54,750 off 365,000", ({ days }) => {
      const ev = run(member({}, { lifetimeOrders: 1, daysSinceFirstOrder: days }));
      expect(ev.discount).toBe(54_750);
      expect(ev.total).toBe(310_250);
    });

    it.each([
      { spec: "a first order (no earlier order)", metrics: { lifetimeOrders: 0, daysSinceFirstOrder: -1 }, part: "customer.metrics.lifetimeOrders == 1" },
      { spec: "a second order on day 8", metrics: { lifetimeOrders: 1, daysSinceFirstOrder: 8 }, part: "customer.metrics.daysSinceFirstOrder <= 7" },
      { spec: "a third order within the week", metrics: { lifetimeOrders: 2, daysSinceFirstOrder: 3 }, part: "customer.metrics.lifetimeOrders == 1" },
      { spec: "a guest", metrics: {}, part: "customer.metrics.lifetimeOrders == 1", guest: true },
    ])("refuses $spec (CONDITION_NOT_MET audience)", ({ metrics, part, guest }) => {
      const ev = run(guest ? GUEST : member({}, metrics));
      expect(ev.discount).toBe(0);
      expect(ev.total).toBe(365_000);
      expect(ev.refused).toEqual([{ code: "AGAIN15", reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId: "second", condition: { kind: "audience", part } }]);
    });
  });

  describe("story 3: a coffee + juice combo for less than both; a 1.2 kg order gets a bag of coffee", () => {
    const combo = campaign("combo", {
      effects: [{ kind: "bundle", items: [{ filter: { categories: ["coffee"] }, quantity: 1 }, { filter: { categories: ["juice"] }, quantity: 1 }], price: 65_000 }],
    });
    const bag = campaign("bag", { condition: "cart.weight >= 1200", effects: [{ kind: "gift", sku: "BEANS-250", name: "Coffee beans 250 g", quantity: 1 }] });
    const cafe = (...lines: CartLineInput[]): CartInput => ({ currency: "VND", lines });

    it("coffee 45,000 + juice 35,000 cost 65,000 together", () => {
      const ev = consistent(evaluate({ cart: cafe(line("LATTE", 1, 45_000, "coffee", 350), line("ORANGE", 1, 35_000, "juice", 400)), automatic: [combo, bag] }));
      expect(ev.discount).toBe(15_000);
      expect(ev.total).toBe(65_000);
      expect(lineDiscounts(ev)).toEqual([8_438, 6_562]);
      expect(ev.gifts).toEqual([]);
    });

    it("two coffees and one juice: one combo, the second coffee at list price", () => {
      const ev = consistent(evaluate({ cart: cafe(line("LATTE", 2, 45_000, "coffee", 350), line("ORANGE", 1, 35_000, "juice", 400)), automatic: [combo, bag] }));
      expect(ev.total).toBe(110_000);
    });

    it("an order of 1.2 kg gets the bag of coffee as a gift line, and the combo too", () => {
      // 2 × 350 g + 1 × 400 g + 1 × 100 g = 1,200 g.
      const ev = consistent(
        evaluate({ cart: cafe(line("LATTE", 2, 45_000, "coffee", 350), line("ORANGE", 1, 35_000, "juice", 400), line("COOKIE", 1, 10_000, "food", 100)), automatic: [combo, bag] }),
      );
      expect(appliedIds(ev)).toEqual(["bag", "combo"]);
      expect(ev.gifts).toEqual([{ sku: "BEANS-250", name: "Coffee beans 250 g", quantity: 1, campaignId: "bag" }]);
      expect(ev.total).toBe(120_000);
    });

    it("1,199 g gets no gift", () => {
      const ev = consistent(evaluate({ cart: cafe(line("LATTE", 2, 45_000, "coffee", 350), line("ORANGE", 1, 35_000, "juice", 499)), automatic: [combo, bag] }));
      expect(ev.gifts).toEqual([]);
      expect(appliedIds(ev)).toEqual(["combo"]);
    });
  });

  describe("story 6: Black Friday offers for loyalty members only", () => {
    const bf = campaign("black-friday", {
      code: "BLACKFRIDAY",
      schedule: { from: "2026-11-27T00:00:00-05:00", to: "2026-11-28T00:00:00-05:00" },
      audience: "isMember()",
      effects: [{ kind: "order_percent", percent: 25, max: 5_000 }],
    });
    const perfume: CartInput = { currency: "USD", lines: [line("EAU-50ML", 1, 8_900, "perfume"), line("SAMPLE", 3, 450, "samples")] };
    const at = new Date("2026-11-27T15:00:00Z");

    it("a member gets 25% off $102.50, at most $50", () => {
      const ev = consistent(evaluate({ cart: perfume, now: at, customer: member(), codes: [typed("blackfriday", bf)] }));
      expect(ev.discount).toBe(2_562);
      expect(ev.total).toBe(7_688);
    });

    it("a guest is refused CONDITION_NOT_MET audience", () => {
      const ev = consistent(evaluate({ cart: perfume, now: at, customer: GUEST, codes: [typed("blackfriday", bf)] }));
      expect(ev.total).toBe(10_250);
      expect(ev.refused).toEqual([{ code: "BLACKFRIDAY", reason: "CONDITION_NOT_MET", message: expect.any(String), campaignId: "black-friday", condition: { kind: "audience", part: "isMember()" } }]);
    });

    it("a member the day after is refused CODE_EXPIRED", () => {
      const ev = evaluate({ cart: perfume, now: new Date("2026-11-28T06:00:00Z"), codes: [typed("blackfriday", bf)] });
      expect(refusals(ev)).toEqual([{ code: "BLACKFRIDAY", reason: "CODE_EXPIRED" }]);
    });
  });

  describe("story 7: a discount when the customer brings their own cup, confirmed by staff", () => {
    // Staff confirm the cup at the till by scanning a zero-priced OWN-CUP item; the campaign is
    // automatic, for in-store carts holding that item, and takes 5,000 off one coffee per cup.
    const ownCup = campaign("own-cup", {
      condition: 'cart.channel == "store" && hasSku("OWN-CUP")',
      effects: [{ kind: "lines_fixed", amountPerUnit: 5_000, filter: { categories: ["coffee"] }, cheapest: 1 }],
    });
    const till = (channel: string, ...lines: CartLineInput[]): CartInput => ({ currency: "VND", channel, lines });

    it("a confirmed cup takes 5,000 off the cheapest coffee", () => {
      const ev = consistent(evaluate({ cart: till("store", line("LATTE", 1, 55_000, "coffee"), line("AMERICANO", 1, 40_000, "coffee"), line("OWN-CUP", 1, 0)), automatic: [ownCup] }));
      expect(lineDiscounts(ev)).toEqual([0, 5_000, 0]);
      expect(ev.total).toBe(90_000);
    });

    it("no confirmed cup: no discount, and the trace says which part was false", () => {
      const ev = consistent(evaluate({ cart: till("store", line("LATTE", 1, 55_000, "coffee")), automatic: [ownCup] }));
      expect(ev.total).toBe(55_000);
      expect(ev.trace.join("\n")).toContain('hasSku("OWN-CUP")');
    });

    it("an online order cannot claim a cup", () => {
      const ev = consistent(evaluate({ cart: till("web", line("LATTE", 1, 55_000, "coffee"), line("OWN-CUP", 1, 0)), automatic: [ownCup] }));
      expect(ev.total).toBe(55_000);
      expect(ev.applied).toEqual([]);
    });
  });

  describe("story 10: a percentage of each purchase as a discount on the next one within 3 months", () => {
    const earnBack = campaign("earn-back", { effects: [{ kind: "follow_up_code", campaignId: "next-purchase", validDays: 90, percentOfOrder: 10 }] });
    const nextPurchase = campaign("next-purchase", { kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 0 }] });
    const clothes: CartInput = { currency: "USD", lines: [line("JEANS", 1, 7_999, "denim"), line("TEE", 2, 1_500, "tops")], shipping: 499 };

    it("the purchase returns a follow-up code worth 10% of its merchandise, shipping excluded (10,999 -> 1,099)", () => {
      const ev = consistent(evaluate({ cart: clothes, automatic: [earnBack] }));
      expect(ev.total).toBe(11_498);
      expect(ev.applied[0]!.followUps).toEqual([{ campaignId: "next-purchase", validDays: 90, value: 1_099 }]);
    });

    it("the follow-up is valued on the merchandise after the other discounts (9,900 -> 990)", () => {
      const ten = campaign("ten", { effects: [{ kind: "order_percent", percent: 10 }] });
      const ev = consistent(evaluate({ cart: clothes, automatic: [earnBack, ten] }));
      expect(ev.discount).toBe(1_099);
      expect(ev.total).toBe(10_399);
      expect(ev.applied.find((a) => a.campaignId === "earn-back")!.followUps).toEqual([{ campaignId: "next-purchase", validDays: 90, value: 990 }]);
    });

    it("the next purchase with that code takes its value off", () => {
      const ev = consistent(evaluate({ cart: clothes, codes: [typed("np-7KQ2", nextPurchase, { value: 1_149 })] }));
      expect(ev.discount).toBe(1_149);
      expect(ev.total).toBe(10_999 + 499 - 1_149);
      expect(ev.applied.map((a) => a.code)).toEqual(["NP-7KQ2"]);
    });
  });
});

describe("discounts that grow with the customer's activity", () => {
  const lunch = (progress?: number): PromotionEffect => ({ kind: "progressive_percent", basis: "visits", period: "month", orderCondition: "true", basePercent: 5, stepPercent: 1, every: 1, maxPercent: 15, ...(progress !== undefined ? { progress } : {}) });
  it.each([
    [undefined, 9_000], // 5% of 180,000: the base rate without a measure
    [0, 9_000],
    [3, 14_400], // 8%
    [10, 27_000], // 15%
    [25, 27_000], // capped at 15%
  ])("story 9: 5%% for members + 1%% per lunch this month, up to 15%% (progress %s → %i off)", (progress, off) => {
    const ev = evaluate({ automatic: [campaign("lunch", { effects: [lunch(progress)] })] });
    expect(ev.discount).toBe(off);
  });
  it("steps every N units of spend, and caps the money", () => {
    const e: PromotionEffect = { kind: "progressive_percent", basis: "spend", period: "year", basePercent: 0, stepPercent: 2.5, every: 1_000_000, maxPercent: 10, max: 10_000, progress: 2_999_999 };
    // 2 steps: 5% of 180,000 = 9,000; one more unit of spend reaches 7.5% = 13,500, capped at 10,000.
    expect(evaluate({ automatic: [campaign("p", { effects: [e] })] }).discount).toBe(9_000);
    expect(evaluate({ automatic: [campaign("p", { effects: [{ ...e, progress: 3_000_000 }] })] }).discount).toBe(10_000);
  });
  it("gives nothing below the first ladder step, then the highest step reached", () => {
    const ladder = (progress: number): PromotionEffect => ({ kind: "spend_ladder", steps: [{ from: 1_000_000, percent: 3 }, { from: 5_000_000, percent: 5 }], progress });
    expect(evaluate({ automatic: [campaign("l", { effects: [ladder(999_999)] })] }).discount).toBe(0);
    expect(evaluate({ automatic: [campaign("l", { effects: [ladder(1_000_000)] })] }).discount).toBe(5_400);
    expect(evaluate({ automatic: [campaign("l", { effects: [ladder(7_000_000)] })] }).discount).toBe(9_000);
  });
});
