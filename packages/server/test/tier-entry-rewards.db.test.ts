import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock, ok, testApi, type TestApi } from "./harness.ts";

/**
 * A tier level's entry reward (docs/tiers.md): a catalogue reward given for 0 points the first time
 * a customer reaches the level, by an order, by hand or never twice; checked when the scheme is set.
 * The same issuer gives a full stamp card's reward, in the same write when one order does both.
 */

let n = 0;
const order = (customerId: string, unitPrice: number, category = "food", quantity = 1) => {
  n += 1;
  return { id: `e-${n}`, type: "order.completed", customerId, data: { orderId: `o-${n}`, currency: "USD", lines: [{ sku: "ITEM", category, quantity, unitPrice }] } };
};
const effects = async (api: TestApi, event: unknown) => (await ok(api.call("POST", "/v1/events", event))).effects;
const redemptions = async (api: TestApi, customer: string) => (await ok(api.call("GET", `/v1/customers/${customer}/redemptions`))).data;

/** Spend in the calendar month (New York): Silver from $100, Gold from $300 with a free dessert and 50 points. */
const scheme = (dessert: string, extra: { silverReward?: string } = {}) => ({
  basis: "spend", window: "calendar_month", graceDays: 0, downgrade: "to_qualified",
  levels: [
    { key: "silver", name: "Silver", threshold: 10_000, benefits: { ...(extra.silverReward ? { entryReward: extra.silverReward } : {}) } },
    { key: "gold", name: "Gold", threshold: 30_000, benefits: { entryPoints: 50, entryReward: dessert } },
  ],
});

describe("a tier level's entry reward", () => {
  let api: TestApi;
  let clock: FakeClock;
  let dessert: string;
  beforeAll(async () => {
    clock = new FakeClock(new Date("2026-03-10T15:00:00Z"));
    api = await testApi({ clock });
    // Not sold for points (disabled), only given: the usual shape of a gift.
    dessert = (await ok(api.call("POST", "/v1/rewards", { name: "Free dessert", kind: "free_product", config: { sku: "DESSERT" }, cost: 500, validDays: 30, status: "disabled" }), 201)).id;
  });
  afterAll(() => api?.close());

  it("PUT /v1/tiers refuses an entry reward that is not in the catalogue, archived, or a wallet credit, with the field", async () => {
    const credit = (await ok(api.call("POST", "/v1/rewards", { name: "5.00 credit", kind: "wallet_credit", config: { asset: "bonus", amount: 500 }, cost: 100 }), 201)).id;
    const old = (await ok(api.call("POST", "/v1/rewards", { name: "Old mug", kind: "physical_gift", cost: 100 }), 201)).id;
    await ok(api.call("PATCH", `/v1/rewards/${old}`, { status: "archived" }));
    for (const [rewardId, reason] of [["rwd_nope", "not_found"], [old, "archived"], [credit, "kind"]] as const) {
      const r = await api.call("PUT", "/v1/tiers", { tiers: scheme(rewardId) });
      expect(r.status, rewardId).toBe(422);
      expect(r.body).toMatchObject({ code: "TIERS_INVALID", details: { field: "levels[1].benefits.entryReward", rewardId, reason } });
    }
    const malformed = await api.call("PUT", "/v1/tiers", { tiers: scheme("not an id") });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe("VALIDATION_FAILED");
    expect((await ok(api.call("GET", "/v1/tiers"))).tiers).toBeNull();
    expect((await ok(api.call("PUT", "/v1/tiers", { tiers: scheme(dessert) }))).tiers.levels[1].benefits).toEqual({ entryPoints: 50, entryReward: dessert });
  });

  it("the order that crosses the threshold gives the reward for 0 points: in the event's effects and the customer's redemptions", async () => {
    const e = await effects(api, order("an", 35_000));
    expect(e.tier).toEqual({ from: null, to: "gold", kind: "upgrade", giftPoints: 50, giftReward: { rewardId: dessert, redemptionId: expect.stringMatching(/^red_/), code: expect.stringMatching(/^\w{4}-\w{4}-\w{4}$/) } });
    const [r] = await redemptions(api, "an");
    expect(r).toMatchObject({
      id: e.tier.giftReward.redemptionId, rewardId: dessert, points: 0, status: "issued", code: e.tier.giftReward.code, transactionId: null,
      reference: expect.stringMatching(/^tier-gift:cus_\w+:gold$/), reward: { name: "Free dessert", kind: "free_product" }, expiresAt: "2026-04-09T15:00:00.000Z",
    });
    expect((await ok(api.call("GET", `/v1/rewards/${dessert}`))).issued).toBe(1);
    // Its code works at checkout like any reward's.
    const valid = await ok(api.call("POST", "/v1/codes/validate", { code: r.code, customerId: "an", cart: { lines: [{ sku: "DESSERT", quantity: 1, unitPrice: 800 }] } }));
    expect(valid.valid).toBe(true);
    // It cost nothing, so it cannot be cancelled for points back; it stays given.
    const cancel = await api.call("POST", `/v1/redemptions/${r.id}/cancel`, { reason: "test" });
    expect(cancel.body).toMatchObject({ code: "REDEMPTION_NOT_CANCELLABLE" });
  });

  it("after a downgrade, crossing the threshold again gives nothing: neither the reward nor the points", async () => {
    // Two months on, one review (of April, the last month that ended, with nothing in it) takes Gold away.
    clock.set("2026-05-02T15:00:00Z");
    expect(await ok(api.call("POST", "/v1/tiers/reviews"))).toEqual({ reviewed: 1, downgraded: 1 });
    expect((await ok(api.call("GET", "/v1/customers/an/tier"))).tier).toBeNull();
    const e = await effects(api, order("an", 35_000));
    expect(e.tier).toEqual({ from: null, to: "gold", kind: "upgrade" });
    expect(await redemptions(api, "an")).toHaveLength(1);
    expect((await ok(api.call("GET", `/v1/rewards/${dessert}`))).issued).toBe(1);
  });

  it("set by hand: the reward once (a replay gives nothing more, nor does a second time at the level); imports and gift: false give none", async () => {
    for (const c of ["binh", "chi"]) await ok(api.call("PUT", `/v1/customers/${c}`, {}), 201);
    const set = (customer: string, tier: string, key?: string, extra: Record<string, unknown> = {}) => api.call("PUT", `/v1/customers/${customer}/tier`, { tier, reason: "VIP by hand", ...extra }, key ? { "idempotency-key": key } : {});
    const first = await set("binh", "gold", "set-binh");
    expect(first.body).toEqual({ from: null, to: "gold", giftPoints: 50, giftReward: { rewardId: dessert, redemptionId: expect.any(String), code: expect.any(String) } });
    const replay = await set("binh", "gold", "set-binh");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    await ok(set("binh", "silver"));
    expect((await ok(set("binh", "gold")))).toEqual({ from: "silver", to: "gold", giftPoints: 0 });
    expect(await redemptions(api, "binh")).toHaveLength(1);

    expect(await ok(set("chi", "gold", undefined, { gift: false }))).toEqual({ from: null, to: "gold", giftPoints: 0 });
    await ok(api.call("POST", "/v1/tiers/import", { customers: [{ customerId: "dan", tier: "gold" }] }));
    expect(await redemptions(api, "chi")).toEqual([]);
    expect(await redemptions(api, "dan")).toEqual([]);
  });

  it("one order that fills a stamp card and reaches Gold gives both rewards, each once, in one write", async () => {
    await ok(api.call("POST", "/v1/stamp-cards", { name: "Cake card", stamps: 2, qualifying: 'line.category == "cake"', per: "unit", reward: { kind: "reward", rewardId: dessert } }), 201);
    const e = await effects(api, order("eva", 20_000, "cake", 2));
    expect(e.stamps[0].rewards).toEqual([expect.objectContaining({ redemptionId: expect.any(String), code: expect.any(String) })]);
    expect(e.tier.giftReward.redemptionId).not.toBe(e.stamps[0].rewards[0].redemptionId);
    const given = await redemptions(api, "eva");
    expect(given.map((r: { reference: string }) => r.reference.split(":")[0]).sort()).toEqual(["stamps", "tier-gift"]);
    expect((await ok(api.call("GET", `/v1/rewards/${dessert}`))).issued).toBe(4);
  });
});

