import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";
import type { Database } from "../src/db/connect.ts";

// The PRODUCT.md promotion stories, configured through the API and priced through POST /v1/carts/*.
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});

async function campaign(api: TestApi, body: Record<string, unknown>) {
  const r = await api.call("POST", "/v1/campaigns", { stacking: "stackable", priority: 10, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string };
}

const line = (sku: string, unitPrice: number, quantity = 1, extra: Record<string, unknown> = {}) => ({ sku, unitPrice, quantity, ...extra });

describe("story 1: a reusable code, 10% off orders from 1,000 RUB, up to 3 times per customer", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "RUB", timeZone: "Europe/Moscow" } });
    await campaign(api, { name: "Ten off", kind: "code", code: "SHOP10", condition: "cart.subtotal >= 100000", effects: [{ kind: "order_percent", percent: 10 }], limits: { perCustomer: { max: 3, per: "lifetime" } } });
    await api.call("PUT", "/v1/customers/anna", { email: "Anna@Example.com" });
  });

  it("takes 10% off an order of 1,500 RUB and refuses an order of 999.99 RUB with the cart condition", async () => {
    const yes = await api.call("POST", "/v1/carts/evaluate", { customerId: "anna", lines: [line("dress", 150000)], codes: ["shop10"] });
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({ subtotal: 150000, discount: 15000, total: 135000, refused: [] });
    expect(yes.body.applied[0]).toMatchObject({ code: "SHOP10", discount: 15000 });
    const no = await api.call("POST", "/v1/carts/evaluate", { customerId: "anna", lines: [line("scarf", 99999)], codes: ["SHOP10"] });
    expect(no.body.discount).toBe(0);
    expect(no.body.refused).toEqual([expect.objectContaining({ code: "SHOP10", reason: "CONDITION_NOT_MET", condition: { kind: "cart", part: "cart.subtotal >= 100000" } })]);
  });

  it("the fourth use by the same customer is CUSTOMER_LIMIT_REACHED, and a rollback gives one use back", async () => {
    for (let i = 1; i <= 3; i++) {
      const r = await api.call("POST", "/v1/carts/complete", { orderId: `s1-${i}`, customerId: "anna", lines: [line("dress", 150000)], codes: ["SHOP10"] });
      expect(r.status).toBe(200);
      expect(r.body.redemptions).toHaveLength(1);
    }
    const fourth = await api.call("POST", "/v1/carts/evaluate", { customerId: "anna", lines: [line("dress", 150000)], codes: ["SHOP10"] });
    expect(fourth.body.refused[0]).toMatchObject({ reason: "CUSTOMER_LIMIT_REACHED" });
    // The same person as a guest with her email is the same customer for the limit.
    const guest = await api.call("POST", "/v1/carts/evaluate", { email: " anna@example.COM ", lines: [line("dress", 150000)], codes: ["SHOP10"] });
    expect(guest.body.refused[0]).toMatchObject({ reason: "CUSTOMER_LIMIT_REACHED" });
    const rb = await api.call("POST", "/v1/carts/rollback", { orderId: "s1-2", reason: "cancelled" });
    expect(rb.body).toMatchObject({ effect: "rolled_back", status: "rolled_back" });
    const again = await api.call("POST", "/v1/carts/evaluate", { customerId: "anna", lines: [line("dress", 150000)], codes: ["SHOP10"] });
    expect(again.body.applied).toHaveLength(1);
  });

  it("a bulk code's campaign limits a customer per month: evaluation counts this month's use and not last month's", async () => {
    const clock = new FakeClock(new Date("2026-03-10T09:00:00Z"));
    const shop = await testApi({ database, clock, program: { currency: "RUB", timeZone: "Europe/Moscow" } });
    const pool = await campaign(shop, { name: "Monthly pool", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 5000 }], limits: { perCustomer: { max: 1, per: "month" } } });
    expect((await shop.call("POST", `/v1/campaigns/${pool.id}/codes`, { codes: ["MAR-1", "MAR-2", "APR-1"] })).body.added).toBe(3);
    await shop.call("PUT", "/v1/customers/vera", { email: "vera@example.com" });
    const used = await shop.call("POST", "/v1/carts/complete", { orderId: "m-1", customerId: "vera", lines: [line("dress", 150000)], codes: ["MAR-1"] });
    expect(used.body.redemptions).toHaveLength(1);
    const again = await shop.call("POST", "/v1/carts/evaluate", { customerId: "vera", lines: [line("dress", 150000)], codes: ["MAR-2"] });
    expect(again.body.refused[0]).toMatchObject({ code: "MAR2", reason: "CUSTOMER_LIMIT_REACHED" });
    // Another member is not limited by Vera's use; next month Vera is not either.
    await shop.call("PUT", "/v1/customers/olga", {});
    expect((await shop.call("POST", "/v1/carts/evaluate", { customerId: "olga", lines: [line("dress", 150000)], codes: ["MAR-2"] })).body.applied).toHaveLength(1);
    clock.set(new Date("2026-04-02T09:00:00Z"));
    const april = await shop.call("POST", "/v1/carts/evaluate", { customerId: "vera", lines: [line("dress", 150000)], codes: ["APR-1"] });
    expect(april.body).toMatchObject({ discount: 5000, refused: [] });
  });

  it("a checkout that names no customer (no id, email or phone) cannot use a campaign limited per customer: CUSTOMER_LIMIT_REACHED, nothing recorded", async () => {
    const cart = { lines: [line("dress", 150000)], codes: ["SHOP10"] };
    const ev = await api.call("POST", "/v1/carts/evaluate", cart);
    expect(ev.body.discount).toBe(0);
    expect(ev.body.refused).toEqual([expect.objectContaining({ code: "SHOP10", reason: "CUSTOMER_LIMIT_REACHED", message: expect.stringContaining("send the customer's id, email or phone") })]);
    // Anonymous completions were each given the code before: the limit counted no one.
    for (let i = 1; i <= 4; i++) {
      const done = await api.call("POST", "/v1/carts/complete", { ...cart, orderId: `anon-${i}` });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ discount: 0, redemptions: [] });
    }
    // An unknown member id is a guest: with an email the limit counts her; with nothing it cannot.
    expect((await api.call("POST", "/v1/carts/evaluate", { ...cart, customerId: "nobody-yet" })).body.refused[0]).toMatchObject({ reason: "CUSTOMER_LIMIT_REACHED" });
    expect((await api.call("POST", "/v1/carts/evaluate", { ...cart, email: "new@example.com" })).body).toMatchObject({ discount: 15000, refused: [] });
    expect((await api.call("POST", "/v1/carts/evaluate", { ...cart, phone: "not a phone" })).body.refused[0]).toMatchObject({ reason: "CUSTOMER_LIMIT_REACHED" });
  });

  it("completing the same order again returns the first result; another cart for it is ORDER_CONFLICT", async () => {
    const body = { orderId: "s1-r", customerId: "bob", email: "bob@example.com", lines: [line("dress", 200000)], codes: ["SHOP10"] };
    const first = await api.call("POST", "/v1/carts/complete", body);
    const second = await api.call("POST", "/v1/carts/complete", body);
    expect(second.body.redemptions).toEqual(first.body.redemptions);
    expect(second.body.discount).toBe(20000);
    const other = await api.call("POST", "/v1/carts/complete", { ...body, lines: [line("dress", 300000)] });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("ORDER_CONFLICT");
  });

  it("a completion whose cart no longer prices as the customer saw it records nothing (CART_TOTAL_CHANGED)", async () => {
    await api.call("PUT", "/v1/customers/cleo", {});
    for (let i = 1; i <= 3; i++) await api.call("POST", "/v1/carts/complete", { orderId: `cleo-${i}`, customerId: "cleo", lines: [line("dress", 150000)], codes: ["SHOP10"] });
    const r = await api.call("POST", "/v1/carts/complete", { orderId: "cleo-4", customerId: "cleo", lines: [line("dress", 150000)], codes: ["SHOP10"], expectedTotal: 135000 });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: "CART_TOTAL_CHANGED", details: { expected: 135000, total: 150000 } });
    expect(r.body.details.refused[0].reason).toBe("CUSTOMER_LIMIT_REACHED");
    // Nothing was recorded: the same order id completes at the new price.
    const ok = await api.call("POST", "/v1/carts/complete", { orderId: "cleo-4", customerId: "cleo", lines: [line("dress", 150000)], codes: ["SHOP10"], expectedTotal: 150000 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ total: 150000, redemptions: [] });
  });

  it("a client cannot send its own discount or total", async () => {
    const r = await api.call("POST", "/v1/carts/evaluate", { customerId: "anna", lines: [{ ...line("dress", 150000), discount: 150000 }] });
    expect(r.status).toBe(400);
    const t = await api.call("POST", "/v1/carts/evaluate", { customerId: "anna", lines: [line("dress", 150000)], total: 1 });
    expect(t.status).toBe(400);
  });

  it("a cart whose lines and shipping add up past 10^12 minor units is VALIDATION_FAILED, not a 500 (each line alone is within bounds)", async () => {
    const huge = [line("a", 1_000_000_000_000, 10_000)];
    const many = Array.from({ length: 200 }, (_, i) => line(`s${i}`, 999_999_999_999, 10_000));
    for (const [path, body] of [
      ["/v1/carts/evaluate", { lines: huge }],
      ["/v1/carts/evaluate", { customerId: "anna", lines: many, codes: ["SHOP10"] }],
      ["/v1/codes/validate", { code: "ANY", cart: { lines: huge } }],
      // Lines within the bound, and shipping past it: the total would be no amount.
      ["/v1/carts/evaluate", { lines: [line("a", 100_000_000, 10_000)], shipping: 1 }],
      ["/v1/carts/reserve", { lines: [line("a", 100_000_000, 10_000)], shipping: 1, sessionId: "big" }],
      ["/v1/carts/complete", { lines: [line("a", 100_000_000, 10_000)], shipping: 1, orderId: "big" }],
    ] as const) {
      const r = await api.call("POST", path, body);
      expect(r.status, path).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
      expect(JSON.stringify(r.body.details)).toContain("add up to at most");
    }
    // At the bound itself it prices, and completes with the total it was shown.
    const cart = { lines: [line("a", 99_999_999, 10_000)], shipping: 10_000 };
    const edge = await api.call("POST", "/v1/carts/evaluate", cart);
    expect(edge.status).toBe(200);
    expect(edge.body.total).toBe(1_000_000_000_000);
    const done = await api.call("POST", "/v1/carts/complete", { ...cart, orderId: "edge-1", expectedTotal: edge.body.total });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.total).toBe(1_000_000_000_000);
  });

  it("a cart of more than 10,000 units in all is VALIDATION_FAILED on every cart endpoint; 10,000 prices", async () => {
    const lines = (q: number) => Array.from({ length: 200 }, (_, i) => line(`s${i}`, 100, q));
    const over = [...lines(50).slice(1), line("s0", 100, 51)];
    for (const [path, body] of [
      ["/v1/carts/evaluate", { lines: over }],
      ["/v1/carts/reserve", { lines: over, sessionId: "units" }],
      ["/v1/carts/complete", { lines: over, orderId: "units" }],
    ] as const) {
      const r = await api.call("POST", path, body);
      expect(r.status, path).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
      expect(r.body.message).toContain("at most 10000 units");
    }
    const atMax = await api.call("POST", "/v1/carts/evaluate", { lines: lines(50), trace: false });
    expect(atMax.status).toBe(200);
    expect(atMax.body.subtotal).toBe(200 * 100 * 50);
  });
});

