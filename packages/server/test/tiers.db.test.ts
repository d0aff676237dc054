import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/connect.ts";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";

/**
 * Tiers through the API: story 11's levels on stars earned, with exact figures across period
 * boundaries in the program's time zone (Ho Chi Minh City, UTC+7: local midnight is 17:00 UTC the
 * day before), a downgrade after grace, requalifying during grace, benefits, manual and imported tiers.
 */

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

const cafe = (clock: FakeClock) =>
  testApi({
    database,
    clock,
    program: { name: "Saigon Bean", currency: "VND", timeZone: "Asia/Ho_Chi_Minh", pointsSingular: "Star", pointsPlural: "Stars", earning: { enabled: true, points: 1, per: 10_000, rounding: "floor" } },
  });

let n = 0;
const order = (customerId: string, amount: number, occurredAt?: string) => {
  n += 1;
  return { id: `t-${n}`, type: "order.completed", customerId, ...(occurredAt ? { occurredAt } : {}), data: { orderId: `o-${n}`, currency: "VND", lines: [{ sku: "LATTE", category: "coffee", quantity: 1, unitPrice: amount }] } };
};

/** Story 11's levels: on stars earned in the calendar year, 30 days' grace, down one level at most. */
const LEVELS = {
  basis: "points",
  window: "calendar_year",
  graceDays: 30,
  downgrade: "one_level",
  levels: [
    { key: "green", name: "Green", threshold: 50, benefits: { entryPoints: 5 } },
    { key: "gold", name: "Gold", threshold: 150, benefits: { earnBonusPercent: 25, discountPercent: 5, entryPoints: 20 } },
  ],
};