describe("an entry reward that runs out", () => {
  it("the level is entered without it, the effect says why, and it is not owed later", async () => {
    const api = await testApi({ clock: new FakeClock(new Date("2026-03-10T15:00:00Z")) });
    const tote = (await ok(api.call("POST", "/v1/rewards", { name: "Tote bag", kind: "physical_gift", cost: 1_000, stock: 1 }), 201)).id;
    const coupon = (await ok(api.call("POST", "/v1/rewards", { name: "Partner spa", kind: "partner_coupon", config: { partner: "Spa" }, cost: 1_000 }), 201)).id;
    await ok(api.call("POST", `/v1/rewards/${coupon}/codes`, { codes: ["SPA-1"] }));
    await ok(api.call("PUT", "/v1/tiers", { tiers: scheme(coupon, { silverReward: tote }) }));
    // Two customers reach Silver in one batch: the one stock goes to the first.
    const batch = await ok(api.call("POST", "/v1/events/batch", { events: [order("fay", 12_000), order("gus", 12_000)] }));
    expect(batch.results[0].effects.tier).toMatchObject({ to: "silver", giftReward: { rewardId: tote, code: null } });
    expect(batch.results[1].effects.tier).toEqual({ from: null, to: "silver", kind: "upgrade", giftRewardUnavailable: "REWARD_OUT_OF_STOCK" });
    const [gift] = await redemptions(api, "fay");
    expect(gift).toMatchObject({ rewardId: tote, fulfilment: "pending", points: 0 });
    // The partner pool has one code: Gold gives it to the first, and nothing to the second.
    expect((await effects(api, order("fay", 20_000))).tier).toMatchObject({ to: "gold", giftPoints: 50, giftReward: { rewardId: coupon, partnerCode: "SPA-1" } });
    expect((await effects(api, order("gus", 20_000))).tier).toMatchObject({ to: "gold", giftPoints: 50, giftRewardUnavailable: "REWARD_OUT_OF_STOCK" });
    // New stock does not make an old entry owed.
    await ok(api.call("PATCH", `/v1/rewards/${tote}`, { stock: 10 }));
    expect(await ok(api.call("PUT", "/v1/customers/gus/tier", { tier: "silver", reason: "again" }))).toEqual({ from: "gold", to: "silver", giftPoints: 0 });
    expect(await redemptions(api, "gus")).toEqual([]);
    await api.close();
  });
});