describe("story 2: a flower chain, 15% off a second purchase within 7 days of the first", () => {
  let api: TestApi;
  const clock = new FakeClock(new Date("2026-03-01T09:00:00Z"));
  beforeAll(async () => {
    api = await testApi({ database, clock, program: { currency: "VND", timeZone: "Asia/Ho_Chi_Minh" } });
    await campaign(api, {
      name: "Come back within a week", kind: "automatic",
      audience: "customer.metrics.lifetimeOrders == 1 && customer.metrics.daysSinceFirstOrder <= 7", effects: [{ kind: "order_percent", percent: 15 }],
    });
  });

  it("a first order gets nothing; the second, 3 days later, gets 15%; on day 8 it is over", async () => {
    const first = await api.call("POST", "/v1/carts/evaluate", { customerId: "linh", lines: [line("roses", 300000)] });
    expect(first.body.discount).toBe(0);
    expect(first.body.trace.join("\n")).toContain("audience condition is not met");
    await api.call("POST", "/v1/events", { id: "o1", type: "order.completed", customerId: "linh", data: { orderId: "o1", currency: "VND", lines: [line("roses", 300000)] } });
    clock.advanceDays(3);
    const second = await api.call("POST", "/v1/carts/evaluate", { customerId: "linh", lines: [line("tulips", 200000)] });
    expect(second.body).toMatchObject({ discount: 30000, total: 170000 });
    clock.advanceDays(5);
    const late = await api.call("POST", "/v1/carts/evaluate", { customerId: "linh", lines: [line("tulips", 200000)] });
    expect(late.body.discount).toBe(0);
  });
});

