import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/connect.ts";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";

/** Stamp cards and staff confirmations through the API: story 12, several cards, expiry, limits, refunds, staff, story 7. */

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

/** A café in Ho Chi Minh City: a latte is 45,000 VND; 1 point per 10,000 VND. */
const cafe = (clock?: FakeClock) =>
  testApi({
    database,
    ...(clock ? { clock } : {}),
    program: { name: "Saigon Bean", currency: "VND", timeZone: "Asia/Ho_Chi_Minh", earning: { enabled: true, points: 1, per: 10_000, rounding: "floor" } },
  });

const LATTE = (quantity: number) => ({ sku: "LATTE", category: "coffee", quantity, unitPrice: 45_000 });
const CAKE = (quantity: number) => ({ sku: "CAKE", category: "cakes", quantity, unitPrice: 30_000 });

let seq = 0;
const order = (customerId: string, lines: unknown[], extra: Record<string, unknown> = {}) => {
  const n = ++seq;
  return { id: `e-${n}`, type: "order.completed", customerId, data: { orderId: `o-${n}`, currency: "VND", lines }, ...extra };
};
const refund = (customerId: string, orderId: string, data: Record<string, unknown> = {}) => {
  const n = ++seq;
  return { id: `r-${n}`, type: "order.refunded", customerId, data: { orderId, refundId: `rf-${n}`, ...data } };
};

async function send(api: TestApi, event: Record<string, unknown>) {
  const r = await api.call("POST", "/v1/events", event);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { eventId: string; effects: Record<string, any> };
}

async function createCard(api: TestApi, body: Record<string, unknown>) {
  const r = await api.call("POST", "/v1/stamp-cards", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string };
}

