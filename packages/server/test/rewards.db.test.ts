import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows, type Database } from "../src/db/connect.ts";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";

/** The reward catalogue, redemption, codes at checkout, cancellation and refunds, through the API. */

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

const shop = (clock?: FakeClock, validateRateLimit?: number) =>
  testApi({
    database,
    ...(clock ? { clock } : {}),
    ...(validateRateLimit ? { validateRateLimit } : {}),
    program: { name: "Shop", currency: "VND", timeZone: "Asia/Ho_Chi_Minh", earning: { enabled: true, points: 1, per: 1_000, rounding: "floor" } },
  });

async function reward(api: TestApi, body: Record<string, unknown>) {
  const r = await api.call("POST", "/v1/rewards", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string };
}

const balance = async (api: TestApi, c: string) => (await api.call("GET", `/v1/customers/${c}/balances`)).body.available as number;
async function give(api: TestApi, c: string, amount: number) {
  await api.call("PUT", `/v1/customers/${c}`, {});
  expect((await api.call("POST", `/v1/customers/${c}/adjustments`, { amount, reason: "seed" })).status).toBe(201);
}
const lines = [{ sku: "LAT", quantity: 2, unitPrice: 55_000 }, { sku: "CRO", quantity: 1, unitPrice: 32_000 }];

describe("catalogue", () => {
  it("creates, lists, changes and refuses malformed rewards", async () => {
    const api = await shop();
    const off = await reward(api, { name: "20,000 ₫ off", kind: "fixed_discount", config: { amount: 20_000 }, cost: 200, minOrder: 100_000, validDays: 30 });
    await reward(api, { name: "10% off (max 50,000 ₫)", kind: "percent_discount", config: { percent: 10, cap: 50_000 }, cost: 300 });
    const list = await api.call("GET", "/v1/rewards");
    expect(list.body.data.map((r: { name: string }) => r.name)).toEqual(["20,000 ₫ off", "10% off (max 50,000 ₫)"]);
    expect(list.body.data[0]).toMatchObject({ kind: "fixed_discount", cost: 200, stock: null, available: null, issued: 0, status: "enabled" });
    const changed = await api.call("PATCH", `/v1/rewards/${off.id}`, { cost: 250, stock: 10 });
    expect(changed.body).toMatchObject({ cost: 250, stock: 10, available: 10 });
    for (const [body, field] of [
      [{ name: "x", kind: "fixed_discount", config: {}, cost: 1 }, "config.amount"],
      [{ name: "x", kind: "free_product", config: { amount: 5 }, cost: 1 }, "config.sku"],
      [{ name: "x", kind: "physical_gift", cost: 1, minOrder: 10 }, "minOrder"],
      [{ name: "x", kind: "physical_gift", cost: 1, condition: "customer.nope > 1" }, "condition"],
    ] as const) {
      const r = await api.call("POST", "/v1/rewards", body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body).toMatchObject({ code: "REWARD_INVALID", details: { field } });
    }
    expect((await api.call("POST", "/v1/rewards", { name: "x", kind: "cash", cost: 1 })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("GET", "/v1/rewards/rwd_nope")).body.code).toBe("REWARD_NOT_FOUND");
  });
});