describe("story 3: a café's coffee + juice combo, and a bag of coffee for orders of 1.2 kg", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "VND", timeZone: "Asia/Ho_Chi_Minh" } });
    await campaign(api, { name: "Combo", kind: "automatic", effects: [{ kind: "bundle", items: [{ filter: { skus: ["coffee"] }, quantity: 1 }, { filter: { skus: ["juice"] }, quantity: 1 }], price: 60000 }] });
    await campaign(api, { name: "Coffee bag", kind: "automatic", condition: "cart.weight >= 1200", effects: [{ kind: "gift", sku: "bag-250g", name: "Bag of coffee", quantity: 1 }] });
  });

  it("coffee 45,000 + juice 35,000 cost 60,000 together; two pairs cost 120,000; a lone coffee costs 45,000", async () => {
    const one = await api.call("POST", "/v1/carts/evaluate", { lines: [line("coffee", 45000), line("juice", 35000)] });
    expect(one.body).toMatchObject({ subtotal: 80000, discount: 20000, total: 60000 });
    expect(one.body.lines.map((l: { discount: number }) => l.discount)).toEqual([11250, 8750]);
    const two = await api.call("POST", "/v1/carts/evaluate", { lines: [line("coffee", 45000, 2), line("juice", 35000, 3)] });
    expect(two.body.total).toBe(120000 + 35000);
    const lone = await api.call("POST", "/v1/carts/evaluate", { lines: [line("coffee", 45000)] });
    expect(lone.body).toMatchObject({ discount: 0, total: 45000, applied: [] });
  });

  it("1,200 g gets the bag as a gift line; 1,199 g does not", async () => {
    const heavy = await api.call("POST", "/v1/carts/evaluate", { lines: [line("beans-1kg", 400000, 1, { weight: 1000 }), line("cookies", 50000, 1, { weight: 200 })] });
    expect(heavy.body.gifts).toEqual([expect.objectContaining({ sku: "bag-250g", name: "Bag of coffee", quantity: 1 })]);
    const light = await api.call("POST", "/v1/carts/evaluate", { lines: [line("beans-1kg", 400000, 1, { weight: 1000 }), line("cookies", 50000, 1, { weight: 199 })] });
    expect(light.body.gifts).toEqual([]);
  });
});

describe("story 6: a perfume retailer's Black Friday, for loyalty members only", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "EUR", timeZone: "Europe/Paris" } });
    await campaign(api, { name: "Black Friday", kind: "code", code: "BF2026", audience: "isMember()", effects: [{ kind: "order_percent", percent: 20, max: 5000 }] });
    await api.call("PUT", "/v1/customers/member-1", {});
  });

  it("a member gets 20% (at most 50 EUR); a guest is refused on the audience", async () => {
    const m = await api.call("POST", "/v1/carts/evaluate", { customerId: "member-1", lines: [line("eau", 12000)], codes: ["bf2026"] });
    expect(m.body.discount).toBe(2400);
    const big = await api.call("POST", "/v1/carts/evaluate", { customerId: "member-1", lines: [line("eau", 40000)], codes: ["BF2026"] });
    expect(big.body.discount).toBe(5000);
    const g = await api.call("POST", "/v1/carts/evaluate", { email: "someone@example.com", lines: [line("eau", 12000)], codes: ["BF2026"] });
    expect(g.body.refused[0]).toMatchObject({ reason: "CONDITION_NOT_MET", condition: { kind: "audience", part: "isMember()" } });
  });
});

describe("segment offers: automatic campaigns for a tag or for members (the audience index)", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "EUR", timeZone: "Europe/Paris" } });
    await campaign(api, { name: "Students", kind: "automatic", audience: 'hasTag("student")', effects: [{ kind: "order_percent", percent: 10 }] });
    await campaign(api, { name: "Members", kind: "automatic", audience: "isMember()", effects: [{ kind: "order_fixed", amount: 100 }] });
    await campaign(api, { name: "Regulars", kind: "automatic", audience: "customer.metrics.lifetimeOrders >= 3", effects: [{ kind: "order_fixed", amount: 50 }] });
    await api.call("PUT", "/v1/customers/sam", { tags: ["student"] });
    await api.call("PUT", "/v1/customers/kim", {});
  });

  it("each customer gets the offers for them; the others are left out unevaluated and the trace counts them", async () => {
    const guest = await api.call("POST", "/v1/carts/evaluate", { email: "g@example.com", lines: [line("book", 10000)] });
    expect(guest.body.discount).toBe(0);
    expect(guest.body.trace.join("\n")).toContain("2 automatic campaign(s) for other customers");
    // The audience that is not a tag, tier or membership is still evaluated, and explained.
    expect(guest.body.trace.join("\n")).toContain("Regulars");
    const kim = await api.call("POST", "/v1/carts/evaluate", { customerId: "kim", lines: [line("book", 10000)] });
    expect(kim.body.applied.map((a: { name: string }) => a.name)).toEqual(["Members"]);
    expect(kim.body.trace.join("\n")).toContain("1 automatic campaign(s) for other customers");
    const sam = await api.call("POST", "/v1/carts/evaluate", { customerId: "sam", lines: [line("book", 10000)] });
    expect(sam.body.applied.map((a: { name: string }) => a.name).sort()).toEqual(["Members", "Students"]);
    expect(sam.body.discount).toBe(1100); // 10% of 10,000, then 100 off
    expect(sam.body.trace.join("\n")).not.toContain("for other customers");
  });
});