async function send(api: TestApi, event: unknown) {
  const r = await api.call("POST", "/v1/events", event);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.effects;
}
const balance = async (api: TestApi, c: string) => (await api.call("GET", `/v1/customers/${c}/balances`)).body.available;
const tier = async (api: TestApi, c: string) => {
  const r = await api.call("GET", `/v1/customers/${c}/tier`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

describe("story 11: stars per purchase, double stars on the 15th, and levels", () => {
  it("upgrades at once with entry gifts, earns the Gold bonus and discount, renews, and downgrades one level after grace", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await cafe(clock);
    expect((await api.call("POST", "/v1/rules", { name: "Double stars", trigger: { event: "order.completed" }, effect: { kind: "multiplier", factor: 2 }, schedule: { daysOfMonth: [15] } })).status).toBe(201);
    const put = await api.call("PUT", "/v1/tiers", { tiers: LEVELS });
    expect(put.status, JSON.stringify(put.body)).toBe(200);

    // 500,000 VND: 50 stars reach Green at once, with its 5 entry stars.
    expect(await send(api, order("mai", 500_000))).toMatchObject({ pointsEarned: 50, tier: { from: null, to: "green", kind: "upgrade", giftPoints: 5 } });
    expect(await balance(api, "mai")).toBe(55);
    // On the 15th (local), double stars: 100 more, 150 earned this year (the gift does not count) → Gold, 20 entry stars.
    clock.set("2026-03-14T18:00:00Z"); // 15 March 01:00 in Ho Chi Minh City
    expect(await send(api, order("mai", 500_000))).toMatchObject({ pointsEarned: 100, tier: { from: "green", to: "gold", giftPoints: 20 } });
    expect(await balance(api, "mai")).toBe(175);
    // At Gold, 25% more stars: 40 + 10.
    clock.set("2026-03-20T03:00:00Z");
    const gold = await send(api, order("mai", 400_000));
    expect(gold.pointsEarned).toBe(50);
    expect(gold.tier).toBeUndefined();
    expect(await balance(api, "mai")).toBe(225);

    // Gold's standing 5% off, stacked as its own campaign; the preview counts the bonus (9 + 2).
    const cart = await api.call("POST", "/v1/carts/evaluate", { customerId: "mai", lines: [{ sku: "LATTE", quantity: 1, unitPrice: 100_000 }] });
    expect(cart.status, JSON.stringify(cart.body)).toBe(200);
    expect(cart.body).toMatchObject({ subtotal: 100_000, discount: 5_000, total: 95_000, points: { total: 11 } });
    expect(cart.body.applied.map((a: { campaignId: string }) => a.campaignId)).toEqual(["tier:gold"]);

    let t = await tier(api, "mai");
    expect(t.tier).toMatchObject({ key: "gold", source: "earned", reviewAt: "2026-12-31T17:00:00.000Z", reviewTakesEffectAt: "2027-01-30T17:00:00.000Z" });
    expect(t.progress).toMatchObject({ metric: 200, keep: { remaining: 0 }, next: null, message: "Gold is kept until 31 December 2027." });
    expect(t.history.map((h: { kind: string; to: string }) => `${h.kind}:${h.to}`)).toEqual(["upgrade:gold", "upgrade:green"]);

    // 1 January 2027 01:00 local is still 31 December in UTC: the order counts for 2027, not 2026.
    clock.set("2026-12-31T18:00:00Z");
    expect((await send(api, order("mai", 100_000))).pointsEarned).toBe(12);
    t = await tier(api, "mai");
    expect(t.progress.metric).toBe(12);
    // Past the period's end, inside grace: keeping Gold now takes 138 more stars by 30 January.
    expect(t.progress.keep).toMatchObject({ remaining: 138, by: "2027-01-30T17:00:00.000Z" });
    expect(t.progress.message).toBe("Earn 138 more Stars by 30 January 2027 to keep Gold.");

    // A minute before grace ends, nothing is due; at the end of grace, 2026's 200 stars renew Gold for 2027.
    clock.set("2027-01-30T16:59:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 0, downgraded: 0 });
    clock.set("2027-01-30T17:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 1, downgraded: 0 });
    t = await tier(api, "mai");
    expect(t.tier).toMatchObject({ key: "gold", reviewAt: "2027-12-31T17:00:00.000Z" });
    expect(t.progress.keep).toMatchObject({ remaining: 138, by: "2027-12-31T17:00:00.000Z" });
    expect(t.progress.message).toBe("Earn 138 more Stars by 31 December 2027 to keep Gold.");

    // 2027 ends with 12 + 37 = 49 stars earned: below Green even. Grace runs to 30 January 2028; then
    // down one level only, to Green, reviewed again at the end of 2028.
    clock.set("2027-06-02T03:00:00Z");
    expect((await send(api, order("mai", 300_000))).pointsEarned).toBe(37);
    clock.set("2028-01-15T03:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body.reviewed).toBe(0);
    expect((await tier(api, "mai")).tier.key).toBe("gold");
    clock.set("2028-02-01T00:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 1, downgraded: 1 });
    t = await tier(api, "mai");
    expect(t.tier).toMatchObject({ key: "green", since: "2028-01-30T17:00:00.000Z", reviewAt: "2028-12-31T17:00:00.000Z" });
    expect(t.history[0]).toMatchObject({ kind: "downgrade", from: "gold", to: "green", metric: 49, occurredAt: "2028-01-30T17:00:00.000Z" });
    // No more Gold bonus: 10 stars for 100,000.
    expect((await send(api, order("mai", 100_000))).pointsEarned).toBe(10);
    // Reaching Gold again gives no second entry gift.
    clock.set("2028-03-15T03:00:00Z");
    expect(await send(api, order("mai", 700_000))).toMatchObject({ pointsEarned: 140, tier: { from: "green", to: "gold" } });
    expect((await send(api, order("mai", 0 + 10_000))).tier).toBeUndefined();
    const feed = await api.call("GET", "/v1/tier-changes?customerId=mai");
    expect(feed.body.data.map((c: { kind: string; to: string }) => `${c.kind}:${c.to}`)).toEqual(["upgrade:green", "upgrade:gold", "renewal:gold", "downgrade:green", "upgrade:gold"]);
    await api.close();
  });

  it("keeps the level of a customer who qualifies again during grace, and takes it away at once without one_level", async () => {
    const clock = new FakeClock(new Date("2026-06-01T03:00:00Z"));
    const api = await cafe(clock);
    expect((await api.call("PUT", "/v1/tiers", { tiers: { ...LEVELS, downgrade: "to_qualified" } })).status).toBe(200);
    await send(api, order("an", 1_500_000)); // 150 stars: Gold for 2026, renewed for 2027
    await send(api, order("binh", 1_500_000));
    clock.set("2027-02-01T00:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 2, downgraded: 0 });
    // Neither earns a star in 2027. During grace, an earns 150 + 37 (Gold's bonus) in 2028 and keeps Gold.
    clock.set("2028-01-10T03:00:00Z");
    expect((await send(api, order("an", 1_500_000))).pointsEarned).toBe(187);
    clock.set("2028-02-01T00:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 2, downgraded: 1 });
    expect((await tier(api, "an")).tier).toMatchObject({ key: "gold", reviewAt: "2028-12-31T17:00:00.000Z" });
    // binh qualified for nothing and, without one_level, loses the tier altogether.
    const b = await tier(api, "binh");
    expect(b.tier).toBeNull();
    expect(b.history[0]).toMatchObject({ kind: "downgrade", from: "gold", to: null, metric: 0 });
    await api.close();
  });
});

describe("a review that runs periods late", () => {
  it("judges the level once, on the last period that ended, not once per missed period", async () => {
    // Gold in March 2026, no star after. The review job does not run until February 2029: two whole
    // periods (2027, 2028) ended with their reviews due. One review, as of now: 2028 is judged, and
    // one_level drops Gold to Green, once; Green then holds to the end of 2029.
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await cafe(clock);
    expect((await api.call("PUT", "/v1/tiers", { tiers: LEVELS })).status).toBe(200);
    await send(api, order("vy", 2_000_000));
    expect((await tier(api, "vy")).tier).toMatchObject({ key: "gold", reviewAt: "2026-12-31T17:00:00.000Z" });
    clock.set("2029-02-01T00:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 1, downgraded: 1 });
    const t = await tier(api, "vy");
    expect(t.tier).toMatchObject({ key: "green", since: "2029-01-30T17:00:00.000Z", reviewAt: "2029-12-31T17:00:00.000Z" });
    expect(t.history.map((h: { kind: string; to: string | null; occurredAt: string }) => [h.kind, h.to, h.occurredAt])).toEqual([
      ["downgrade", "green", "2029-01-30T17:00:00.000Z"],
      ["upgrade", "gold", "2026-03-10T03:00:00.000Z"],
    ]);
    // Nothing more is due until the end of 2029's grace.
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 0, downgraded: 0 });
    await api.close();
  });

  it("keeps the level of a customer who qualified in the last period that ended, whatever came before", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await cafe(clock);
    expect((await api.call("PUT", "/v1/tiers", { tiers: LEVELS })).status).toBe(200);
    await send(api, order("tam", 2_000_000)); // Gold in 2026, nothing in 2027
    clock.set("2028-05-10T03:00:00Z");
    await send(api, order("tam", 1_500_000)); // Gold's stars again in 2028
    clock.set("2029-02-01T00:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 1, downgraded: 0 });
    expect((await tier(api, "tam")).tier).toMatchObject({ key: "gold", since: "2026-03-10T03:00:00.000Z", reviewAt: "2029-12-31T17:00:00.000Z" });
    expect((await tier(api, "tam")).history[0]).toMatchObject({ kind: "renewal", to: "gold", occurredAt: "2029-01-30T17:00:00.000Z" });
    await api.close();
  });
});

describe("tier management", () => {
  const SPEND = {
    basis: "spend", window: "rolling_12_months", graceDays: 0, downgrade: "to_qualified",
    levels: [{ key: "silver", name: "Silver", threshold: 1_000_000, benefits: {} }, { key: "gold", name: "Gold", threshold: 3_000_000, benefits: { entryPoints: 100 } }],
  };

  it("refuses bad schemes with the field, and levels customers hold", async () => {
    const api = await cafe(new FakeClock(new Date("2026-03-10T03:00:00Z")));
    expect((await api.call("GET", "/v1/tiers")).body).toEqual({ tiers: null });
    expect((await api.call("GET", "/v1/customers/x/tier")).body.code).toBe("TIERS_NOT_CONFIGURED");
    const down = await api.call("PUT", "/v1/tiers", { tiers: { ...SPEND, levels: [SPEND.levels[1], SPEND.levels[0]] } });
    expect(down.status).toBe(422);
    expect(down.body).toMatchObject({ code: "TIERS_INVALID", details: { field: "levels[1].threshold" } });
    expect((await api.call("PUT", "/v1/tiers", { tiers: { ...SPEND, basis: "likes" } })).status).toBe(400);
    expect((await api.call("PUT", "/v1/tiers", { tiers: SPEND })).status).toBe(200);
    await send(api, order("hoa", 1_200_000));
    const removing = await api.call("PUT", "/v1/tiers", { tiers: { ...SPEND, levels: [SPEND.levels[1]] } });
    expect(removing.status).toBe(422);
    expect(removing.body.details.levelsInUse).toEqual([{ key: "silver", customers: 1 }]);
    // The publishable key can read the levels (the program page shows them), nothing else.
    const pk = await api.call("GET", "/v1/tiers", undefined, { authorization: `Bearer ${api.publishableKey}` });
    expect(pk.status).toBe(200);
    expect(pk.body.tiers.levels.map((l: { key: string }) => l.key)).toEqual(["silver", "gold"]);
    expect((await api.call("GET", "/v1/customers/hoa/tier", undefined, { authorization: `Bearer ${api.publishableKey}` })).status).toBe(403);
    await api.close();
  });

  it("measures spend over the last twelve months and holds rolling status twelve months from when it was earned", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await cafe(clock);
    await api.call("PUT", "/v1/tiers", { tiers: SPEND });
    expect(await send(api, order("hoa", 1_200_000))).toMatchObject({ tier: { to: "silver" } });
    let t = await tier(api, "hoa");
    // Earned 10 March 10:00 local: reviewed at local midnight starting 10 March 2027.
    expect(t.tier.reviewAt).toBe("2027-03-09T17:00:00.000Z");
    expect(t.progress).toMatchObject({ metric: 1_200_000, next: { key: "gold", remaining: 1_800_000, by: null } });
    expect(t.progress.message).toBe("Spend ₫1,800,000 more to reach Gold.");
    // The first review judges the twelve months before it, which hold the March order: renewed for twelve more.
    clock.set("2027-03-10T03:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 1, downgraded: 0 });
    expect((await tier(api, "hoa")).tier.reviewAt).toBe("2028-03-09T17:00:00.000Z");
    // With nothing in the twelve months after, Silver goes at the next review.
    clock.set("2028-03-10T03:00:00Z");
    expect((await api.call("POST", "/v1/tiers/reviews")).body).toEqual({ reviewed: 1, downgraded: 1 });
    t = await tier(api, "hoa");
    expect(t.tier).toBeNull();
    expect(t.progress.metric).toBe(0);
    await api.close();
  });

  it("sets a tier by hand with a reason, gives the entry points once, and imports tiers without gifts", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await cafe(clock);
    await api.call("PUT", "/v1/tiers", { tiers: SPEND });
    await send(api, order("lan", 10_000));
    expect((await api.call("PUT", "/v1/customers/lan/tier", { tier: "platinum", reason: "x" })).body.code).toBe("TIER_NOT_FOUND");
    expect((await api.call("PUT", "/v1/customers/nobody/tier", { tier: "gold", reason: "x" })).body.code).toBe("CUSTOMER_NOT_FOUND");
    const set = await api.call("PUT", "/v1/customers/lan/tier", { tier: "gold", reason: "Goodwill after a late delivery", reviewAt: null }, { "idempotency-key": "set-lan" });
    expect(set.body).toEqual({ from: null, to: "gold", giftPoints: 100 });
    // The same request again replays; it gives nothing twice.
    const again = await api.call("PUT", "/v1/customers/lan/tier", { tier: "gold", reason: "Goodwill after a late delivery", reviewAt: null }, { "idempotency-key": "set-lan" });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await api.call("GET", "/v1/customers/lan/balances")).body.available).toBe(101);
    const t = await tier(api, "lan");
    expect(t.tier).toMatchObject({ key: "gold", source: "manual", reason: "Goodwill after a late delivery", reviewAt: null });
    expect(t.history[0]).toMatchObject({ kind: "manual", from: null, to: "gold", reason: "Goodwill after a late delivery" });
    // Down and up again by hand: the Gold entry points were given already.
    await api.call("PUT", "/v1/customers/lan/tier", { tier: "silver", reason: "correction" });
    expect((await api.call("PUT", "/v1/customers/lan/tier", { tier: "gold", reason: "back" })).body.giftPoints).toBe(0);

    const bad = await api.call("POST", "/v1/tiers/import", { customers: [{ customerId: "new-1", tier: "gold" }, { customerId: "new-2", tier: "diamond" }] });
    expect(bad.body).toMatchObject({ code: "TIER_NOT_FOUND", details: { row: 1 } });
    expect((await api.call("GET", "/v1/customers/new-1")).status).toBe(404); // all or none
    // Ids no other endpoint takes (a space, "..") are refused before anything is imported.
    const odd = await api.call("POST", "/v1/tiers/import", { customers: [{ customerId: "new-1", tier: "gold" }, { customerId: "x y", tier: "gold" }, { customerId: "..", tier: "gold" }] });
    expect(odd.status).toBe(400);
    expect(odd.body.details.issues.map((i: { path: string }) => i.path)).toEqual(["customers.1.customerId", "customers.2.customerId"]);
    expect((await api.call("GET", "/v1/customers/new-1")).status).toBe(404);
    const imported = await api.call("POST", "/v1/tiers/import", { customers: [{ customerId: "new-1", tier: "gold", since: "2025-05-01T00:00:00Z" }, { customerId: "new-2", tier: "silver" }] });
    expect(imported.body).toEqual({ imported: 2 });
    expect((await tier(api, "new-1")).tier).toMatchObject({ key: "gold", source: "import", since: "2025-05-01T00:00:00.000Z" });
    expect((await api.call("GET", "/v1/customers/new-1/balances")).body.available).toBe(0);
    const feed = await api.call("GET", "/v1/tier-changes?limit=2");
    expect(feed.body.data).toHaveLength(2);
    const rest = await api.call("GET", `/v1/tier-changes?limit=50&cursor=${feed.body.nextCursor}`);
    expect([...feed.body.data, ...rest.body.data].map((c: { kind: string }) => c.kind)).toEqual(["manual", "manual", "manual", "import", "import"]);
    expect((await api.call("GET", "/v1/tier-changes?cursor=bogus")).body.code).toBe("INVALID_CURSOR");
    await api.close();
  });

  it("refuses tier dates before the year 1000, which the drivers read back as 19xx or 20xx", async () => {
    const api = await cafe(new FakeClock(new Date("2026-03-10T03:00:00Z")));
    await api.call("PUT", "/v1/tiers", { tiers: SPEND });
    await send(api, order("mai", 10_000));
    // Were stored, then read as held until 1950 and since 1999.
    const held = await api.call("PUT", "/v1/customers/mai/tier", { tier: "gold", reason: "x", reviewAt: "0050-06-01T00:00:00Z" });
    expect(held.status).toBe(400);
    expect(held.body).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "reviewAt", message: "a date between the years 1000 and 9999" }] } });
    const since = await api.call("POST", "/v1/tiers/import", { customers: [{ customerId: "mai", tier: "gold", since: "0099-01-01T00:00:00Z" }] });
    expect(since.status).toBe(400);
    expect((await tier(api, "mai")).tier).toBeNull();
    // The earliest accepted year reads back as written.
    expect((await api.call("POST", "/v1/tiers/import", { customers: [{ customerId: "mai", tier: "gold", since: "1000-01-01T00:00:00Z", reviewAt: "9999-12-31T00:00:00Z" }] })).status).toBe(200);
    expect((await tier(api, "mai")).tier).toMatchObject({ since: "1000-01-01T00:00:00.000Z", reviewAt: "9999-12-31T00:00:00.000Z" });
    await api.close();
  });

  it("opens campaigns to a level only, through customer.tier in the audience", async () => {
    const api = await cafe(new FakeClock(new Date("2026-03-10T03:00:00Z")));
    await api.call("PUT", "/v1/tiers", { tiers: SPEND });
    await send(api, order("vip", 3_000_000));
    await send(api, order("regular", 1_000_000));
    const r = await api.call("POST", "/v1/campaigns", { name: "Gold night", kind: "code", code: "GOLDNIGHT", audience: "customer.tier == 'gold'", effects: [{ kind: "order_percent", percent: 20 }], stacking: "stackable", priority: 10 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const cart = (c: string) => api.call("POST", "/v1/carts/evaluate", { customerId: c, codes: ["GOLDNIGHT"], lines: [{ sku: "LATTE", quantity: 1, unitPrice: 100_000 }] });
    expect((await cart("vip")).body.discount).toBe(20_000);
    const refused = await cart("regular");
    expect(refused.body.discount).toBe(0);
    expect(refused.body.refused[0]).toMatchObject({ reason: "CONDITION_NOT_MET", condition: { kind: "audience" } });
    await api.close();
  });
});