describe("redeem, use at checkout, cancel", () => {
  it("debits the soonest-expiring points, issues a code that validates against a cart and is used by an order event, once", async () => {
    const api = await shop();
    const off = await reward(api, { name: "20,000 ₫ off", kind: "fixed_discount", config: { amount: 20_000 }, cost: 200, minOrder: 100_000, validDays: 30 });
    await give(api, "mai", 500);
    const r = await api.call("POST", "/v1/customers/mai/redemptions", { rewardId: off.id }, { "idempotency-key": "redeem-1" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: "issued", points: 200, customerId: "mai", reward: { name: "20,000 ₫ off", kind: "fixed_discount" } });
    expect(r.body.code).toMatch(/^[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}$/);
    expect(await balance(api, "mai")).toBe(300);
    // A retry with the same key is the same redemption, not a second one.
    const again = await api.call("POST", "/v1/customers/mai/redemptions", { rewardId: off.id }, { "idempotency-key": "redeem-1" });
    expect(again.body.id).toBe(r.body.id);
    expect(await balance(api, "mai")).toBe(300);
    const txn = await api.call("GET", `/v1/transactions/${r.body.transactionId}`);
    expect(txn.body).toMatchObject({ type: "redemption", change: { available: -200 } });

    const code = r.body.code as string;
    const typed = code.toLowerCase().replace(/-/g, " ");
    expect((await api.call("POST", "/v1/codes/validate", { code: typed, customerId: "mai", cart: { lines } })).body).toMatchObject({ valid: true, discount: 20_000, currency: "VND", redemptionId: r.body.id });
    expect((await api.call("POST", "/v1/codes/validate", { code, cart: { lines: [{ sku: "CRO", quantity: 1, unitPrice: 32_000 }] } })).body).toMatchObject({ valid: false, reason: "MIN_ORDER_NOT_MET" });
    const notValid = { valid: false, reason: "CODE_NOT_VALID", message: "This code is not valid." };
    expect((await api.call("POST", "/v1/codes/validate", { code, customerId: "someone-else", cart: { lines } })).body).toEqual(notValid);

    // An order dated before the code was issued cannot have used it.
    const early = await api.call("POST", "/v1/events", { id: "o0", type: "order.completed", customerId: "mai", occurredAt: "2026-03-09T03:00:00Z", data: { orderId: "A-0", currency: "VND", lines, codes: [code] } });
    expect(early.body.effects.codes).toEqual([{ code, status: "not_valid" }]);
    const order = { id: "o1", type: "order.completed", customerId: "mai", data: { orderId: "A-1", currency: "VND", lines, discount: 20_000, codes: [code, "NOPE-NOPE-NOPE"] } };
    const used = await api.call("POST", "/v1/events", order);
    expect(used.body.effects.codes).toEqual([{ code, status: "used", redemptionId: r.body.id }, { code: "NOPE-NOPE-NOPE", status: "not_valid" }]);
    expect((await api.call("GET", `/v1/redemptions/${r.body.id}`)).body).toMatchObject({ status: "used", usedOrderId: expect.any(String) });
    // Used: not valid any more, cannot be used again or cancelled.
    expect((await api.call("POST", "/v1/codes/validate", { code, cart: { lines } })).body).toEqual(notValid);
    const second = await api.call("POST", "/v1/events", { ...order, id: "o2", data: { ...order.data, orderId: "A-2" } });
    expect(second.body.effects.codes).toEqual([{ code, status: "not_valid" }, { code: "NOPE-NOPE-NOPE", status: "not_valid" }]);
    expect((await api.call("POST", `/v1/redemptions/${r.body.id}/cancel`, { reason: "changed mind" })).body.code).toBe("REDEMPTION_NOT_CANCELLABLE");

    // Refunding the order in full gives the reward's points back, once.
    const before = await balance(api, "mai");
    const refund = await api.call("POST", "/v1/events", { id: "rf1", type: "order.refunded", customerId: "mai", data: { orderId: "A-1", refundId: "R-1" } });
    expect(refund.body.effects).toMatchObject({ pointsReturned: 200 });
    const earnedOnA1 = used.body.effects.pointsEarned as number;
    expect(await balance(api, "mai")).toBe(before - earnedOnA1 + 200);
    expect((await api.call("GET", `/v1/redemptions/${r.body.id}`)).body.returnTransactionId).toEqual(expect.any(String));
  });

  it("cancels an issued redemption and returns the points and the stock once; expired codes are not valid", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await shop(clock);
    const off = await reward(api, { name: "Free shipping", kind: "free_shipping", cost: 100, stock: 1, validDays: 7 });
    await give(api, "tam", 300);
    const r = await api.call("POST", "/v1/customers/tam/redemptions", { rewardId: off.id });
    expect((await api.call("GET", `/v1/rewards/${off.id}`)).body).toMatchObject({ issued: 1, available: 0 });
    expect((await api.call("POST", "/v1/customers/tam/redemptions", { rewardId: off.id })).body.code).toBe("REWARD_OUT_OF_STOCK");
    const c1 = await api.call("POST", `/v1/redemptions/${r.body.id}/cancel`, { reason: "customer asked" });
    expect(c1.body).toMatchObject({ status: "cancelled", returnTransactionId: expect.any(String) });
    expect((await api.call("POST", `/v1/redemptions/${r.body.id}/cancel`, { reason: "again" })).body.code).toBe("REDEMPTION_NOT_CANCELLABLE");
    expect(await balance(api, "tam")).toBe(300);
    expect((await api.call("GET", `/v1/rewards/${off.id}`)).body).toMatchObject({ issued: 0, available: 1 });
    // The generic reversal endpoint refuses a redemption: cancelling is the way.
    expect((await api.call("POST", `/v1/transactions/${r.body.transactionId}/reverse`, { reason: "x" })).body.code).toMatch(/REVERSAL_NOT_ALLOWED|ALREADY_REVERSED/);

    const r2 = await api.call("POST", "/v1/customers/tam/redemptions", { rewardId: off.id });
    expect((await api.call("POST", "/v1/codes/validate", { code: r2.body.code, cart: { lines, shipping: 30_000 } })).body).toMatchObject({ valid: true, discount: 30_000 });
    clock.advanceDays(8);
    expect((await api.call("POST", "/v1/codes/validate", { code: r2.body.code, cart: { lines, shipping: 30_000 } })).body.reason).toBe("CODE_NOT_VALID");
    expect((await api.call("GET", `/v1/redemptions/${r2.body.id}`)).body.status).toBe("expired");
    expect((await api.call("POST", `/v1/redemptions/${r2.body.id}/cancel`, { reason: "late" })).body.code).toBe("REDEMPTION_NOT_CANCELLABLE");
  });

  it("refuses what the customer cannot have: too few points, a limit per period, a condition, dates", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await shop(clock);
    const cake = await reward(api, { name: "Free croissant", kind: "free_product", config: { sku: "CRO" }, cost: 50, perCustomer: { max: 1, per: "day" } });
    const vip = await reward(api, { name: "VIP mug", kind: "physical_gift", cost: 10, condition: 'hasTag("vip")' });
    const later = await reward(api, { name: "Summer", kind: "free_shipping", cost: 10, activeFrom: "2026-06-01T00:00:00+07:00" });
    await give(api, "ha", 120);
    expect((await api.call("POST", "/v1/customers/ha/redemptions", { rewardId: cake.id })).status).toBe(201);
    expect((await api.call("POST", "/v1/customers/ha/redemptions", { rewardId: cake.id })).body.code).toBe("REWARD_LIMIT_REACHED");
    clock.advanceDays(1);
    expect((await api.call("POST", "/v1/customers/ha/redemptions", { rewardId: cake.id })).status).toBe(201);
    expect((await api.call("POST", "/v1/customers/ha/redemptions", { rewardId: vip.id })).body.code).toBe("REWARD_NOT_AVAILABLE");
    expect((await api.call("POST", "/v1/customers/ha/redemptions", { rewardId: later.id })).body.code).toBe("REWARD_NOT_AVAILABLE");
    await api.call("PATCH", "/v1/customers/ha", { tags: ["vip"] });
    const gift = await api.call("POST", "/v1/customers/ha/redemptions", { rewardId: vip.id });
    expect(gift.body).toMatchObject({ fulfilment: "pending", code: null });
    expect((await api.call("POST", `/v1/redemptions/${gift.body.id}/fulfilment`, { status: "shipped" })).body.fulfilment).toBe("shipped");
    expect((await api.call("POST", `/v1/redemptions/${gift.body.id}/cancel`, { reason: "x" })).body.code).toBe("REDEMPTION_NOT_CANCELLABLE");
    expect((await api.call("POST", `/v1/redemptions/${gift.body.id}/fulfilment`, { status: "delivered" })).body).toMatchObject({ fulfilment: "delivered", status: "used" });
    clock.advanceDays(1);
    const poor = await api.call("POST", "/v1/customers/ha/redemptions", { rewardId: cake.id });
    expect(poor.body).toMatchObject({ code: "INSUFFICIENT_POINTS", details: { available: 10, required: 50 } });
    expect((await api.call("GET", "/v1/customers/ha/redemptions")).body.data).toHaveLength(3);
  });

  /** An upload's answer and what the pool then holds (sorted by code unit). */
  async function pool(api: TestApi, body: Record<string, unknown>) {
    const sun = await reward(api, { name: "Sunscreen", kind: "partner_coupon", config: { partner: "Travel Co" }, cost: 10 });
    const up = await api.call("POST", `/v1/rewards/${sun.id}/codes`, body);
    const codes = await rows<{ code: string }>(api.ctx.db, sql`select code from reward_pool_codes where reward_id = ${sun.id}`);
    return { status: up.status, body: up.body, codes: codes.map((c) => c.code).sort() };
  }

  it("takes a `codes` list as it is: no CSV reading of its entries", async () => {
    const api = await shop();
    // Each was read as a CSV line: "A,B" became "A" (the customer got a code the partner never issued),
    // a first entry "code" was skipped as a header, and quotes were stripped.
    expect(await pool(api, { codes: ["code", "PARTNER,7", '"Q1"', "X;2"] })).toEqual({ status: 200, body: { added: 4, duplicates: 0, available: 4 }, codes: ['"Q1"', "PARTNER,7", "X;2", "code"] });
  });

  it("reads a CSV's first column as spreadsheets write it: quoted fields, `;` and tab separators, CRLF, a BOM, blank lines", async () => {
    const api = await shop();
    expect(await pool(api, { csv: '\ufeffcode,note\r\n"SUN,1",x\r\n\r\n"SUN""2",y\r\nSUN-3\r\nSUN-3\r\n' })).toEqual({ status: 200, body: { added: 3, duplicates: 1, available: 3 }, codes: ['SUN"2', "SUN,1", "SUN-3"] });
    // A semicolon CSV (spreadsheets in many locales) stored "code;note" and "SUN-4;x" as codes.
    expect(await pool(api, { csv: "code;note\nSUN-4;x\n" })).toMatchObject({ status: 200, codes: ["SUN-4"] });
    expect(await pool(api, { csv: "code\tnote\nSUN-5\tx\n" })).toMatchObject({ status: 200, codes: ["SUN-5"] });
  });

  it("hands out partner codes from an uploaded pool, each once", async () => {
    const api = await shop();
    const sun = await reward(api, { name: "Sunscreen from Travel Co", kind: "partner_coupon", config: { partner: "Travel Co" }, cost: 10 });
    const up = await api.call("POST", `/v1/rewards/${sun.id}/codes`, { csv: "code\nSUN-001\nSUN-002\nSUN-002\nSUN-003\n" });
    expect(up.body).toEqual({ added: 3, duplicates: 1, available: 3 });
    expect((await api.call("POST", `/v1/rewards/${sun.id}/codes`, { codes: ["SUN-003", "SUN-004"] })).body).toEqual({ added: 1, duplicates: 1, available: 4 });
    await give(api, "lan", 100);
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await api.call("POST", "/v1/customers/lan/redemptions", { rewardId: sun.id })).body.partnerCode);
    expect(new Set(got).size).toBe(4);
    expect((await api.call("POST", "/v1/customers/lan/redemptions", { rewardId: sun.id })).body.code).toBe("REWARD_OUT_OF_STOCK");
    expect(await balance(api, "lan")).toBe(60);
  });
});