describe("story 7: a coffee chain's discount for bringing your own cup (the till adds the staff-confirmed own-cup line)", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "VND", timeZone: "Asia/Ho_Chi_Minh" } });
    await campaign(api, { name: "Own cup", kind: "automatic", condition: 'hasSku("own-cup")', effects: [{ kind: "lines_fixed", amountPerUnit: 5000, filter: { categories: ["coffee"] }, cheapest: 1 }] });
  });

  it("5,000 off one coffee when the own-cup line is there, nothing without it", async () => {
    const cart = [line("latte", 55000, 2, { category: "coffee" }), line("croissant", 30000, 1, { category: "bakery" })];
    const withCup = await api.call("POST", "/v1/carts/evaluate", { lines: [...cart, line("own-cup", 0)] });
    expect(withCup.body).toMatchObject({ discount: 5000, total: 135000 });
    const without = await api.call("POST", "/v1/carts/evaluate", { lines: cart });
    expect(without.body.discount).toBe(0);
  });
});

describe("story 8: a travel agency gives a partner's sunscreen coupon, from an uploaded pool, with every tour sold", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "VND", timeZone: "Asia/Ho_Chi_Minh" } });
  });

  it("each completed tour order draws a different code; the pool running dry is said in the trace", async () => {
    const reward = await api.call("POST", "/v1/rewards", { name: "Sunscreen", kind: "partner_coupon", config: { partner: "SunCo" }, cost: 1 });
    await api.call("POST", `/v1/rewards/${reward.body.id}/codes`, { codes: ["SUN-001", "SUN-002"] });
    await campaign(api, { name: "Sunscreen with tours", kind: "automatic", condition: 'hasCategory("tour")', effects: [{ kind: "partner_code", rewardId: reward.body.id }] });
    const codes: string[] = [];
    for (const o of ["t1", "t2", "t3"]) {
      const r = await api.call("POST", "/v1/carts/complete", { orderId: o, customerId: `traveller-${o}`, lines: [line("halong-2d", 3_000_000, 1, { category: "tour" })] });
      expect(r.status).toBe(200);
      codes.push(...r.body.partnerCodes.map((p: { code: string }) => p.code));
      if (o === "t3") expect(r.body.trace.join("\n")).toContain("pool is empty");
    }
    expect(codes.sort()).toEqual(["SUN-001", "SUN-002"]);
  });
});

describe("story 10: a clothing store credits 10% of each purchase as a discount on the next within 3 months", () => {
  let api: TestApi;
  const clock = new FakeClock(new Date("2026-05-01T10:00:00Z"));
  beforeAll(async () => {
    api = await testApi({ database, clock, program: { currency: "RON", timeZone: "Europe/Bucharest" } });
  });

  it("an order of 500 RON issues a personal 50 RON code; it works once, for that customer, within 90 days", async () => {
    const next = await campaign(api, { name: "Next purchase credit", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 0 }] });
    await campaign(api, { name: "Credit 10% of every purchase", kind: "automatic", effects: [{ kind: "follow_up_code", campaignId: next.id, validDays: 90, percentOfOrder: 10 }] });
    await api.call("PUT", "/v1/customers/ioana", {});
    const done = await api.call("POST", "/v1/carts/complete", { orderId: "c-1", customerId: "ioana", lines: [line("coat", 50000)] });
    expect(done.body.followUpCodes).toEqual([expect.objectContaining({ campaignId: next.id, value: 5000 })]);
    const code = done.body.followUpCodes[0].code;
    const someoneElse = await api.call("POST", "/v1/carts/evaluate", { customerId: "mihai", lines: [line("shirt", 20000)], codes: [code] });
    expect(someoneElse.body.refused[0]).toMatchObject({ reason: "CODE_UNKNOWN" });
    const hers = await api.call("POST", "/v1/carts/evaluate", { customerId: "ioana", lines: [line("shirt", 20000)], codes: [code] });
    expect(hers.body.applied.find((a: { code: string }) => a.code === code)).toMatchObject({ discount: 5000 });
    clock.advanceDays(91);
    const late = await api.call("POST", "/v1/carts/evaluate", { customerId: "ioana", lines: [line("shirt", 20000)], codes: [code] });
    expect(late.body.refused[0]).toMatchObject({ reason: "CODE_EXPIRED" });
  });
});