async function freeCoffee(api: TestApi, extra: Record<string, unknown> = {}) {
  // Disabled in the catalogue: it cannot be bought with points, only earned with stamps.
  const r = await api.call("POST", "/v1/rewards", { name: "Free latte", kind: "free_product", config: { sku: "LATTE" }, cost: 1000, status: "disabled", ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string };
}

const coffeeCard = (rewardId: string, extra: Record<string, unknown> = {}) => ({
  name: "Coffee card", stamps: 10, qualifying: 'line.category == "coffee"', per: "unit", reward: { kind: "reward", rewardId }, ...extra,
});

async function cards(api: TestApi, customerId: string) {
  const r = await api.call("GET", `/v1/customers/${customerId}/stamp-cards`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data as Record<string, any>[];
}

const CODE = /^[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}$/;

describe("story 12: a café's stamp card, 10 stamps, the 10th coffee free", () => {
  it("9 coffees give 9 stamps and nothing else; the 10th issues the free coffee with a code, and the card starts again", async () => {
    const api = await cafe();
    const reward = await freeCoffee(api);
    const card = await createCard(api, coffeeCard(reward.id));
    for (let n = 1; n <= 9; n++) {
      const r = await send(api, order("lan", [LATTE(1)]));
      expect(r.effects.stamps).toEqual([expect.objectContaining({ cardId: card.id, added: 1, balance: n, completed: 0, rewards: [] })]);
    }
    expect(await cards(api, "lan")).toEqual([
      expect.objectContaining({ cardId: card.id, name: "Coffee card", stamps: 9, needed: 1, size: 10, completions: 0, lastCompletion: null, expiringSoonest: null }),
    ]);
    expect((await api.call("GET", "/v1/customers/lan/redemptions")).body.data).toEqual([]);

    const tenth = order("lan", [LATTE(1), CAKE(1)]);
    const r = await send(api, tenth);
    expect(r.effects.pointsEarned).toBe(7); // earning is untouched: 75,000 VND
    const [s] = r.effects.stamps;
    expect(s).toMatchObject({ cardId: card.id, added: 1, balance: 0, completed: 1 });
    expect(s.rewards).toHaveLength(1);
    expect(s.rewards[0]).toMatchObject({ sequence: 1, redemptionId: expect.stringMatching(/^red_/), code: expect.stringMatching(CODE) });

    const redemptions = (await api.call("GET", "/v1/customers/lan/redemptions")).body.data;
    expect(redemptions).toHaveLength(1);
    expect(redemptions[0]).toMatchObject({ id: s.rewards[0].redemptionId, points: 0, status: "issued", code: s.rewards[0].code, reward: { name: "Free latte", kind: "free_product" } });
    // The code takes a latte off a cart, and an order that uses it marks it used.
    expect((await api.call("POST", "/v1/codes/validate", { code: s.rewards[0].code, customerId: "lan", cart: { lines: [LATTE(1)] } })).body).toMatchObject({ valid: true, discount: 45_000 });
    const free = order("lan", [{ ...LATTE(1), discount: 45_000 }]);
    const used = await send(api, { ...free, data: { ...free.data, codes: [s.rewards[0].code] } });
    expect(used.effects.codes).toEqual([{ code: s.rewards[0].code, status: "used", redemptionId: s.rewards[0].redemptionId }]);
    // The free latte is a coffee too: it stamps the new card.
    expect(used.effects.stamps[0]).toMatchObject({ added: 1, balance: 1 });

    // The completion in the ledger: 10 stamps to `redeemed`, a transaction that cannot be reversed.
    const txn = (await api.call("GET", `/v1/transactions/${s.rewards[0].transactionId}`)).body;
    expect(txn).toMatchObject({ type: "stamp_completion", reference: `stamps:${card.id}:completion:${txn.customerId}:1`, metadata: { cardId: card.id, sequence: 1, stamps: 10, orderId: tenth.data.orderId } });
    // One posting per lot it takes from (ten orders, ten lots), each to `redeemed`.
    expect(txn.postings).toHaveLength(10);
    for (const p of txn.postings) expect(p).toMatchObject({ asset: `stamps:${card.id}`, destination: "redeemed" });
    expect(txn.postings.reduce((n: number, p: { amount: number }) => n + p.amount, 0)).toBe(10);
    expect((await api.call("POST", `/v1/transactions/${txn.id}/reverse`, { reason: "try" })).body.code).toBe("REVERSAL_NOT_ALLOWED");
    // Nor can the reward be cancelled: the stamps that paid for it are spent.
    expect((await api.call("POST", `/v1/redemptions/${s.rewards[0].redemptionId}/cancel`, { reason: "try" })).body.code).toBe("REDEMPTION_NOT_CANCELLABLE");

    const after = (await cards(api, "lan"))[0]!;
    expect(after).toMatchObject({ stamps: 1, needed: 9, completions: 1, lastCompletion: { sequence: 1, redemptionId: s.rewards[0].redemptionId, transactionId: txn.id } });

    // Sending the 10th order again replays it: no second reward.
    const again = await api.call("POST", "/v1/events", tenth);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.effects.stamps).toEqual(r.effects.stamps);
    expect((await api.call("GET", "/v1/customers/lan/redemptions")).body.data).toHaveLength(1);
    expect((await api.call("GET", `/v1/rewards/${reward.id}`)).body).toMatchObject({ issued: 1 });
  });

  it("an order of 12 coffees from 0 completes one card and carries 2 stamps", async () => {
    const api = await cafe();
    const card = await createCard(api, coffeeCard((await freeCoffee(api)).id));
    const r = await send(api, order("minh", [LATTE(12)]));
    expect(r.effects.stamps).toEqual([expect.objectContaining({ cardId: card.id, added: 12, balance: 2, completed: 1 })]);
    expect(r.effects.stamps[0].rewards).toHaveLength(1);
    expect((await cards(api, "minh"))[0]).toMatchObject({ stamps: 2, needed: 8, completions: 1 });
  });

  it("25 coffees in one batch of orders complete two cards, numbered 1 and 2, and carry 5", async () => {
    const api = await cafe();
    const card = await createCard(api, coffeeCard((await freeCoffee(api)).id));
    const r = await api.call("POST", "/v1/events/batch", { events: [order("tu", [LATTE(8)]), order("tu", [LATTE(8)]), order("tu", [LATTE(9)])] });
    const stamps = r.body.results.map((x: { effects: { stamps: unknown[] } }) => x.effects.stamps[0]);
    expect(stamps.map((s: { balance: number; completed: number }) => [s.balance, s.completed])).toEqual([[8, 0], [6, 1], [5, 1]]);
    expect(stamps.flatMap((s: { rewards: { sequence: number }[] }) => s.rewards.map((x) => x.sequence))).toEqual([1, 2]);
    expect((await cards(api, "tu"))[0]).toMatchObject({ cardId: card.id, stamps: 5, completions: 2, lastCompletion: { sequence: 2 } });
  });

  it("orders without a coffee, of blocked customers, or in a program without cards give no stamps", async () => {
    const bare = await cafe();
    expect((await send(bare, order("an", [LATTE(2)]))).effects.stamps).toBeUndefined();
    const api = await cafe();
    await createCard(api, coffeeCard((await freeCoffee(api)).id));
    expect((await send(api, order("an", [CAKE(2)]))).effects.stamps).toBeUndefined();
    await api.call("PUT", "/v1/customers/blocked", { status: "blocked" });
    const b = await send(api, order("blocked", [LATTE(3)]));
    expect(b.effects).toMatchObject({ earningSkipped: "CUSTOMER_BLOCKED" });
    expect(b.effects.stamps).toBeUndefined();
  });
});

describe("several cards at once", () => {
  it("each card counts its own lines and completes on its own: a coffee card and a cake card whose reward is points", async () => {
    const api = await cafe();
    const coffee = await createCard(api, coffeeCard((await freeCoffee(api)).id, { stamps: 5 }));
    const cakes = await createCard(api, { name: "Cake card", stamps: 2, qualifying: 'line.category == "cakes"', per: "line", reward: { kind: "points", points: 50 } });
    const visits = await createCard(api, { name: "Visits", stamps: 4, qualifying: null, per: "order", reward: { kind: "points", points: 20 } });
    await send(api, order("hoa", [LATTE(3), CAKE(1)])); // coffee 3, cakes 1, visits 1
    await send(api, order("hoa", [CAKE(2), { ...CAKE(1), sku: "CAKE-2" }])); // cakes 2 lines, visits 1
    const r = await send(api, order("hoa", [LATTE(3), CAKE(1)]));
    const by = Object.fromEntries(r.effects.stamps.map((s: { cardId: string }) => [s.cardId, s]));
    expect(by[coffee.id]).toMatchObject({ added: 3, balance: 1, completed: 1 });
    expect(by[cakes.id]).toMatchObject({ added: 1, balance: 0, completed: 1, rewards: [expect.objectContaining({ points: 50, sequence: 2 })] });
    expect(by[visits.id]).toMatchObject({ added: 1, balance: 3, completed: 0 });
    // The cake card completed on the second order already (1 + 2 lines = 3: one card, 1 carried), and again now.
    expect((await cards(api, "hoa")).map((c) => [c.name, c.stamps, c.completions])).toEqual([["Coffee card", 1, 1], ["Cake card", 0, 2], ["Visits", 3, 0]]);
    // Points: 16 + 9 + 16 from spend (1 per 10,000 VND), 2 × 50 from the cake card.
    expect((await api.call("GET", "/v1/customers/hoa/balances")).body.available).toBe(16 + 9 + 16 + 100);
  });
});

describe("expiry", () => {
  it("stamps expire 30 days after they were given: they leave the card before the next order counts", async () => {
    const clock = new FakeClock(new Date("2026-03-01T03:00:00Z"));
    const api = await cafe(clock);
    const card = await createCard(api, coffeeCard((await freeCoffee(api)).id, { expiry: { kind: "days", days: 30 } }));
    const first = await send(api, order("vy", [LATTE(4)]));
    expect(first.effects.stamps[0].expiresAt).toBe("2026-03-31T03:00:00.000Z");
    clock.advanceDays(10);
    await send(api, order("vy", [LATTE(5)]));
    expect((await cards(api, "vy"))[0]).toMatchObject({ stamps: 9, expiringSoonest: { stamps: 4, at: "2026-03-31T03:00:00.000Z" } });
    // Day 31: the first 4 are gone (read side first, before any job ran), so one more coffee does not complete the card.
    clock.advanceDays(21);
    expect((await cards(api, "vy"))[0]).toMatchObject({ stamps: 5, needed: 5, expiringSoonest: { stamps: 5, at: "2026-04-10T03:00:00.000Z" } });
    const r = await send(api, order("vy", [LATTE(1)]));
    expect(r.effects.stamps[0]).toMatchObject({ added: 1, balance: 6, completed: 0 });
    const history = (await api.call("GET", "/v1/customers/vy/transactions?limit=50")).body.data as { type: string; postings: { asset: string; amount: number; destination: string }[] }[];
    const expiry = history.find((t) => t.type === "expiry");
    expect(expiry?.postings).toEqual([expect.objectContaining({ asset: `stamps:${card.id}`, amount: 4, destination: "expired" })]);
  });

  it("a late order whose stamps would already have expired gives none", async () => {
    const clock = new FakeClock(new Date("2026-03-01T03:00:00Z"));
    const api = await cafe(clock);
    await createCard(api, coffeeCard((await freeCoffee(api)).id, { stamps: 2, expiry: { kind: "days", days: 30 } }));
    const late = await send(api, order("old", [LATTE(5)], { occurredAt: "2026-01-15T03:00:00Z" }));
    expect(late.effects.stamps[0]).toMatchObject({ added: 0, completed: 0, balance: 0, expiresAt: "2026-02-14T03:00:00.000Z" });
    const recent = await send(api, order("old", [LATTE(1)], { occurredAt: "2026-02-20T03:00:00Z" }));
    expect(recent.effects.stamps[0]).toMatchObject({ added: 1, balance: 1 });
  });

  it("the settlement job expires stamps of customers who do not come back", async () => {
    const clock = new FakeClock(new Date("2026-03-01T03:00:00Z"));
    const api = await cafe(clock);
    await createCard(api, coffeeCard((await freeCoffee(api)).id, { expiry: { kind: "end_of_month", months: 0 } }));
    await send(api, order("kim", [LATTE(3)]));
    clock.set("2026-04-01T00:00:00Z"); // 07:00 on 1 April in Ho Chi Minh City
    expect((await api.call("POST", "/v1/ledger/settle")).body.transactions).toBeGreaterThanOrEqual(1);
    expect((await cards(api, "kim"))[0]).toMatchObject({ stamps: 0, needed: 10, expiringSoonest: null });
  });
});

describe("limits", () => {
  it("a card gives at most 2 stamps per local day and 1 per order, whatever the order holds", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await cafe(clock);
    await createCard(api, coffeeCard((await freeCoffee(api)).id, { maxPerOrder: 1, limits: [{ per: "day", maxStamps: 2 }] }));
    expect((await send(api, order("ha", [LATTE(4)]))).effects.stamps[0]).toMatchObject({ added: 1, balance: 1 });
    expect((await send(api, order("ha", [LATTE(1)]))).effects.stamps[0]).toMatchObject({ added: 1, balance: 2 });
    const third = await send(api, order("ha", [LATTE(1)]));
    expect(third.effects.stamps[0]).toMatchObject({ added: 0, balance: 2, limitedBy: "2 stamps per day: 2 already given" });
    // 16:59 UTC is 23:59 the same day in Ho Chi Minh City; 17:00 is the next day.
    clock.set("2026-03-10T16:59:00Z");
    expect((await send(api, order("ha", [LATTE(1)]))).effects.stamps[0]).toMatchObject({ added: 0 });
    clock.set("2026-03-10T17:00:00Z");
    expect((await send(api, order("ha", [LATTE(1)]))).effects.stamps[0]).toMatchObject({ added: 1, balance: 3 });
    // Another customer has their own count.
    expect((await send(api, order("hai", [LATTE(1)]))).effects.stamps[0]).toMatchObject({ added: 1 });
  });
});