describe("wallet credit rewards", () => {
  it("buys bonus or cash credit with points in one ledger transaction; the credit expires or is held as configured, and is not cancellable", async () => {
    const clock = new FakeClock(new Date("2026-05-10T03:00:00Z"));
    const api = await shop(clock);
    expect((await api.call("PATCH", "/v1/program", { wallet: { payouts: { minAmount: 10_000, maxAmount: 1_000_000, holdDays: 7 } } })).status).toBe(200);
    const bonus = await reward(api, { name: "50,000 ₫ store credit", kind: "wallet_credit", config: { asset: "bonus", amount: 50_000, expiry: { kind: "days", days: 30 } }, cost: 500 });
    const cash = await reward(api, { name: "20,000 ₫ cash back", kind: "wallet_credit", config: { asset: "cash", amount: 20_000 }, cost: 400, stock: 1 });
    for (const [body, field] of [
      [{ name: "x", kind: "wallet_credit", config: { amount: 5 }, cost: 1 }, "config.asset"],
      [{ name: "x", kind: "wallet_credit", config: { asset: "bonus" }, cost: 1 }, "config.amount"],
      [{ name: "x", kind: "wallet_credit", config: { asset: "bonus", amount: 5, sku: "A" }, cost: 1 }, "config.sku"],
      [{ name: "x", kind: "wallet_credit", config: { asset: "bonus", amount: 5 }, cost: 1, validDays: 3 }, "validDays"],
    ] as const) {
      const r = await api.call("POST", "/v1/rewards", body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body).toMatchObject({ code: "REWARD_INVALID", details: { field } });
    }
    expect((await api.call("POST", "/v1/rewards", { name: "x", kind: "wallet_credit", config: { asset: "points", amount: 5 }, cost: 1 })).body.code).toBe("VALIDATION_FAILED");

    await give(api, "mai", 1_000);
    const r1 = await api.call("POST", "/v1/customers/mai/redemptions", { rewardId: bonus.id });
    expect(r1.status, JSON.stringify(r1.body)).toBe(201);
    expect(r1.body).toMatchObject({ status: "used", points: 500, code: null, usedAt: "2026-05-10T03:00:00.000Z" });
    const r2 = await api.call("POST", "/v1/customers/mai/redemptions", { rewardId: cash.id });
    expect(r2.body).toMatchObject({ status: "used", points: 400 });
    expect(await balance(api, "mai")).toBe(100);

    // One ledger transaction moves both assets; each balances on its own.
    const txn = (await api.call("GET", `/v1/transactions/${r1.body.transactionId}`)).body;
    expect(txn.type).toBe("redemption");
    const byAsset = (asset: string) => txn.postings.filter((p: { asset: string }) => p.asset === asset).map((p: { amount: number; source: string; destination: string }) => [p.source.split(":")[0], p.destination.split(":")[0], p.amount]);
    expect(byAsset("points")).toEqual([["customer", "redeemed", 500]]);
    expect(byAsset("bonus")).toEqual([["world", "customer", 50_000]]);

    const wallet = (await api.call("GET", "/v1/customers/mai/wallet")).body;
    expect(wallet.bonus).toMatchObject({ available: 50_000, nextExpiry: { amount: 50_000, expiresAt: expect.stringMatching(/^2026-06-/) } });
    expect(wallet.cash).toMatchObject({ available: 0, pending: 20_000, pendingLots: [{ amount: 20_000, availableAt: expect.stringMatching(/^2026-05-17/) }] });

    // Cancelling is refused: the customer already holds what they bought (an adjustment takes it back).
    const c = await api.call("POST", `/v1/redemptions/${r1.body.id}/cancel`, { reason: "changed mind" });
    expect(c.body).toMatchObject({ code: "REDEMPTION_NOT_CANCELLABLE" });
    // Stock and insufficient points behave as for every reward, and a refusal credits nothing.
    await give(api, "lan", 1_000);
    expect((await api.call("POST", "/v1/customers/lan/redemptions", { rewardId: cash.id })).body.code).toBe("REWARD_OUT_OF_STOCK");
    expect((await api.call("POST", "/v1/customers/mai/redemptions", { rewardId: bonus.id })).body.code).toBe("INSUFFICIENT_POINTS");
    expect((await api.call("GET", "/v1/customers/lan/wallet")).body.bonus.available).toBe(0);

    clock.advanceDays(31);
    expect((await api.call("GET", "/v1/customers/mai/wallet")).body.bonus.available).toBe(0);
    expect((await api.call("GET", "/v1/customers/mai/wallet")).body.cash.available).toBe(20_000);
  });
});