describe("stacking, the margin guard, points and rollbacks through the API", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "USD", timeZone: "America/New_York" } });
    await api.call("PUT", "/v1/customers/sam", {});
  });

  it("an exclusive code worth more beats two stackable ones, and the losers say NOT_COMBINABLE; the order of the codes does not matter", async () => {
    await campaign(api, { name: "Five off", kind: "code", code: "FIVE", effects: [{ kind: "order_fixed", amount: 500 }] });
    await campaign(api, { name: "Ten pct", kind: "code", code: "TENPCT", effects: [{ kind: "order_percent", percent: 10 }] });
    await campaign(api, { name: "Big one", kind: "code", code: "BIG", stacking: "exclusive", effects: [{ kind: "order_percent", percent: 25 }] });
    const a = await api.call("POST", "/v1/carts/evaluate", { customerId: "sam", lines: [line("x", 10000)], codes: ["FIVE", "TENPCT", "BIG"] });
    const b = await api.call("POST", "/v1/carts/evaluate", { customerId: "sam", lines: [line("x", 10000)], codes: ["BIG", "TENPCT", "FIVE"] });
    expect(a.body.discount).toBe(2500);
    expect(a.body.refused.map((r: { code: string; reason: string }) => `${r.code}:${r.reason}`)).toEqual(["FIVE:NOT_COMBINABLE", "TENPCT:NOT_COMBINABLE"]);
    expect({ ...b.body, trace: [] }).toEqual({ ...a.body, trace: [] });
    const unknown = await api.call("POST", "/v1/carts/evaluate", { customerId: "sam", lines: [line("x", 10000)], codes: ["NOPE-NOPE"] });
    expect(unknown.body.refused[0]).toMatchObject({ code: "NOPENOPE", reason: "CODE_UNKNOWN" });
  });

  it("the program's margin guard caps stacked discounts at 30% of the subtotal", async () => {
    const p = await api.call("PATCH", "/v1/program", { marginGuard: { maxDiscountPercent: 30 } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    await campaign(api, { name: "Twenty auto", kind: "automatic", effects: [{ kind: "order_percent", percent: 20 }] });
    await campaign(api, { name: "Fifteen", kind: "code", code: "FIFTEEN", effects: [{ kind: "order_percent", percent: 15 }] });
    const r = await api.call("POST", "/v1/carts/evaluate", { customerId: "sam", lines: [line("x", 10000)], codes: ["FIFTEEN"] });
    expect(r.body.discount).toBe(3000);
    expect(r.body.trace.join("\n")).toContain("margin guard");
    await api.call("PATCH", "/v1/program", { marginGuard: null });
  });

  it("bonus points and a multiplier are credited on completion and taken back once on rollback", async () => {
    await campaign(api, { name: "Double points", kind: "code", code: "DOUBLE", effects: [{ kind: "points_multiplier", factor: 2 }, { kind: "bonus_points", points: 50 }] });
    const ev = await api.call("POST", "/v1/carts/evaluate", { customerId: "sam", lines: [line("y", 20000)], codes: ["DOUBLE"] });
    const earned = ev.body.points.rules;
    expect(earned).toBeGreaterThan(0);
    const done = await api.call("POST", "/v1/carts/complete", { orderId: "pts-1", customerId: "sam", lines: [line("y", 20000)], codes: ["DOUBLE"] });
    const double = done.body.applied.find((a: { code: string }) => a.code === "DOUBLE");
    expect(double.bonusPoints).toBe(earned + 50);
    const before = (await api.call("GET", "/v1/customers/sam/balances")).body.available;
    const [r1, r2] = await Promise.all([api.call("POST", "/v1/carts/rollback", { orderId: "pts-1" }), api.call("POST", "/v1/carts/rollback", { orderId: "pts-1" })]);
    expect([r1.body.effect, r2.body.effect].sort()).toEqual(["already_rolled_back", "rolled_back"]);
    const after = (await api.call("GET", "/v1/customers/sam/balances")).body.available;
    expect(before - after).toBe(earned + 50);
    expect((await api.call("POST", "/v1/carts/rollback", { orderId: "nope" })).body.code).toBe("ORDER_NOT_FOUND");
  });
});

describe("reservations and budgets", () => {
  it("a session's hold keeps what it would take of a money or points budget: another session is refused BUDGET_EXHAUSTED, and the holder completes at the price it was shown", async () => {
    const api = await testApi({ database });
    await campaign(api, { name: "Budget", kind: "code", code: "BUDG", effects: [{ kind: "order_fixed", amount: 800 }], limits: { budget: { money: 1000 } } });
    await campaign(api, { name: "Points", kind: "code", code: "PTS60", effects: [{ kind: "bonus_points", points: 60 }], limits: { budget: { points: 100 } } });
    for (const m of ["ann", "ben"]) await api.call("PUT", `/v1/customers/${m}`, {});
    const cart = { lines: [line("x", 5000)], codes: ["BUDG", "PTS60"] };
    const a = await api.call("POST", "/v1/carts/reserve", { ...cart, sessionId: "s-a", customerId: "ann" });
    expect(a.body).toMatchObject({ total: 4200, refused: [] });
    expect(a.body.reservations).toHaveLength(2);
    const b = await api.call("POST", "/v1/carts/reserve", { ...cart, sessionId: "s-b", customerId: "ben" });
    expect(b.body.total).toBe(5000);
    expect(b.body.reservations).toEqual([]);
    expect(b.body.refused.map((r: { code: string; reason: string }) => `${r.code}:${r.reason}`)).toEqual(["BUDG:BUDGET_EXHAUSTED", "PTS60:BUDGET_EXHAUSTED"]);
    // The holder's own hold does not count against it.
    const done = await api.call("POST", "/v1/carts/complete", { ...cart, sessionId: "s-a", customerId: "ann", orderId: "a-1", expectedTotal: a.body.total });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.redemptions.map((r: { discount: number; points: number }) => [r.discount, r.points])).toEqual([[800, 0], [0, 60]]);
    // Released or ended, a hold no longer counts: rolled back, the budgets are free again.
    await api.call("POST", "/v1/carts/rollback", { orderId: "a-1" });
    const c = await api.call("POST", "/v1/carts/reserve", { ...cart, sessionId: "s-b", customerId: "ben" });
    expect(c.body).toMatchObject({ total: 4200, refused: [] });
    await api.call("POST", "/v1/carts/release", { sessionId: "s-b" });
    expect((await api.call("POST", "/v1/carts/evaluate", { ...cart, customerId: "ann" })).body).toMatchObject({ total: 4200, refused: [] });
  });
});