describe("tiers by referrals", () => {
  it("a referrer goes up at the conversion that reaches the level (on orders and on signups), and a refund lowers the count, not the tier", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await cafe(clock);
    const pin = (await api.call("POST", "/v1/rewards", { name: "Ambassador pin", kind: "physical_gift", cost: 100 })).body.id as string;
    const scheme = { basis: "referrals", window: "calendar_year", graceDays: 0, downgrade: "to_qualified", levels: [{ key: "ambassador", name: "Ambassador", threshold: 2, benefits: { entryPoints: 50, entryReward: pin } }] };
    expect((await api.call("PUT", "/v1/tiers", { tiers: scheme })).status).toBe(200);
    const settings = (on: string) => ({ enabled: true, attributionDays: 30, friend: { campaignId: null, validDays: 30, points: 0 }, referrer: { on, holdDays: 14, reward: { points: 100 }, ladder: [] }, caps: [], holdSuspicious: true });
    expect((await api.call("PUT", "/v1/referrals", { settings: settings("first_order"), landingUrl: null })).status).toBe(200);
    await api.call("PUT", "/v1/customers/anna", { email: "anna@example.vn" });
    const code = (await api.call("GET", "/v1/customers/anna/referral")).body.code as string;
    for (const f of ["binh", "chi"]) expect((await api.call("POST", "/v1/referrals", { friendId: f, code })).body.status).toBe("attributed");

    const first = await send(api, order("binh", 120_000));
    expect(first.referral.reward).toMatchObject({ sequence: 1 });
    expect(first.referrerTier).toBeUndefined();
    expect((await tier(api, "anna")).progress).toMatchObject({ metric: 1, next: { key: "ambassador", remaining: 1 }, message: expect.stringContaining("Refer 1 more friend") });
    const second = await send(api, order("chi", 80_000));
    expect(second.referrerTier).toEqual({ customerId: "anna", from: null, to: "ambassador", kind: "upgrade", giftPoints: 50, giftReward: { rewardId: pin, redemptionId: expect.any(String), code: null } });
    expect((await api.call("GET", "/v1/customers/anna/redemptions")).body.data).toMatchObject([{ rewardId: pin, points: 0, fulfilment: "pending" }]);
    expect(await balance(api, "anna")).toBe(50); // the gift; the referral rewards are pending
    expect((await tier(api, "anna")).tier).toMatchObject({ key: "ambassador" });

    // Chi's order refunded within the hold: the conversion is cancelled, the count drops, the tier stays until a review.
    const back = await send(api, { id: "chi-r", type: "order.refunded", customerId: "chi", data: { orderId: `o-${n}`, refundId: "chi-r" } });
    expect(back.referralRewardsCancelled).toBe(1);
    expect((await tier(api, "anna")).progress.metric).toBe(1);
    expect((await tier(api, "anna")).tier).toMatchObject({ key: "ambassador" });

    // Conversions at signup count too: the referrer goes up in the attribution itself.
    expect((await api.call("PUT", "/v1/referrals", { settings: settings("signup"), landingUrl: null })).status).toBe(200);
    await api.call("PUT", "/v1/customers/lan", {});
    const lanCode = (await api.call("GET", "/v1/customers/lan/referral")).body.code as string;
    expect((await api.call("POST", "/v1/referrals", { friendId: "minh", code: lanCode })).body.referrerTier).toBeUndefined();
    const up = await send(api, { id: "s-nga", type: "customer.signed_up", customerId: "nga", data: { referral: { code: lanCode } } });
    expect(up.attribution.referrerTier).toMatchObject({ from: null, to: "ambassador", kind: "upgrade", giftPoints: 50, giftReward: { rewardId: pin } });
    expect((await api.call("GET", "/v1/customers/lan/redemptions")).body.data).toMatchObject([{ rewardId: pin, points: 0 }]);
    expect((await tier(api, "lan")).tier).toMatchObject({ key: "ambassador" });
  });
});