describe("refunds", () => {
  it("take back the stamps of refunded lines while they are on the card; an amount refund names no line; the rest takes all", async () => {
    const api = await cafe();
    const card = await createCard(api, coffeeCard((await freeCoffee(api)).id));
    const o = order("nam", [LATTE(3), CAKE(1)]);
    await send(api, o);
    const one = await send(api, refund("nam", o.data.orderId, { lines: [{ sku: "LATTE", quantity: 1 }] }));
    expect(one.effects.stampsTakenBack).toEqual([expect.objectContaining({ cardId: card.id, stamps: 1, balance: 2 })]);
    const cake = await send(api, refund("nam", o.data.orderId, { lines: [{ sku: "CAKE", quantity: 1 }] }));
    expect(cake.effects.stampsTakenBack).toBeUndefined();
    const partial = await send(api, refund("nam", o.data.orderId, { amount: 10_000 }));
    expect(partial.effects.stampsTakenBack).toBeUndefined();
    const restEvent = refund("nam", o.data.orderId);
    const rest = await send(api, restEvent);
    expect(rest.effects.stampsTakenBack).toEqual([expect.objectContaining({ stamps: 2, balance: 0 })]);
    expect((await cards(api, "nam"))[0]).toMatchObject({ stamps: 0 });
    const txn = (await api.call("GET", `/v1/transactions/${rest.effects.stampsTakenBack[0].transactionId}`)).body;
    expect(txn).toMatchObject({ type: "refund", reference: `stamps:${card.id}:refund:${restEvent.data.refundId}`, metadata: { cardId: card.id, orderId: o.data.orderId } });
    expect(txn.postings).toEqual([expect.objectContaining({ asset: `stamps:${card.id}`, amount: 2, destination: "world" })]);
  });

  it("a completed card's reward stays given: only the stamps the order left on the card go back", async () => {
    const api = await cafe();
    await createCard(api, coffeeCard((await freeCoffee(api)).id));
    const o = order("thu", [LATTE(12)]);
    const r = await send(api, o);
    const redemptionId = r.effects.stamps[0].rewards[0].redemptionId;
    const back = await send(api, refund("thu", o.data.orderId));
    expect(back.effects.stampsTakenBack).toEqual([expect.objectContaining({ stamps: 2, balance: 0 })]);
    expect((await api.call("GET", `/v1/redemptions/${redemptionId}`)).body).toMatchObject({ status: "issued" });
    expect((await cards(api, "thu"))[0]).toMatchObject({ stamps: 0, completions: 1 });
  });

  it("stamps of an order that a later order used to complete a card are not taken from newer stamps", async () => {
    const api = await cafe();
    await createCard(api, coffeeCard((await freeCoffee(api)).id));
    const early = order("linh", [LATTE(5)]);
    await send(api, early);
    await send(api, order("linh", [LATTE(7)])); // 12: one card, 2 carried (from this order's lot)
    const back = await send(api, refund("linh", early.data.orderId));
    expect(back.effects.stampsTakenBack).toBeUndefined();
    expect((await cards(api, "linh"))[0]).toMatchObject({ stamps: 2 });
  });

  it("a refund in the same batch as its order", async () => {
    const api = await cafe();
    await createCard(api, coffeeCard((await freeCoffee(api)).id));
    const o = order("bao", [LATTE(4)]);
    const r = await api.call("POST", "/v1/events/batch", { events: [o, refund("bao", o.data.orderId, { lines: [{ sku: "LATTE", quantity: 3 }] })] });
    expect(r.body.results[1].effects.stampsTakenBack).toEqual([expect.objectContaining({ stamps: 3, balance: 1 })]);
    expect((await cards(api, "bao"))[0]).toMatchObject({ stamps: 1 });
  });
});