describe("completing an order again", () => {
  it("a retry that lists the same codes in another order or spelling is the same order (the first result), not ORDER_CONFLICT", async () => {
    const api = await testApi({ database });
    await campaign(api, { name: "A", kind: "code", code: "AAA1", effects: [{ kind: "order_fixed", amount: 100 }], limits: { total: 10 } });
    await campaign(api, { name: "B", kind: "code", code: "BBB1", effects: [{ kind: "order_fixed", amount: 200 }] });
    const cart = { orderId: "r-1", email: "r@example.com", lines: [line("x", 1000)] };
    const first = await api.call("POST", "/v1/carts/complete", { ...cart, codes: ["AAA1", "BBB1"] });
    expect(first.body.redemptions).toHaveLength(2);
    for (const codes of [["BBB1", "AAA1"], ["bbb-1", " aaa1 ", "AAA1"]]) {
      const again = await api.call("POST", "/v1/carts/complete", { ...cart, codes });
      expect(again.status, JSON.stringify(codes)).toBe(200);
      expect(again.body.redemptions).toEqual(first.body.redemptions);
    }
    expect((await api.call("GET", "/v1/campaigns?kind=code")).body.data.find((c: { code: string }) => c.code === "AAA1").usage.redeemed).toBe(1);
    // Other codes are another cart.
    const other = await api.call("POST", "/v1/carts/complete", { ...cart, codes: ["AAA1"] });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("ORDER_CONFLICT");
  });
});

describe("per-customer limits: who counts", () => {
  it("a member who checked out with another email still shares her limit with a guest checkout giving her own email or phone", async () => {
    const api = await testApi({ database });
    await campaign(api, { name: "Once", kind: "code", code: "ONCE", effects: [{ kind: "order_fixed", amount: 100 }], limits: { perCustomer: { max: 1, per: "lifetime" } } });
    await api.call("PUT", "/v1/customers/dora", { email: "Dora@Example.com", phone: "+14155550100" });
    const cart = { lines: [line("x", 1000)], codes: ["ONCE"] };
    const used = await api.call("POST", "/v1/carts/complete", { ...cart, orderId: "d-1", customerId: "dora", email: "work@example.com", phone: "+14155550199" });
    expect(used.body.redemptions).toHaveLength(1);
    for (const [i, who] of [{ email: "dora@example.com" }, { phone: "+1 415 555 0100" }, { email: "work@example.com" }, { customerId: "dora" }].entries()) {
      const ev = await api.call("POST", "/v1/carts/evaluate", { ...cart, ...who });
      expect(ev.body.refused, JSON.stringify(who)).toEqual([expect.objectContaining({ reason: "CUSTOMER_LIMIT_REACHED" })]);
      // A completion (locked reads) counts the same keys as an evaluation (one statement).
      const done = await api.call("POST", "/v1/carts/complete", { ...cart, ...who, orderId: `again-${i}` });
      expect(done.body.redemptions, JSON.stringify(who)).toEqual([]);
    }
    expect((await api.call("POST", "/v1/carts/evaluate", { ...cart, email: "someone@example.com" })).body.applied).toHaveLength(1);
  });
});

describe("bonus points and guests", () => {
  it("a guest's checkout gets no bonus points and no multiplier, so it spends none of the campaign's uses or points budget; a member's does", async () => {
    const api = await testApi({ database });
    const auto = await campaign(api, { name: "Bonus", kind: "automatic", effects: [{ kind: "bonus_points", points: 50 }], limits: { total: 2, budget: { points: 100 } } });
    await campaign(api, { name: "Bonus code", kind: "code", code: "PTS50", effects: [{ kind: "bonus_points", points: 50 }] });
    await campaign(api, { name: "Both", kind: "code", code: "BOTH", effects: [{ kind: "order_fixed", amount: 100 }, { kind: "bonus_points", points: 50 }] });
    const double = await campaign(api, { name: "Double", kind: "code", code: "DOUBLE", effects: [{ kind: "points_multiplier", factor: 2 }], limits: { total: 1 } });
    const guest = { email: "guest@example.com", lines: [line("x", 1000)] };
    const ev = await api.call("POST", "/v1/carts/evaluate", { ...guest, codes: ["PTS50", "BOTH", "DOUBLE"] });
    expect(ev.body.points).toEqual({ rules: 0, bonus: 0, total: 0 });
    expect(ev.body.applied).toEqual([expect.objectContaining({ code: "BOTH", discount: 100, bonusPoints: 0 })]);
    const refusal = (code: string) => expect.objectContaining({ code, reason: "CONDITION_NOT_MET", message: expect.stringContaining("member account"), condition: { kind: "effects", part: expect.stringContaining("members only") } });
    expect(ev.body.refused).toEqual([refusal("DOUBLE"), refusal("PTS50")]);
    for (const orderId of ["g-1", "g-2", "g-3"]) {
      const done = await api.call("POST", "/v1/carts/complete", { ...guest, orderId, codes: ["DOUBLE"] });
      expect(done.body).toMatchObject({ redemptions: [], points: { bonus: 0 } });
    }
    expect((await api.call("GET", `/v1/campaigns/${auto.id}`)).body.usage).toMatchObject({ redeemed: 0, budgetPointsUsed: 0 });
    // The multiplier's single use is still there for a member.
    expect((await api.call("GET", `/v1/campaigns/${double.id}`)).body.usage).toMatchObject({ redeemed: 0 });
    await api.call("PUT", "/v1/customers/mia", {});
    const member = await api.call("POST", "/v1/carts/complete", { customerId: "mia", lines: [line("x", 1000)], orderId: "m-1" });
    expect(member.body.redemptions).toEqual([expect.objectContaining({ campaignId: auto.id, points: 50 })]);
    expect((await api.call("GET", `/v1/campaigns/${auto.id}`)).body.usage).toMatchObject({ redeemed: 1, budgetPointsUsed: 50 });
  });

  it("a blocked member's checkout earns no points, as her orders do not: no bonus points, no multiplier, no use of a points campaign spent", async () => {
    const api = await testApi({ database });
    const pts = await campaign(api, { name: "Bonus", kind: "code", code: "PTS50", effects: [{ kind: "bonus_points", points: 50 }], limits: { total: 1 } });
    await campaign(api, { name: "Both", kind: "code", code: "BOTH", effects: [{ kind: "order_fixed", amount: 100 }, { kind: "bonus_points", points: 50 }] });
    await api.call("PUT", "/v1/customers/bo", {});
    expect((await api.call("PATCH", "/v1/customers/bo", { status: "blocked" })).status).toBe(200);
    const cart = { customerId: "bo", lines: [line("x", 10000)], codes: ["PTS50", "BOTH"] };
    const ev = await api.call("POST", "/v1/carts/evaluate", cart);
    expect(ev.body.points).toEqual({ rules: 0, bonus: 0, total: 0 });
    expect(ev.body.refused).toEqual([expect.objectContaining({ code: "PTS50", reason: "CONDITION_NOT_MET", message: expect.stringContaining("blocked") })]);
    const done = await api.call("POST", "/v1/carts/complete", { ...cart, orderId: "bo-1" });
    expect(done.body.redemptions).toEqual([expect.objectContaining({ code: "BOTH", discount: 100, points: 0, transactionId: null })]);
    expect((await api.call("GET", "/v1/customers/bo/balances")).body.available).toBe(0);
    expect((await api.call("GET", `/v1/campaigns/${pts.id}`)).body.usage).toMatchObject({ redeemed: 0 });
  });

  it("a double-points code on an order that earns no points is refused and keeps its use for an order that does", async () => {
    const api = await testApi({ database });
    const double = await campaign(api, { name: "Double", kind: "code", code: "DOUBLE", effects: [{ kind: "points_multiplier", factor: 2 }], limits: { perCustomer: { max: 1, per: "lifetime" } } });
    await api.call("PUT", "/v1/customers/pia", {});
    // 1 point per 100 minor units, rounded down: 99 earns nothing.
    const small = await api.call("POST", "/v1/carts/complete", { orderId: "p-1", customerId: "pia", lines: [line("x", 99)], codes: ["DOUBLE"] });
    expect(small.body).toMatchObject({ redemptions: [], points: { rules: 0, bonus: 0 } });
    expect(small.body.refused).toEqual([expect.objectContaining({ code: "DOUBLE", reason: "CONDITION_NOT_MET", message: expect.stringContaining("earns no points") })]);
    expect((await api.call("GET", `/v1/campaigns/${double.id}`)).body.usage).toMatchObject({ redeemed: 0 });
    const big = await api.call("POST", "/v1/carts/complete", { orderId: "p-2", customerId: "pia", lines: [line("x", 1000)], codes: ["DOUBLE"] });
    expect(big.body.redemptions).toEqual([expect.objectContaining({ code: "DOUBLE", points: 10 })]);
  });
});

