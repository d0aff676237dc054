import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";
import type { Database } from "../src/db/connect.ts";

// Discounts that grow with a customer's activity (issue 6): story 9's progressive percentage that
// starts again each month in the program's time zone, and a lifetime spend ladder.
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

async function campaign(api: TestApi, body: Record<string, unknown>) {
  const r = await api.call("POST", "/v1/campaigns", { stacking: "stackable", priority: 10, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string };
}

let n = 0;
/** An order of one line in `category`, recorded through the events API. */
async function order(api: TestApi, customerId: string, category: string, unitPrice: number) {
  n += 1;
  const r = await api.call("POST", "/v1/events", { id: `p-${n}`, type: "order.completed", customerId, data: { orderId: `po-${n}`, currency: "RON", lines: [{ sku: `${category}-1`, category, quantity: 1, unitPrice }] } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return `po-${n}`;
}

const price = async (api: TestApi, customerId: string | undefined) => {
  const r = await api.call("POST", "/v1/carts/evaluate", { ...(customerId ? { customerId } : { email: "guest@example.com" }), lines: [{ sku: "lunch-1", category: "lunch", quantity: 1, unitPrice: 10_000 }] });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

describe("story 9: members get 5% off, plus 1% for each lunch ordered this month, up to 15%; it resets monthly", () => {
  it("grows with this month's lunches only, is shown to the customer, and starts again on the 1st in Bucharest", async () => {
    const clock = new FakeClock(new Date("2026-11-10T10:00:00Z"));
    const api = await testApi({ database, clock, program: { currency: "RON", timeZone: "Europe/Bucharest" } });
    const lunches = await campaign(api, {
      name: "Lunch club", kind: "automatic", audience: "isMember()",
      effects: [{ kind: "progressive_percent", basis: "visits", period: "month", orderCondition: "order.lines.exists(l, l.category == 'lunch')", basePercent: 5, stepPercent: 1, every: 1, maxPercent: 15 }],
    });
    await order(api, "ioana", "dinner", 20_000); // not a lunch: does not count
    expect((await price(api, "ioana")).discount).toBe(500);
    for (let i = 0; i < 3; i++) await order(api, "ioana", "lunch", 10_000);
    const cart = await price(api, "ioana");
    expect(cart).toMatchObject({ subtotal: 10_000, discount: 800, total: 9_200 });
    expect(cart.applied[0]).toMatchObject({ campaignId: lunches.id, discount: 800 });
    // A lunch refunded in full is not a lunch ordered.
    const refunded = await order(api, "ioana", "lunch", 10_000);
    expect((await price(api, "ioana")).discount).toBe(900);
    expect((await api.call("POST", "/v1/events", { id: "p-refund", type: "order.refunded", customerId: "ioana", data: { orderId: refunded, refundId: "r-1" } })).status).toBe(200);
    expect((await price(api, "ioana")).discount).toBe(800);

    const shown = await api.call("GET", "/v1/customers/ioana/discounts");
    expect(shown.status).toBe(200);
    // Bucharest is UTC+2 in winter: December starts at 22:00 UTC on 30 November.
    expect(shown.body.data).toEqual([{ campaignId: lunches.id, name: "Lunch club", kind: "progressive_percent", code: null, percent: 8, progress: 3, next: { percent: 9, remaining: 1 }, resetsAt: "2026-11-30T22:00:00.000Z" }]);

    // Twelve lunches: capped at 15%.
    for (let i = 0; i < 9; i++) await order(api, "ioana", "lunch", 10_000);
    expect((await price(api, "ioana")).discount).toBe(1_500);
    expect((await api.call("GET", "/v1/customers/ioana/discounts")).body.data[0]).toMatchObject({ percent: 15, progress: 12, next: null });

    // 30 November 23:30 in Bucharest: still November. 1 December 00:30: the count starts again.
    clock.set("2026-11-30T21:30:00Z");
    expect((await price(api, "ioana")).discount).toBe(1_500);
    clock.set("2026-11-30T22:30:00Z");
    expect((await price(api, "ioana")).discount).toBe(500);
    // Guests are not members: nothing.
    expect((await price(api, undefined)).discount).toBe(0);
    await api.close();
  });
});

describe("a cumulative discount by lifetime spend", () => {
  it("a ladder whose campaign has ended (or not begun) is not shown among the customer's discounts: no cart gets it", async () => {
    const clock = new FakeClock(new Date("2026-06-10T09:00:00Z"));
    const api = await testApi({ database, clock, program: { currency: "RON", timeZone: "Europe/Bucharest" } });
    const summer = await campaign(api, { name: "Summer ladder", kind: "automatic", schedule: { from: "2026-06-01T00:00:00Z", to: "2026-09-01T00:00:00Z" }, effects: [{ kind: "spend_ladder", steps: [{ from: 1, percent: 3 }] }] });
    await order(api, "sol", "dinner", 50_000);
    expect((await api.call("GET", "/v1/customers/sol/discounts")).body.data).toEqual([expect.objectContaining({ campaignId: summer.id, percent: 3 })]);
    expect((await price(api, "sol")).discount).toBe(300);
    clock.set("2026-09-01T00:00:00Z");
    expect((await price(api, "sol")).discount).toBe(0);
    expect((await api.call("GET", "/v1/customers/sol/discounts")).body.data).toEqual([]);
    clock.set("2026-05-31T23:59:00Z");
    expect((await api.call("GET", "/v1/customers/sol/discounts")).body.data).toEqual([]);
    await api.close();
  });

  it("gives the highest ladder step the customer's lifetime spend has reached, refunds taken off", async () => {
    const api = await testApi({ database, program: { currency: "RON", timeZone: "Europe/Bucharest" } });
    const ladder = await campaign(api, { name: "Loyal spender", kind: "automatic", effects: [{ kind: "spend_ladder", steps: [{ from: 100_000, percent: 3 }, { from: 500_000, percent: 5 }] }] });
    await order(api, "dan", "dinner", 99_999);
    expect((await price(api, "dan")).discount).toBe(0);
    expect((await api.call("GET", "/v1/customers/dan/discounts")).body.data).toEqual([{ campaignId: ladder.id, name: "Loyal spender", kind: "spend_ladder", code: null, percent: 0, progress: 99_999, next: { percent: 3, remaining: 1 }, resetsAt: null }]);
    const o = await order(api, "dan", "dinner", 450_000);
    expect((await price(api, "dan")).discount).toBe(500); // 549,999 spent: 5%
    await api.call("POST", "/v1/events", { id: "ladder-refund", type: "order.refunded", customerId: "dan", data: { orderId: o, refundId: "r-l", amount: 50_000 } });
    expect((await price(api, "dan")).discount).toBe(300); // 499,999: back to 3%
    await api.close();
  });
});