describe("rewards out of stock", () => {
  it("a full card waits with its stamps until the reward can be given again", async () => {
    const api = await cafe();
    const reward = await freeCoffee(api, { stock: 1 });
    const card = await createCard(api, coffeeCard(reward.id, { stamps: 2 }));
    expect((await send(api, order("a1", [LATTE(2)]))).effects.stamps[0]).toMatchObject({ completed: 1 });
    const waiting = await send(api, order("a2", [LATTE(3)]));
    expect(waiting.effects.stamps[0]).toMatchObject({ added: 3, balance: 3, completed: 0, rewardUnavailable: "REWARD_OUT_OF_STOCK" });
    expect((await cards(api, "a2"))[0]).toMatchObject({ cardId: card.id, stamps: 3, needed: 0 });
    await api.call("PATCH", `/v1/rewards/${reward.id}`, { stock: 5 });
    const next = await send(api, order("a2", [LATTE(1)]));
    expect(next.effects.stamps[0]).toMatchObject({ added: 1, completed: 2, balance: 0 });
    expect((await api.call("GET", `/v1/rewards/${reward.id}`)).body).toMatchObject({ issued: 3, available: 2 });
  });
});

describe("large orders", () => {
  it("complete at most 100 cards at once; the rest of the stamps wait on the card and complete with the next ones", async () => {
    const api = await cafe();
    await createCard(api, { name: "Bean card", stamps: 2, qualifying: 'line.sku == "BEANS"', per: "unit", reward: { kind: "points", points: 1 } });
    const big = await send(api, order("roaster", [{ sku: "BEANS", quantity: 250, unitPrice: 1 }]));
    expect(big.effects.stamps[0]).toMatchObject({ added: 250, completed: 100, balance: 50 });
    expect(big.effects.stamps[0].rewards).toHaveLength(100);
    const next = await send(api, order("roaster", [{ sku: "BEANS", quantity: 1, unitPrice: 1 }]));
    expect(next.effects.stamps[0]).toMatchObject({ added: 1, completed: 25, balance: 1 });
    expect((await cards(api, "roaster"))[0]).toMatchObject({ stamps: 1, completions: 125, lastCompletion: { sequence: 125 } });
  });
});