describe("follow-up codes and rollbacks", () => {
  it("an order whose share comes to nothing (fully discounted, or too small) is issued no follow-up code worth 0", async () => {
    const api = await testApi({ database });
    const next = await campaign(api, { name: "Next purchase credit", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 0 }] });
    await campaign(api, { name: "Credit 10%", kind: "automatic", effects: [{ kind: "follow_up_code", campaignId: next.id, validDays: 90, percentOfOrder: 10 }] });
    await campaign(api, { name: "Free", kind: "code", code: "FREE", effects: [{ kind: "order_percent", percent: 100 }] });
    for (const [orderId, cart] of [["z-1", { lines: [line("gum", 9)] }], ["z-2", { lines: [line("coat", 50000)], codes: ["FREE"] }]] as const) {
      const done = await api.call("POST", "/v1/carts/complete", { ...cart, orderId, email: "z@example.com" });
      expect(done.body.followUpCodes, orderId).toEqual([]);
      expect(done.body.redemptions.map((r: { code: string | null }) => r.code), orderId).toEqual(orderId === "z-1" ? [] : ["FREE"]);
    }
    expect((await api.call("GET", `/v1/campaigns/${next.id}/codes`)).body.data).toEqual([]);
    expect((await api.call("POST", "/v1/carts/complete", { orderId: "z-3", email: "z@example.com", lines: [line("gum", 10)] })).body.followUpCodes).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it("an order rolled back after its follow-up code was spent voids the code: rolling back the order that spent it does not bring it back", async () => {
    const api = await testApi({ database });
    const next = await campaign(api, { name: "Next purchase credit", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 0 }] });
    await campaign(api, { name: "Credit 10%", kind: "automatic", condition: "cart.subtotal >= 10000", effects: [{ kind: "follow_up_code", campaignId: next.id, validDays: 90, percentOfOrder: 10 }] });
    await api.call("PUT", "/v1/customers/ivy", {});
    const first = await api.call("POST", "/v1/carts/complete", { orderId: "f-1", customerId: "ivy", lines: [line("coat", 50000)] });
    const code = first.body.followUpCodes[0].code;
    const spent = await api.call("POST", "/v1/carts/complete", { orderId: "f-2", customerId: "ivy", lines: [line("hat", 6000)], codes: [code] });
    expect(spent.body.applied).toEqual([expect.objectContaining({ code, discount: 5000 })]);
    // The first order is cancelled: its credit is void, though the second order keeps what it got.
    expect((await api.call("POST", "/v1/carts/rollback", { orderId: "f-1" })).body.effect).toBe("rolled_back");
    // Then the second: its use of the code is given back, but the code stays void.
    expect((await api.call("POST", "/v1/carts/rollback", { orderId: "f-2" })).body.effect).toBe("rolled_back");
    const again = await api.call("POST", "/v1/carts/evaluate", { customerId: "ivy", lines: [line("hat", 6000)], codes: [code] });
    expect(again.body.refused).toEqual([expect.objectContaining({ reason: "CODE_EXPIRED" })]);
    expect(again.body.discount).toBe(0);
  });
});