describe("guessing codes", () => {
  it("10,000 random guesses hit nothing, and every kind of invalid code gets the same answer", async () => {
    const api = await shop();
    const off = await reward(api, { name: "Off", kind: "fixed_discount", config: { amount: 1_000 }, cost: 1 });
    await give(api, "kim", 100);
    for (let i = 0; i < 20; i++) await api.call("POST", "/v1/customers/kim/redemptions", { rewardId: off.id });
    const alphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ";
    const guesses = Array.from({ length: 10_000 }, () => Array.from({ length: 12 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join(""));
    let hits = 0;
    const answers = new Set<string>();
    for (let i = 0; i < guesses.length; i += 100) {
      const rs = await Promise.all(guesses.slice(i, i + 100).map((code) => api.call("POST", "/v1/codes/validate", { code, cart: { lines } })));
      for (const r of rs) {
        if (r.body.valid) hits++;
        answers.add(r.text);
      }
    }
    expect(hits).toBe(0);
    expect([...answers]).toEqual([JSON.stringify({ valid: false, reason: "CODE_NOT_VALID", message: "This code is not valid." })]);
  }, 300_000); // 10,000 requests: about 30 s on PGlite on a quiet machine, more on a busy one

  it("rate limits the validate endpoint per key", async () => {
    const api = await shop(undefined, 5);
    const rs = await Promise.all(Array.from({ length: 30 }, () => api.call("POST", "/v1/codes/validate", { code: "AAAA-AAAA-AAAA", cart: { lines } })));
    expect(rs.filter((r) => r.status === 429 && r.body.code === "RATE_LIMITED").length).toBeGreaterThan(0);
    expect(rs.filter((r) => r.status === 200).length).toBeLessThanOrEqual(10);
  });
});

describe("pay with points, and the points about to expire", () => {
  it("spends points as money off within the program's minimum, maximum and step; the code pays at checkout", async () => {
    const api = await shop();
    expect((await api.call("POST", "/v1/customers/an/pay-with-points", { points: 100 })).body.code).toBe("REWARD_NOT_AVAILABLE");
    const set = await api.call("PATCH", "/v1/program", { payWithPoints: { points: 100, money: 10_000, minPoints: 100, maxPoints: 1_000, step: 50 } });
    expect(set.status).toBe(200);
    await give(api, "an", 600);
    for (const [points, orderTotal] of [[50, undefined], [1_050, undefined], [175, undefined], [500, 40_000]] as const) {
      const r = await api.call("POST", "/v1/customers/an/pay-with-points", { points, ...(orderTotal ? { orderTotal } : {}) });
      expect(r.status, String(points)).toBe(422);
      expect(r.body.code).toBe("POINTS_AMOUNT_INVALID");
    }
    const paid = await api.call("POST", "/v1/customers/an/pay-with-points", { points: 250, orderTotal: 142_000 });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ points: 250, rewardId: "pay_with_points", reward: { kind: "fixed_discount", config: { amount: 25_000 } }, status: "issued" });
    expect(await balance(api, "an")).toBe(350);
    expect((await api.call("POST", "/v1/codes/validate", { code: paid.body.code, cart: { lines } })).body).toMatchObject({ valid: true, discount: 25_000 });
    expect((await api.call("POST", "/v1/customers/an/pay-with-points", { points: 400 })).body.code).toBe("INSUFFICIENT_POINTS");
    const cancelled = await api.call("POST", `/v1/redemptions/${paid.body.id}/cancel`, { reason: "cart abandoned" });
    expect(cancelled.body.status).toBe("cancelled");
    expect(await balance(api, "an")).toBe(600);
  });

  it("reports the points expiring in the next N days, per local date", async () => {
    const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
    const api = await shop(clock);
    await api.call("PUT", "/v1/customers/x1", {});
    await api.call("PUT", "/v1/customers/x2", {});
    await api.call("POST", "/v1/customers/x1/adjustments", { amount: 100, reason: "a", expiry: { kind: "days", days: 10 } });
    await api.call("POST", "/v1/customers/x2/adjustments", { amount: 40, reason: "b", expiry: { kind: "days", days: 10 } });
    await api.call("POST", "/v1/customers/x2/adjustments", { amount: 7, reason: "c", expiry: { kind: "days", days: 60 } });
    await api.call("POST", "/v1/customers/x2/adjustments", { amount: 9, reason: "d" });
    const r = await api.call("GET", "/v1/ledger/expiring?days=30");
    expect(r.body).toMatchObject({ days: 30, points: 140, customers: 2, byDay: [{ date: "2026-03-20", points: 140, customers: 2 }] });
    expect((await api.call("GET", "/v1/ledger/expiring?days=90")).body.points).toBe(147);
    clock.advanceDays(11);
    expect((await api.call("GET", "/v1/ledger/expiring?days=30")).body.points).toBe(0);
  });

  // The days are the program's local days as core computes them (Intl), not the database's idea of
  // the zone: PostgreSQL does not know US/Pacific-New at all (a 500), though the program accepted it.
  // (IST and AET, which PostgreSQL read differently or not at all, are now refused as time zones:
  // zoned.test.ts.)
  for (const [name, iana] of [["US/Pacific-New", "America/Los_Angeles"]] as const) {
    it(`reports the same local dates for a program in ${name} as for one in ${iana}`, async () => {
      const answers = [];
      for (const timeZone of [name, iana]) {
        const api = await testApi({ database, clock: new FakeClock(new Date("2026-03-10T03:00:00Z")), program: { name: "Shop", currency: "VND", timeZone } });
        await api.call("PUT", "/v1/customers/x1", {});
        expect((await api.call("POST", "/v1/customers/x1/adjustments", { amount: 100, reason: "a", expiry: { kind: "end_of_month", months: 0 } })).status).toBe(201);
        expect((await api.call("POST", "/v1/customers/x1/adjustments", { amount: 5, reason: "b", expiry: { kind: "days", days: 3 } })).status).toBe(201);
        const r = await api.call("GET", "/v1/ledger/expiring?days=60");
        expect(r.status, `${timeZone}: ${r.text}`).toBe(200);
        answers.push(r.body);
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[1].points).toBe(105);
    });
  }

  it("gives each lot the local date it expires on, around a daylight saving change", async () => {
    // New York moves to summer time on 8 March 2026: a lot expiring at local midnight of 1 April.
    const api = await testApi({ database, clock: new FakeClock(new Date("2026-03-10T03:00:00Z")), program: { name: "Shop", currency: "USD", timeZone: "America/New_York" } });
    await api.call("PUT", "/v1/customers/x1", {});
    await api.call("POST", "/v1/customers/x1/adjustments", { amount: 100, reason: "a", expiry: { kind: "end_of_month", months: 0 } });
    const balances = (await api.call("GET", "/v1/customers/x1/balances")).body;
    expect(balances.expiringSoon[0].expiresAt).toBe("2026-04-01T04:00:00.000Z");
    const r = await api.call("GET", "/v1/ledger/expiring?days=60");
    expect(r.body.byDay).toEqual([{ date: "2026-04-01", points: 100, customers: 1 }]);
  });
});