describe("malformed requests", () => {
  it("answer 4xx with a known code, never 5xx, and change nothing", async () => {
    const api = await cafe();
    const reward = await freeCoffee(api);
    const card = await createCard(api, coffeeCard(reward.id));
    await api.call("POST", "/v1/staff", { name: "Mai", pin: "4321" });
    const good = coffeeCard(reward.id);
    const bad: [string, string, unknown][] = [
      ["POST", "/v1/stamp-cards", {}],
      ["POST", "/v1/stamp-cards", { ...good, stamps: "10" }],
      ["POST", "/v1/stamp-cards", { ...good, stamps: 10.5 }],
      ["POST", "/v1/stamp-cards", { ...good, stamps: 1001 }],
      ["POST", "/v1/stamp-cards", { ...good, per: null }],
      ["POST", "/v1/stamp-cards", { ...good, qualifying: "x".repeat(5000) }],
      ["POST", "/v1/stamp-cards", { ...good, reward: { kind: "points", points: -1 } }],
      ["POST", "/v1/stamp-cards", { ...good, reward: { kind: "cash" } }],
      ["POST", "/v1/stamp-cards", { ...good, expiry: { kind: "days", days: 0 } }],
      ["POST", "/v1/stamp-cards", { ...good, limits: [{ per: "day" }] }],
      ["POST", "/v1/stamp-cards", { ...good, extra: 1 }],
      ["PATCH", `/v1/stamp-cards/${card.id}`, { stamps: 0 }],
      ["PATCH", `/v1/stamp-cards/${card.id}`, { status: "archived" }],
      ["PATCH", "/v1/stamp-cards/stc_nope", { stamps: 5 }],
      ["POST", "/v1/stamp-cards/stc_nope/archive", undefined],
      ["POST", "/v1/staff", { name: "", pin: "1234" }],
      ["POST", "/v1/staff", { name: "X", pin: 1234 }],
      ["POST", "/v1/staff", { name: "X", pin: "123456789" }],
      ["POST", "/v1/staff/confirmations", {}],
      ["POST", "/v1/staff/confirmations", { id: "x", pin: "4321", customerId: "a", action: { kind: "stamp" } }],
      ["POST", "/v1/staff/confirmations", { id: "x", pin: "4321", customerId: "a", action: { kind: "stamp", cardId: card.id, count: 0 } }],
      ["POST", "/v1/staff/confirmations", { id: "x", pin: "4321", customerId: "a", action: { kind: "custom", name: "bad name!" } }],
      ["POST", "/v1/staff/confirmations", { id: "x y", pin: "4321", customerId: "a", action: { kind: "custom", name: "ok" } }],
      ["POST", "/v1/staff/confirmations", { id: "x", pin: "4321", customerId: "nobody", action: { kind: "custom", name: "ok" } }],
    ];
    const before = (await api.call("GET", "/v1/audit-log?limit=200")).body.data.length;
    for (const [method, path, body] of bad) {
      const r = await api.call(method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} -> ${r.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(typeof r.body.code).toBe("string");
    }
    expect((await api.call("GET", "/v1/audit-log?limit=200")).body.data.length).toBe(before);
    expect((await api.call("GET", `/v1/stamp-cards/${card.id}`)).body).toMatchObject({ stamps: 10, status: "enabled" });
  });
});

describe("managing cards", () => {
  it("creates, lists, changes, disables and archives cards, and refuses what cannot work", async () => {
    const api = await cafe();
    const reward = await freeCoffee(api);
    // A wallet credit given for free would be a redemption that credits nothing: refused (rewards/free-rewards.ts).
    const credit = (await api.call("POST", "/v1/rewards", { name: "Credit", kind: "wallet_credit", config: { asset: "bonus", amount: 500 }, cost: 100 })).body;
    for (const [body, field] of [
      [coffeeCard(reward.id, { qualifying: "line.category ==" }), "qualifying"],
      [coffeeCard(reward.id, { qualifying: 'customer.tier == "gold"' }), "qualifying"],
      [coffeeCard("rwd_nope"), "reward.rewardId"],
      [coffeeCard(credit.id), "reward.rewardId"],
      [coffeeCard(reward.id, { limits: [{ per: "day", maxStamps: 1 }, { per: "day", maxStamps: 2 }] }), "limits.1.per"],
    ] as const) {
      const r = await api.call("POST", "/v1/stamp-cards", body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body).toMatchObject({ code: "STAMP_CARD_INVALID", details: { field } });
    }
    expect((await api.call("POST", "/v1/stamp-cards", coffeeCard(reward.id, { stamps: 1 }))).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/stamp-cards", coffeeCard(reward.id, { per: "visit" }))).body.code).toBe("VALIDATION_FAILED");

    const created = await api.call("POST", "/v1/stamp-cards", coffeeCard(reward.id), { "idempotency-key": "card-1" });
    expect(created.body).toMatchObject({ status: "enabled", stamps: 10, per: "unit", maxPerOrder: null, limits: [], expiry: { kind: "never" }, description: null });
    const replay = await api.call("POST", "/v1/stamp-cards", coffeeCard(reward.id), { "idempotency-key": "card-1" });
    expect(replay.body.id).toBe(created.body.id);
    expect((await api.call("GET", "/v1/stamp-cards")).body.data).toHaveLength(1);
    const id = created.body.id as string;

    const changed = await api.call("PATCH", `/v1/stamp-cards/${id}`, { stamps: 6, maxPerOrder: 3 });
    expect(changed.body).toMatchObject({ stamps: 6, maxPerOrder: 3, name: "Coffee card" });
    expect((await send(api, order("quan", [LATTE(8)]))).effects.stamps[0]).toMatchObject({ added: 3, balance: 3 });

    expect((await api.call("PATCH", `/v1/stamp-cards/${id}`, { status: "disabled" })).body.status).toBe("disabled");
    expect((await send(api, order("quan", [LATTE(2)]))).effects.stamps).toBeUndefined();
    expect((await api.call("GET", "/v1/stamp-cards?status=disabled")).body.data).toHaveLength(1);
    expect((await cards(api, "quan"))[0]).toMatchObject({ status: "disabled", stamps: 3 });

    expect((await api.call("POST", `/v1/stamp-cards/${id}/archive`)).body.status).toBe("archived");
    expect(await cards(api, "quan")).toEqual([]);
    expect((await api.call("PATCH", `/v1/stamp-cards/${id}`, { stamps: 8 })).body).toMatchObject({ code: "STAMP_CARD_INVALID", details: { field: "status" } });
    expect((await api.call("GET", "/v1/stamp-cards/stc_nope")).body.code).toBe("STAMP_CARD_NOT_FOUND");
    expect((await api.call("GET", "/v1/customers/nobody/stamp-cards")).body.code).toBe("CUSTOMER_NOT_FOUND");
    const audit = (await api.call("GET", "/v1/audit-log?limit=50")).body.data.map((a: { action: string }) => a.action);
    expect(audit).toEqual(expect.arrayContaining(["stamp_card.created", "stamp_card.updated", "stamp_card.archived"]));
  });
});

describe("staff confirmations", () => {
  async function staff(api: TestApi, name: string, pin: string, store: string | null = "District 1") {
    const r = await api.call("POST", "/v1/staff", { name, pin, store });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string };
  }

  it("adds staff with a PIN that is never shown, unique among active staff, and disables them", async () => {
    const api = await cafe();
    const mai = await staff(api, "Mai", "4321");
    expect((await api.call("POST", "/v1/staff", { name: "Short", pin: "123" })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/staff", { name: "Letters", pin: "12a4" })).body.code).toBe("VALIDATION_FAILED");
    const taken = await api.call("POST", "/v1/staff", { name: "Copy", pin: "4321" });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe("STAFF_PIN_TAKEN");
    const list = await api.call("GET", "/v1/staff");
    expect(list.body.data).toEqual([{ id: mai.id, name: "Mai", store: "District 1", status: "active", hasKey: false, createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect(list.text).not.toContain("4321");
    expect(list.text).not.toContain("scrypt");
    expect((await api.call("POST", `/v1/staff/${mai.id}/disable`)).body.status).toBe("disabled");
    expect((await api.call("POST", "/v1/staff/stf_nope/disable")).body.code).toBe("STAFF_NOT_FOUND");
    // A disabled member's PIN is free again.
    await staff(api, "Nga", "4321");
  });

  it("a good PIN confirms stamps (completing cards like orders do) and names the staff member; a bad PIN confirms nothing and says no more", async () => {
    const api = await cafe();
    const card = await createCard(api, coffeeCard((await freeCoffee(api)).id, { stamps: 3 }));
    const mai = await staff(api, "Mai", "482913");
    const other = await staff(api, "Tuan", "1111", "District 3");
    await api.call("PUT", "/v1/customers/phuong", {});
    const body = { id: "conf-1", pin: "482913", customerId: "phuong", action: { kind: "stamp", cardId: card.id, count: 2 } };

    for (const wrong of [{ ...body, pin: "000000" }, { ...body, staffId: other.id }, { ...body, staffId: "stf_nope" }]) {
      const bad = await api.call("POST", "/v1/staff/confirmations", wrong);
      expect(bad.status).toBe(403);
      expect(bad.body).toEqual({ code: "STAFF_PIN_INVALID", message: "No active staff member has this PIN.", details: {} });
    }
    expect((await cards(api, "phuong"))[0]).toMatchObject({ stamps: 0 });

    // The same id works once the PIN is right: the refused attempt left nothing behind.
    const ok = await api.call("POST", "/v1/staff/confirmations", { ...body, staffId: mai.id });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ id: "conf-1", staff: { id: mai.id, name: "Mai", store: "District 1" }, customerId: "phuong", stamps: { cardId: card.id, added: 2, balance: 2, completed: 0 } });
    const txn = (await api.call("GET", `/v1/transactions/${ok.body.stamps.transactionId}`)).body;
    expect(txn).toMatchObject({ type: "earn", reference: `stamps:${card.id}:confirmation:conf-1`, metadata: { cardId: card.id, confirmationId: "conf-1", staffId: mai.id, staffName: "Mai", store: "District 1" } });

    // The same confirmation again is a replay (the PIN is checked, not compared); another action under its id a conflict.
    const again = await api.call("POST", "/v1/staff/confirmations", { ...body, staffId: mai.id });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(ok.body);
    expect((await api.call("POST", "/v1/staff/confirmations", { ...body, action: { kind: "stamp", cardId: card.id, count: 3 } })).body.code).toBe("IDEMPOTENCY_CONFLICT");
    expect((await cards(api, "phuong"))[0]).toMatchObject({ stamps: 2 });

    // Two more stamps complete the card of 3 and carry one.
    const full = await api.call("POST", "/v1/staff/confirmations", { ...body, id: "conf-2" });
    expect(full.body.stamps).toMatchObject({ added: 2, balance: 1, completed: 1, rewards: [expect.objectContaining({ sequence: 1, code: expect.stringMatching(CODE) })] });
    const completion = (await api.call("GET", `/v1/transactions/${full.body.stamps.rewards[0].transactionId}`)).body;
    expect(completion).toMatchObject({ type: "stamp_completion", metadata: { staffId: mai.id, confirmationId: "conf-2" } });

    // What cannot be confirmed.
    expect((await api.call("POST", "/v1/staff/confirmations", { ...body, id: "c3", customerId: "stranger" })).body.code).toBe("CUSTOMER_NOT_FOUND");
    expect((await api.call("POST", "/v1/staff/confirmations", { ...body, id: "c4", action: { kind: "stamp", cardId: "stc_nope" } })).body.code).toBe("STAMP_CARD_NOT_FOUND");
    await api.call("PATCH", `/v1/stamp-cards/${card.id}`, { status: "disabled" });
    const disabled = await api.call("POST", "/v1/staff/confirmations", { ...body, id: "c5" });
    expect(disabled.status).toBe(409);
    expect(disabled.body.code).toBe("STAMP_CARD_DISABLED");
    // A disabled staff member's PIN confirms nothing.
    await api.call("POST", `/v1/staff/${mai.id}/disable`);
    expect((await api.call("POST", "/v1/staff/confirmations", { ...body, id: "c6" })).body.code).toBe("STAFF_PIN_INVALID");
    const audit = (await api.call("GET", "/v1/audit-log?limit=50")).body.data.filter((a: { action: string }) => a.action === "staff.confirmed");
    expect(audit).toHaveLength(2);
  });

  it("a badge key confirms like the PIN; a new key replaces the old one; a disabled member's key confirms nothing", async () => {
    const api = await cafe();
    const card = await createCard(api, coffeeCard((await freeCoffee(api)).id, { stamps: 5 }));
    const mai = await staff(api, "Mai", "482913");
    await api.call("PUT", "/v1/customers/phuong", {});
    const issued = await api.call("POST", `/v1/staff/${mai.id}/key`, undefined, { "idempotency-key": "key-mai-1" });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({ staff: { id: mai.id, hasKey: true }, key: expect.stringMatching(/^stk_/) });
    // A replay does not show the key again, and the list never does.
    expect((await api.call("POST", `/v1/staff/${mai.id}/key`, undefined, { "idempotency-key": "key-mai-1" })).body.key).toBeNull();
    expect((await api.call("GET", "/v1/staff")).text).not.toContain(issued.body.key);

    const stamp = (id: string, key: string) => api.call("POST", "/v1/staff/confirmations", { id, key, customerId: "phuong", action: { kind: "stamp", cardId: card.id } });
    const ok = await stamp("k-1", issued.body.key);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ staff: { id: mai.id, name: "Mai" }, stamps: { added: 1, balance: 1 } });
    const bad = await stamp("k-2", "stk_not-a-real-key");
    expect(bad.status).toBe(403);
    expect(bad.body).toEqual({ code: "STAFF_KEY_INVALID", message: "No active staff member holds this key.", details: {} });
    // Both or neither of pin and key is malformed.
    expect((await api.call("POST", "/v1/staff/confirmations", { id: "k-3", pin: "482913", key: issued.body.key, customerId: "phuong", action: { kind: "stamp", cardId: card.id } })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/staff/confirmations", { id: "k-3", customerId: "phuong", action: { kind: "stamp", cardId: card.id } })).body.code).toBe("VALIDATION_FAILED");

    const next = (await api.call("POST", `/v1/staff/${mai.id}/key`)).body.key as string;
    expect((await stamp("k-4", issued.body.key)).body.code).toBe("STAFF_KEY_INVALID");
    expect((await stamp("k-5", next)).body.stamps).toMatchObject({ balance: 2 });
    await api.call("POST", `/v1/staff/${mai.id}/disable`);
    expect((await stamp("k-6", next)).body.code).toBe("STAFF_KEY_INVALID");
    expect((await api.call("POST", `/v1/staff/${mai.id}/key`)).body.code).toBe("STAFF_NOT_ACTIVE");
    expect((await api.call("POST", "/v1/staff/stf_nope/key")).body.code).toBe("STAFF_NOT_FOUND");
    expect((await cards(api, "phuong"))[0]).toMatchObject({ stamps: 2 });
  });

  it("story 7: a coffee chain gives points when the customer brings their own cup, confirmed by staff", async () => {
    const api = await cafe();
    const rule = await api.call("POST", "/v1/rules", { name: "Own cup", trigger: { event: "custom", name: "own_cup" }, effect: { kind: "fixed", points: 5 }, limits: [{ per: "day", maxAwards: 1 }] });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const linh = await staff(api, "Linh", "2468");
    await api.call("PUT", "/v1/customers/khoa", {});
    const cup = (id: string) => ({ id, pin: "2468", customerId: "khoa", action: { kind: "custom", name: "own_cup", data: { cup: "keep-cup" } } });
    const r = await api.call("POST", "/v1/staff/confirmations", cup("cup-1"));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.event.effects).toMatchObject({ pointsEarned: 5, awards: [expect.objectContaining({ ruleId: rule.body.id, points: 5 })] });
    const txn = (await api.call("GET", `/v1/transactions/${r.body.event.effects.transactionId}`)).body;
    expect(txn.metadata).toMatchObject({ eventId: "staff-confirmation:cup-1", confirmedBy: linh.id });
    // The rule's own limit still applies: one cup a day.
    const second = await api.call("POST", "/v1/staff/confirmations", cup("cup-2"));
    expect(second.body.event.effects.pointsEarned ?? 0).toBe(0);
    expect((await api.call("GET", "/v1/customers/khoa/balances")).body.available).toBe(5);
    // A wrong PIN records no event.
    expect((await api.call("POST", "/v1/staff/confirmations", { ...cup("cup-3"), pin: "1357" })).status).toBe(403);
    const events = (await api.call("GET", "/v1/customers/khoa/transactions")).body.data;
    expect(events).toHaveLength(1);
  });
});