describe("rollbacks and expired points", () => {
  it("rolling back an order whose bonus points have expired gives back its uses and takes back nothing more, not a 500", async () => {
    const api = await testApi({ database, program: { ledgerPolicy: { pendingDays: 0, expiry: { kind: "days", days: 10 }, clawback: "allow_negative" } } });
    const c = await campaign(api, { name: "Bonus", kind: "code", code: "PTS", effects: [{ kind: "bonus_points", points: 50 }, { kind: "order_fixed", amount: 100 }], limits: { total: 5 } });
    await api.call("PUT", "/v1/customers/eve", {});
    const done = await api.call("POST", "/v1/carts/complete", { orderId: "x-1", customerId: "eve", lines: [line("x", 1000)], codes: ["PTS"] });
    expect(done.body.redemptions).toEqual([expect.objectContaining({ points: 50, transactionId: expect.any(String) })]);
    api.clock.advanceDays(11);
    expect((await api.call("POST", "/v1/jobs/daily")).status).toBe(200);
    expect((await api.call("GET", "/v1/customers/eve/balances")).body.available).toBe(0);
    const rb = await api.call("POST", "/v1/carts/rollback", { orderId: "x-1" });
    expect(rb.status, JSON.stringify(rb.body)).toBe(200);
    expect(rb.body.effect).toBe("rolled_back");
    expect((await api.call("GET", "/v1/customers/eve/balances")).body.available).toBe(0);
    expect((await api.call("GET", `/v1/campaigns/${c.id}`)).body.usage).toMatchObject({ redeemed: 0, budgetMoneyUsed: 0, budgetPointsUsed: 0 });
  });
});

describe("typed codes", () => {
  it("a code typed full-width (an Asian input method) or pasted with a typographic dash or invisible characters applies; an import of such text stores the plain code", async () => {
    const api = await testApi({ database });
    await campaign(api, { name: "Ten", kind: "code", code: "SHOP10", effects: [{ kind: "order_percent", percent: 10 }] });
    const pool = await campaign(api, { name: "Pool", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 50 }] });
    expect((await api.call("POST", `/v1/campaigns/${pool.id}/codes`, { csv: "code\r\nＢＦ–２０２６\r\n" })).body.added).toBe(1);
    expect((await api.call("GET", `/v1/campaigns/${pool.id}/codes`)).body.data.map((c: { code: string }) => c.code)).toEqual(["BF2026"]);
    for (const typed of ["ｓｈｏｐ１０", "SHOP–10", "SHOP\u201110", "\u200BSHOP10\u200B", "SHOP\u00AD10"]) {
      const r = await api.call("POST", "/v1/carts/evaluate", { email: "t@example.com", lines: [line("x", 1000)], codes: [typed, "bf 2026"] });
      expect(r.body.refused, JSON.stringify(typed)).toEqual([]);
      expect(r.body.applied.map((a: { code: string }) => a.code).sort()).toEqual(["BF2026", "SHOP10"]);
    }
  });
});

describe("rollbacks and codes", () => {
  it("rolling back an order of an archived campaign's reusable code leaves alone the bulk code that took the same text since", async () => {
    const api = await testApi({ database });
    const summer = await campaign(api, { name: "Summer", kind: "code", code: "SUMMER", effects: [{ kind: "order_fixed", amount: 100 }] });
    expect((await api.call("POST", "/v1/carts/complete", { orderId: "old", email: "a@example.com", lines: [line("x", 1000)], codes: ["SUMMER"] })).body.redemptions).toHaveLength(1);
    expect((await api.call("POST", `/v1/campaigns/${summer.id}/archive`, {})).status).toBe(200);
    const pool = await campaign(api, { name: "Pool", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 300 }] });
    expect((await api.call("POST", `/v1/campaigns/${pool.id}/codes`, { codes: ["summer"] })).body.added).toBe(1);
    expect((await api.call("POST", "/v1/carts/complete", { orderId: "new", email: "b@example.com", lines: [line("x", 1000)], codes: ["SUMMER"] })).body.redemptions).toEqual([expect.objectContaining({ campaignId: pool.id })]);
    expect((await api.call("POST", "/v1/carts/rollback", { orderId: "old" })).body.effect).toBe("rolled_back");
    // The single-use bulk code stays used: the old order's rollback gave back a use of Summer, not of it.
    expect((await api.call("GET", `/v1/campaigns/${pool.id}/codes`)).body.data).toEqual([expect.objectContaining({ code: "SUMMER", used: 1 })]);
    expect((await api.call("POST", "/v1/carts/evaluate", { email: "c@example.com", lines: [line("x", 1000)], codes: ["SUMMER"] })).body.refused).toEqual([expect.objectContaining({ reason: "CODE_EXHAUSTED" })]);
    // Its own order's rollback does give it back.
    await api.call("POST", "/v1/carts/rollback", { orderId: "new" });
    expect((await api.call("GET", `/v1/campaigns/${pool.id}/codes`)).body.data).toEqual([expect.objectContaining({ code: "SUMMER", used: 0 })]);
  });
});

describe("the campaign cache", () => {
  it("a change made through one server process applies on another within a second", async () => {
    const api = await testApi({ database, program: { currency: "USD" } });
    // A second process: its own campaign cache over the same database.
    const { CampaignStore } = await import("../src/app/promotions/campaign-store.ts");
    const { evaluateCheckout } = await import("../src/app/promotions/evaluate-checkout.ts");
    const { findProgram } = await import("../src/app/programs/program-repo.ts");
    const other = { ...api.ctx, campaigns: new CampaignStore() };
    const program = (await findProgram(api.ctx.db, api.programId))!;
    const price = async () => {
      const r = await evaluateCheckout(other, other.db, program, { lines: [line("x", 10000)], codes: ["LIVE"] });
      if (!r.ok) throw new Error(r.error.message);
      return r.value.discount;
    };
    const c = await campaign(api, { name: "Live", kind: "code", code: "LIVE", effects: [{ kind: "order_fixed", amount: 100 }] });
    expect(await price()).toBe(100);
    const changed = await api.call("PATCH", `/v1/campaigns/${c.id}`, { effects: [{ kind: "order_fixed", amount: 300 }] });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const start = Date.now();
    let seen = await price();
    while (seen !== 300 && Date.now() - start < 2000) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await price();
    }
    expect(seen).toBe(300);
    expect(Date.now() - start).toBeLessThan(1000);
    await api.call("POST", `/v1/campaigns/${c.id}/disable`, {});
    await new Promise((r) => setTimeout(r, 600));
    expect(await price()).toBe(0);
  });
});
