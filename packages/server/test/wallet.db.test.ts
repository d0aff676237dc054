import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";
import type { Database } from "../src/db/connect.ts";

// Wallets (bonus and cash), payouts and gift cards through the API: stories 5 and 10 with exact
// figures, the payout lifecycle, gift cards spent in part, refunded and expired, and payments at checkout.
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});

const line = (sku: string, unitPrice: number, quantity = 1, extra: Record<string, unknown> = {}) => ({ sku, unitPrice, quantity, ...extra });

async function ok<T = any>(p: Promise<{ status: number; body: any }>, status = 200): Promise<T> {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body as T;
}

async function wallet(api: TestApi, customer: string) {
  return ok(api.call("GET", `/v1/customers/${customer}/wallet`));
}

async function adjust(api: TestApi, customer: string, asset: "bonus" | "cash", amount: number, extra: Record<string, unknown> = {}) {
  return ok(api.call("POST", `/v1/customers/${customer}/wallet/adjustments`, { asset, amount, reason: "seed", ...extra }), 201);
}

describe("story 5: 5% of every top-up of 10,000 or more to the bonus balance", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database, program: { currency: "VND", timeZone: "Asia/Ho_Chi_Minh" } });
    await ok(
      api.call("POST", "/v1/rules", {
        name: "Top-up cashback", trigger: { event: "wallet.topped_up" }, condition: "event.data.amount >= 10000",
        effect: { kind: "per_amount", asset: "bonus", points: 5, per: 100, base: "amount" },
      }),
      201,
    );
  });
  const topUp = (id: string, amount: number, currency = "VND") => api.call("POST", "/v1/events", { id, type: "wallet.topped_up", customerId: "reader", data: { amount, currency, topUpId: `T-${id}` } });

  it("a top-up of 10,000 gives 500 bonus; 9,999 gives nothing; the top-up itself credits no balance", async () => {
    const yes = await topUp("t1", 10_000);
    expect(yes.body).toMatchObject({ status: "accepted", effects: { pointsEarned: 0, awards: [expect.objectContaining({ asset: "bonus", points: 500 })] } });
    const no = await topUp("t2", 9_999);
    expect(no.body).toMatchObject({ status: "accepted", effects: {} });
    const w = await wallet(api, "reader");
    expect(w).toMatchObject({ currency: "VND", bonus: { available: 500, pending: 0, nextExpiry: null }, cash: { available: 0, pending: 0, onHold: 0 } });
    expect((await api.call("GET", "/v1/customers/reader/balances")).body.available).toBe(0);
    const txn = await ok(api.call("GET", `/v1/transactions/${yes.body.effects.transactionId}`));
    expect(txn.postings).toEqual([expect.objectContaining({ source: "world", destination: expect.stringMatching(/^customer:cus_.*:available$/), asset: "bonus", amount: 500 })]);
  });

  it("25,050 gives 1,252 (rounded down); the history shows each credit", async () => {
    expect((await topUp("t3", 25_050)).body.effects.awards[0].points).toBe(1_252);
    expect((await wallet(api, "reader")).bonus.available).toBe(1_752);
    const history = await ok(api.call("GET", "/v1/customers/reader/wallet/history?asset=bonus"));
    expect(history.data.map((t: { type: string; change: { available: number } }) => [t.type, t.change.available])).toEqual([["earn", 1_252], ["earn", 500]]);
    expect((await ok(api.call("GET", "/v1/customers/reader/wallet/history?asset=cash"))).data).toEqual([]);
    const paged = await ok(api.call("GET", "/v1/customers/reader/wallet/history?asset=bonus&limit=1"));
    expect(paged.data).toHaveLength(1);
    const next = await ok(api.call("GET", `/v1/customers/reader/wallet/history?asset=bonus&limit=1&cursor=${paged.nextCursor}`));
    expect(next.data[0].change.available).toBe(500);
    expect(next.nextCursor).toBeNull();
  });

  it("a top-up in another currency is refused with CURRENCY_MISMATCH and credits nothing", async () => {
    const r = await topUp("t4", 50_000, "USD");
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "CURRENCY_MISMATCH", details: { expected: "VND", got: "USD" } });
    expect((await wallet(api, "reader")).bonus.available).toBe(1_752);
  });

  it("typed refusals: base amount outside top-ups, top-ups without an amount, bad history asset", async () => {
    const bad = await api.call("POST", "/v1/rules", { name: "x", trigger: { event: "order.completed" }, effect: { kind: "per_amount", asset: "bonus", points: 1, per: 100, base: "amount" } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "RULE_INVALID", details: { field: "effect.base" } });
    const noAmount = await api.call("POST", "/v1/events", { id: "t5", type: "wallet.topped_up", customerId: "reader", data: { currency: "VND" } });
    expect(noAmount.status).toBe(400);
    expect((await api.call("POST", "/v1/events", { id: "t6", type: "wallet.topped_up", customerId: "reader", data: { amount: 0, currency: "VND" } })).status).toBe(400);
    expect((await api.call("GET", "/v1/customers/reader/wallet/history?asset=points")).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("GET", "/v1/customers/nobody/wallet")).body.code).toBe("CUSTOMER_NOT_FOUND");
  });

  it("the bonus balance can never be paid out", async () => {
    const r = await api.call("POST", "/v1/customers/reader/payouts", { amount: 500 });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "INSUFFICIENT_FUNDS", details: { asset: "cash", available: 0, required: 500 } });
    // There is no way to name the bonus balance in a payout.
    expect((await api.call("POST", "/v1/customers/reader/payouts", { amount: 500, asset: "bonus" })).body.code).toBe("VALIDATION_FAILED");
    expect((await wallet(api, "reader")).bonus.available).toBe(1_752);
    expect((await ok(api.call("GET", "/v1/payouts"))).data).toEqual([]);
  });
});

describe("story 10: a percentage of each purchase as a discount on the next one within 3 months", () => {
  let api: TestApi;
  const clock = new FakeClock(new Date("2026-03-10T10:00:00Z"));
  beforeAll(async () => {
    api = await testApi({ database, clock, program: { currency: "RON", timeZone: "Europe/Bucharest" } });
    await ok(
      api.call("POST", "/v1/rules", {
        name: "10% back for your next purchase", trigger: { event: "order.completed" },
        effect: { kind: "per_amount", asset: "bonus", points: 10, per: 100, base: "earning_base" }, expiry: { kind: "days", days: 90 },
      }),
      201,
    );
  });
  const order = (id: string, lines: unknown[]) => api.call("POST", "/v1/events", { id, type: "order.completed", customerId: "ioana", data: { orderId: id, currency: "RON", lines } });

  it("an order of 450.00 RON credits 45.00 bonus that expires 90 days later", async () => {
    const r = await order("O-1", [line("dress", 22_500, 2)]);
    expect(r.body.effects.awards).toEqual(expect.arrayContaining([expect.objectContaining({ asset: "bonus", points: 4_500, expiresAt: "2026-06-08T10:00:00.000Z" })]));
    expect((await wallet(api, "ioana")).bonus).toMatchObject({ available: 4_500, nextExpiry: { amount: 4_500, expiresAt: "2026-06-08T10:00:00.000Z" } });
  });

  it("30 days later it pays 45.00 of a 120.00 RON cart, which leaves 75.00 to pay", async () => {
    clock.set("2026-04-09T10:00:00Z");
    const cart = { customerId: "ioana", lines: [line("shirt", 12_000)] };
    const ev = await ok(api.call("POST", "/v1/carts/evaluate", { ...cart, payments: { bonus: "max" } }));
    expect(ev).toMatchObject({ total: 12_000, payments: { bonus: { requested: "max", balance: 4_500, amount: 4_500, shortfall: 0 }, cash: null, giftCards: [], paid: 4_500, amountDue: 7_500 } });
    const done = await ok(api.call("POST", "/v1/carts/complete", { ...cart, orderId: "O-2", payments: { bonus: 4_500 } }));
    expect(done.payments).toMatchObject({ paid: 4_500, amountDue: 7_500, transactions: [expect.objectContaining({ source: "bonus", amount: 4_500, refundTransactionId: null })] });
    expect((await wallet(api, "ioana")).bonus.available).toBe(0);
    // The store then records the order for earning: a wallet payment is a payment, not a discount.
    const earned = await order("O-2", [line("shirt", 12_000)]);
    expect(earned.body.effects.awards).toEqual(expect.arrayContaining([expect.objectContaining({ asset: "bonus", points: 1_200, expiresAt: "2026-07-08T10:00:00.000Z" })]));
    expect((await wallet(api, "ioana")).bonus.available).toBe(1_200);
  });

  it("what is not spent within the 90 days expires through settlement", async () => {
    clock.set("2026-07-08T09:59:59Z");
    await ok(api.call("POST", "/v1/ledger/settle"));
    expect((await wallet(api, "ioana")).bonus.available).toBe(1_200);
    clock.set("2026-07-08T10:00:00Z");
    expect((await wallet(api, "ioana")).bonus.available).toBe(0);
    expect((await ok(api.call("POST", "/v1/ledger/settle"))).transactions).toBe(1);
    const history = await ok(api.call("GET", "/v1/customers/ioana/wallet/history?asset=bonus"));
    expect(history.data.map((t: { type: string; change: { available: number } }) => [t.type, t.change.available])).toEqual([["expiry", -1_200], ["earn", 1_200], ["payment", -4_500], ["earn", 4_500]]);
  });
});

describe("payouts: limits, hold, lifecycle", () => {
  let api: TestApi;
  const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
  beforeAll(async () => {
    api = await testApi({ database, clock });
  });

  it("the wallet policy is a program setting, checked when set", async () => {
    const p = await ok(api.call("PATCH", "/v1/program", { wallet: { payouts: { minAmount: 1_000, maxAmount: 50_000, holdDays: 14 } } }));
    expect(p.wallet).toEqual({ payouts: { minAmount: 1_000, maxAmount: 50_000, holdDays: 14 } });
    expect((await ok(api.call("GET", "/v1/program"))).wallet).toEqual(p.wallet);
    const bad = await api.call("PATCH", "/v1/program", { wallet: { payouts: { minAmount: 60_000, maxAmount: 50_000 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("minAmount must not be above");
    expect((await api.call("PATCH", "/v1/program", { wallet: { payouts: { holdDays: 400 } } })).status).toBe(400);
    expect((await api.call("PATCH", "/v1/program", { wallet: { payouts: { surprise: 1 } } })).status).toBe(400);
  });

  it("cash is held for holdDays: it cannot be paid out (or spent) before", async () => {
    await api.call("PUT", "/v1/customers/carla", {});
    const credit = await adjust(api, "carla", "cash", 80_000);
    expect(credit.change).toEqual({ available: 0, pending: 80_000 });
    expect((await wallet(api, "carla")).cash).toMatchObject({ available: 0, pending: 80_000, pendingLots: [{ amount: 80_000, availableAt: "2026-03-24T03:00:00.000Z" }] });
    const early = await api.call("POST", "/v1/customers/carla/payouts", { amount: 10_000 });
    expect(early.body).toMatchObject({ code: "INSUFFICIENT_FUNDS", details: { asset: "cash", available: 0 } });
    clock.set("2026-03-24T03:00:00Z");
    await ok(api.call("POST", "/v1/ledger/settle"));
    expect((await wallet(api, "carla")).cash).toMatchObject({ available: 80_000, pending: 0 });
  });

  it("a rule's cash is held too, for the longer of the hold and its own pending days", async () => {
    await ok(api.call("POST", "/v1/rules", { name: "Cash for a review", trigger: { event: "review.submitted" }, effect: { kind: "fixed", asset: "cash", points: 300 }, pendingDays: 3 }), 201);
    const r = await api.call("POST", "/v1/events", { id: "rev-1", type: "review.submitted", customerId: "carla", data: { reviewId: "rv1" } });
    expect(r.body.effects.awards[0]).toMatchObject({ asset: "cash", points: 300 });
    expect(r.body.effects).toMatchObject({ pointsPending: true, availableAt: "2026-04-07T03:00:00.000Z" });
    expect((await wallet(api, "carla")).cash).toMatchObject({ available: 80_000, pending: 300 });
  });

  it("refuses payouts under the minimum and over the maximum", async () => {
    for (const amount of [999, 50_001]) {
      const r = await api.call("POST", "/v1/customers/carla/payouts", { amount });
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ code: "PAYOUT_INVALID", details: { amount, minAmount: 1_000, maxAmount: 50_000 } });
    }
    expect((await api.call("POST", "/v1/customers/carla/payouts", { amount: 0 })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/customers/nobody/payouts", { amount: 5_000 })).body.code).toBe("CUSTOMER_NOT_FOUND");
  });

  let paidId = "";
  it("pending → approved → paid: the hold leaves the cash balance at once and goes to world when paid", async () => {
    const headers = { "idempotency-key": "payout-carla-1" };
    const r = await api.call("POST", "/v1/customers/carla/payouts", { amount: 50_000 }, headers);
    expect(r.status).toBe(201);
    const p = r.body;
    paidId = p.id;
    expect(p).toMatchObject({ customerId: "carla", amount: 50_000, currency: "USD", status: "pending", settleTransactionId: null, requestedAt: "2026-03-24T03:00:00.000Z" });
    const again = await api.call("POST", "/v1/customers/carla/payouts", { amount: 50_000 }, headers);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(p.id);
    expect((await wallet(api, "carla")).cash).toMatchObject({ available: 30_000, onHold: 50_000, openPayouts: 1 });
    const hold = await ok(api.call("GET", `/v1/transactions/${p.transactionId}`));
    expect(hold).toMatchObject({ type: "payout", change: { available: -50_000, pending: 0 }, postings: [expect.objectContaining({ destination: `payout:${p.id}`, asset: "cash", amount: 50_000 })] });
    // The hold is not a transaction to reverse by hand.
    expect((await api.call("POST", `/v1/transactions/${p.transactionId}/reverse`, { reason: "x" })).body.code).toBe("REVERSAL_NOT_ALLOWED");

    const early = await api.call("POST", `/v1/payouts/${p.id}/pay`, {});
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: "PAYOUT_STATE_CONFLICT", details: { status: "pending", action: "pay", payoutId: p.id } });
    clock.set("2026-03-25T03:00:00Z");
    expect(await ok(api.call("POST", `/v1/payouts/${p.id}/approve`, {}))).toMatchObject({ status: "approved", decidedAt: "2026-03-25T03:00:00.000Z" });
    expect((await api.call("POST", `/v1/payouts/${p.id}/approve`, {})).status).toBe(409);
    clock.set("2026-03-26T03:00:00Z");
    const paid = await ok(api.call("POST", `/v1/payouts/${p.id}/pay`, { reason: "bank transfer 4411" }));
    expect(paid).toMatchObject({ status: "paid", paidAt: "2026-03-26T03:00:00.000Z", decidedAt: "2026-03-25T03:00:00.000Z", reason: "bank transfer 4411" });
    const settle = await ok(api.call("GET", `/v1/transactions/${paid.settleTransactionId}`));
    expect(settle).toMatchObject({ type: "payout_paid", change: { available: 0, pending: 0 }, postings: [{ source: `payout:${p.id}`, destination: "world", asset: "cash", amount: 50_000, lotId: null }] });
    expect((await api.call("POST", `/v1/payouts/${p.id}/reject`, { reason: "too late" })).body).toMatchObject({ code: "PAYOUT_STATE_CONFLICT", details: { status: "paid" } });
    expect((await wallet(api, "carla")).cash).toMatchObject({ available: 30_000, onHold: 0, openPayouts: 0 });
  });

  it("a rejected payout returns its money to the cash balance, into the lots it came from", async () => {
    const p = await ok(api.call("POST", "/v1/customers/carla/payouts", { amount: 20_000 }), 201);
    expect((await wallet(api, "carla")).cash.available).toBe(10_000);
    expect((await api.call("POST", `/v1/payouts/${p.id}/reject`, {})).body.code).toBe("VALIDATION_FAILED");
    const rejected = await ok(api.call("POST", `/v1/payouts/${p.id}/reject`, { reason: "account details missing" }));
    expect(rejected).toMatchObject({ status: "rejected", reason: "account details missing", paidAt: null });
    const back = await ok(api.call("GET", `/v1/transactions/${rejected.settleTransactionId}`));
    expect(back).toMatchObject({ type: "payout_returned", reversesId: p.transactionId, change: { available: 20_000, pending: 0 } });
    expect((await wallet(api, "carla")).cash).toMatchObject({ available: 30_000, onHold: 0 });
    expect((await api.call("POST", `/v1/payouts/${p.id}/reject`, { reason: "again" })).status).toBe(409);
  });

  it("lists payouts by status and customer; unknown ids are PAYOUT_NOT_FOUND", async () => {
    const all = await ok(api.call("GET", "/v1/payouts"));
    expect(all.data.map((p: { status: string }) => p.status)).toEqual(["rejected", "paid"]);
    expect((await ok(api.call("GET", "/v1/payouts?status=paid"))).data.map((p: { id: string }) => p.id)).toEqual([paidId]);
    expect((await ok(api.call("GET", "/v1/payouts?status=pending"))).data).toEqual([]);
    expect((await ok(api.call("GET", "/v1/payouts?customerId=carla&limit=1"))).nextCursor).not.toBeNull();
    expect((await api.call("GET", "/v1/payouts?status=lost")).status).toBe(400);
    expect((await api.call("GET", "/v1/payouts/pyt_nope")).body.code).toBe("PAYOUT_NOT_FOUND");
    expect((await api.call("POST", "/v1/payouts/pyt_nope/approve", {})).body.code).toBe("PAYOUT_NOT_FOUND");
    expect((await ok(api.call("GET", `/v1/payouts/${paidId}`))).status).toBe("paid");
  });

  it("the cash history shows the credit, its release, the holds, the return; no payout when payouts are off", async () => {
    const history = await ok(api.call("GET", "/v1/customers/carla/wallet/history?asset=cash"));
    expect(history.data.map((t: { type: string }) => t.type)).toEqual(["payout_returned", "payout", "payout_paid", "payout", "earn", "release", "adjustment"]);
    expect((await ok(api.call("GET", "/v1/customers/carla/transactions?type=payout,payout_paid"))).data).toHaveLength(3);
    await ok(api.call("PATCH", "/v1/program", { wallet: { payouts: { enabled: false } } }));
    expect((await api.call("POST", "/v1/customers/carla/payouts", { amount: 5_000 })).body.code).toBe("PAYOUT_INVALID");
    await ok(api.call("PATCH", "/v1/program", { wallet: null }));
    expect((await ok(api.call("GET", "/v1/program"))).wallet).toBeNull();
  });
});

describe("wallet adjustments", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database });
    await api.call("PUT", "/v1/customers/dana", {});
  });

  it("credits and debits bonus, never below zero; a reversal acts on the bonus balance, not points", async () => {
    const credit = await adjust(api, "dana", "bonus", 2_000, { expiry: { kind: "days", days: 10 } });
    expect(credit).toMatchObject({ type: "adjustment", change: { available: 2_000, pending: 0 }, metadata: { asset: "bonus", reason: "seed" } });
    expect((await wallet(api, "dana")).bonus).toMatchObject({ available: 2_000, expiringSoon: [{ amount: 2_000, expiresAt: "2026-03-20T03:00:00.000Z" }] });
    const over = await api.call("POST", "/v1/customers/dana/wallet/adjustments", { asset: "bonus", amount: -2_001, reason: "x" });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: "INSUFFICIENT_FUNDS", details: { asset: "bonus", available: 2_000, required: 2_001 } });
    await ok(api.call("POST", "/v1/customers/dana/adjustments", { amount: 100, reason: "points" }), 201);
    const rev = await ok(api.call("POST", `/v1/transactions/${credit.id}/reverse`, { reason: "mistake" }), 201);
    expect(rev.postings.every((p: { asset: string }) => p.asset === "bonus")).toBe(true);
    expect((await api.call("POST", `/v1/transactions/${credit.id}/reverse`, { reason: "mistake", force: true })).body.code).toBe("ALREADY_REVERSED");
    expect((await wallet(api, "dana")).bonus.available).toBe(0);
    expect((await api.call("GET", "/v1/customers/dana/balances")).body.available).toBe(100);
    // Points figures count points only, not wallet money.
    expect((await ok(api.call("GET", "/v1/customers/dana/summary"))).pointsEarned).toBe(100);
  });

  it("a reversal the bonus balance cannot cover is INSUFFICIENT_FUNDS", async () => {
    const credit = await adjust(api, "dana", "bonus", 1_000);
    await adjust(api, "dana", "bonus", -800);
    const r = await api.call("POST", `/v1/transactions/${credit.id}/reverse`, { reason: "mistake" });
    expect(r.body).toMatchObject({ code: "INSUFFICIENT_FUNDS", details: { asset: "bonus" } });
  });

  it("refuses bad input with typed errors, and replays under the same Idempotency-Key", async () => {
    const bad = (body: unknown) => api.call("POST", "/v1/customers/dana/wallet/adjustments", body);
    expect((await bad({ asset: "points", amount: 10, reason: "x" })).body.code).toBe("VALIDATION_FAILED");
    expect((await bad({ asset: "cash", amount: 0, reason: "x" })).body.code).toBe("VALIDATION_FAILED");
    expect((await bad({ asset: "cash", amount: 1.5, reason: "x" })).body.code).toBe("VALIDATION_FAILED");
    expect((await bad({ asset: "cash", amount: 10 })).body.code).toBe("VALIDATION_FAILED");
    // An expiry dates the lot a credit makes: on a debit it was ignored without a word.
    expect((await bad({ asset: "bonus", amount: -10, reason: "x", expiry: { kind: "days", days: 10 } })).body).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("expiry applies to credits") });
    expect((await api.call("POST", "/v1/customers/nobody/wallet/adjustments", { asset: "cash", amount: 10, reason: "x" })).body.code).toBe("CUSTOMER_NOT_FOUND");
    const headers = { "idempotency-key": "adj-1" };
    const a = await api.call("POST", "/v1/customers/dana/wallet/adjustments", { asset: "cash", amount: 700, reason: "refund of a fee" }, headers);
    const b = await api.call("POST", "/v1/customers/dana/wallet/adjustments", { asset: "cash", amount: 700, reason: "refund of a fee" }, headers);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.id).toBe(a.body.id);
    expect((await api.call("POST", "/v1/customers/dana/wallet/adjustments", { asset: "cash", amount: 701, reason: "refund of a fee" }, headers)).body.code).toBe("IDEMPOTENCY_CONFLICT");
    expect((await wallet(api, "dana")).cash.available).toBe(700);
  });
});

describe("gift cards: issue, partial spend, refund, disable, expiry", () => {
  let api: TestApi;
  const clock = new FakeClock(new Date("2026-03-10T03:00:00Z"));
  let code = "";
  beforeAll(async () => {
    api = await testApi({ database, clock });
    await api.call("PUT", "/v1/customers/gina", {});
  });

  it("issues a card with a drawn code and a ledger credit from world, expiring with the card", async () => {
    const card = await ok(api.call("POST", "/v1/gift-cards", { amount: 5_000, expiresAt: "2026-05-09T03:00:00Z", customerId: "gina" }, { "idempotency-key": "gc-1" }), 201);
    code = card.code;
    expect(code).toMatch(/^[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}$/);
    expect(card).toMatchObject({ currency: "USD", initialAmount: 5_000, balance: 5_000, status: "active", customerId: "gina", expiresAt: "2026-05-09T03:00:00.000Z" });
    const replay = await api.call("POST", "/v1/gift-cards", { amount: 5_000, expiresAt: "2026-05-09T03:00:00Z", customerId: "gina" }, { "idempotency-key": "gc-1" });
    expect(replay.body.id).toBe(card.id);
    const got = await ok(api.call("GET", `/v1/gift-cards/${code.toLowerCase().replaceAll("-", "")}`));
    expect(got).toMatchObject({ id: card.id, balance: 5_000, history: [expect.objectContaining({ type: "gift_card_issue", change: { available: 5_000, pending: 0 } })] });
    expect(got.history[0].postings).toEqual([expect.objectContaining({ source: "world", destination: `customer:${card.id}:available`, asset: "gift_card", amount: 5_000 })]);
    expect((await wallet(api, "gina")).giftCards).toEqual([{ id: card.id, code, balance: 5_000, status: "active", expiresAt: "2026-05-09T03:00:00.000Z" }]);
  });

  it("issues a card with the merchant's own code; refuses taken, short and mismatched ones", async () => {
    const own = await ok(api.call("POST", "/v1/gift-cards", { amount: 1_000, code: "gift-2026-0001" }), 201);
    expect(own.code).toBe("GIFT-2026-0001");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, code: "GIFT 2026 0001" })).body.code).toBe("CODE_TAKEN");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, code: "ABCD-1234" })).status).toBe(201);
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, code: "ABC-1234" })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, code: "A_B_C_D_E" })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, code: "SHORT" })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, currency: "EUR" })).body.code).toBe("CURRENCY_MISMATCH");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, expiresAt: "2026-03-10T02:59:59Z" })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 0 })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/gift-cards", { amount: 1_000, customerId: "nobody" })).body.code).toBe("CUSTOMER_NOT_FOUND");
    expect((await api.call("GET", "/v1/gift-cards/NOPE-NOPE-NOPE")).body.code).toBe("GIFT_CARD_NOT_FOUND");
  });

  it("pays part of a cart, then the rest of the card on the next, and a rollback puts the money back on the card", async () => {
    const first = await ok(api.call("POST", "/v1/carts/complete", { orderId: "G-1", lines: [line("mug", 3_000)], payments: { giftCards: [code] } }));
    expect(first.payments).toMatchObject({ giftCards: [{ code: code.replaceAll("-", ""), balance: 5_000, amount: 3_000 }], paid: 3_000, amountDue: 0 });
    expect((await ok(api.call("GET", `/v1/gift-cards/${code}`))).balance).toBe(2_000);
    const second = await ok(api.call("POST", "/v1/carts/complete", { orderId: "G-2", customerId: "gina", lines: [line("teapot", 4_500)], payments: { giftCards: [code] } }));
    expect(second.payments).toMatchObject({ giftCards: [{ amount: 2_000 }], paid: 2_000, amountDue: 2_500 });
    expect((await ok(api.call("GET", `/v1/gift-cards/${code}`))).balance).toBe(0);
    const rb = await ok(api.call("POST", "/v1/carts/rollback", { orderId: "G-1", reason: "returned" }));
    expect(rb.payments.transactions).toEqual([expect.objectContaining({ source: "gift_card", amount: 3_000, refundTransactionId: expect.stringMatching(/^txn_/) })]);
    const card = await ok(api.call("GET", `/v1/gift-cards/${code}`));
    expect(card.balance).toBe(3_000);
    expect(card.history.map((t: { type: string; change: { available: number } }) => [t.type, t.change.available])).toEqual([["payment_refund", 3_000], ["payment", -2_000], ["payment", -3_000], ["gift_card_issue", 5_000]]);
    expect((await ok(api.call("POST", "/v1/carts/rollback", { orderId: "G-1" }))).effect).toBe("already_rolled_back");
    expect((await ok(api.call("GET", `/v1/gift-cards/${code}`))).balance).toBe(3_000);
    // A payment is refunded by rolling the checkout back, not by reversing the transaction.
    expect((await api.call("POST", `/v1/transactions/${second.payments.transactions[0].transactionId}/reverse`, { reason: "x" })).body.code).toBe("REVERSAL_NOT_ALLOWED");
  });

  it("a disabled card cannot pay (evaluation says so, completion refuses and records nothing); enabled again it can", async () => {
    expect((await ok(api.call("POST", `/v1/gift-cards/${code}/disable`, { reason: "reported stolen" }))).status).toBe("disabled");
    const ev = await ok(api.call("POST", "/v1/carts/evaluate", { lines: [line("mug", 1_000)], payments: { giftCards: [code] } }));
    expect(ev.payments).toMatchObject({ giftCards: [{ amount: 0, error: { code: "GIFT_CARD_NOT_USABLE" } }], amountDue: 1_000 });
    const refused = await api.call("POST", "/v1/carts/complete", { orderId: "G-3", lines: [line("mug", 1_000)], payments: { giftCards: [code] } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "GIFT_CARD_NOT_USABLE", details: { reason: "disabled" } });
    expect((await ok(api.call("POST", `/v1/gift-cards/${code}/enable`, {}))).status).toBe("active");
    // The refused order recorded nothing, so it can complete now.
    expect((await ok(api.call("POST", "/v1/carts/complete", { orderId: "G-3", lines: [line("mug", 1_000)], payments: { giftCards: [code] } }))).payments.paid).toBe(1_000);
    expect((await ok(api.call("GET", `/v1/gift-cards/${code}`))).balance).toBe(2_000);
    expect((await api.call("POST", "/v1/gift-cards/NOPE-NOPE-NOPE/disable", {})).body.code).toBe("GIFT_CARD_NOT_FOUND");
  });

  it("a gift card cannot buy a gift card; an unknown card is GIFT_CARD_NOT_FOUND", async () => {
    const cart = { orderId: "G-4", lines: [line("gift-card-50", 5_000, 1, { giftCard: true })], payments: { giftCards: [code] } };
    const ev = await ok(api.call("POST", "/v1/carts/evaluate", { lines: cart.lines, payments: cart.payments }));
    expect(ev.payments.giftCards[0]).toMatchObject({ amount: 0, error: { code: "GIFT_CARD_NOT_USABLE" } });
    const r = await api.call("POST", "/v1/carts/complete", cart);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: "GIFT_CARD_NOT_USABLE", details: { reason: "gift_card_purchase" } });
    const unknown = await api.call("POST", "/v1/carts/complete", { orderId: "G-5", lines: [line("mug", 1_000)], payments: { giftCards: ["ZZZZ-ZZZZ-ZZZZ"] } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("GIFT_CARD_NOT_FOUND");
    expect((await ok(api.call("GET", `/v1/gift-cards/${code}`))).balance).toBe(2_000);
  });

  it("expires with the card through settlement, and an expired card cannot pay", async () => {
    clock.set("2026-05-09T03:00:00Z");
    expect((await ok(api.call("GET", `/v1/gift-cards/${code}`))).status).toBe("expired");
    await ok(api.call("POST", "/v1/ledger/settle"));
    const card = await ok(api.call("GET", `/v1/gift-cards/${code}`));
    expect(card).toMatchObject({ balance: 0, status: "expired" });
    expect(card.history[0]).toMatchObject({ type: "expiry", change: { available: -2_000 } });
    const r = await api.call("POST", "/v1/carts/complete", { orderId: "G-6", lines: [line("mug", 1_000)], payments: { giftCards: [code] } });
    expect(r.body).toMatchObject({ code: "GIFT_CARD_NOT_USABLE", details: { reason: "expired" } });
  });
});

describe("paying at checkout with gift cards, bonus and cash", () => {
  let api: TestApi;
  let gift = "";
  beforeAll(async () => {
    api = await testApi({ database });
    await api.call("PUT", "/v1/customers/pia", {});
    await adjust(api, "pia", "bonus", 3_000);
    await adjust(api, "pia", "cash", 10_000);
    gift = (await ok(api.call("POST", "/v1/gift-cards", { amount: 2_000 }), 201)).code;
    await ok(api.call("POST", "/v1/campaigns", { name: "Ten off", kind: "automatic", effects: [{ kind: "order_fixed", amount: 1_000 }] }), 201);
  });

  it("after discounts: gift cards first, then bonus, then cash; complete takes them all in one transaction; rollback returns them all", async () => {
    const cart = { customerId: "pia", lines: [line("coat", 13_000)] };
    const payments = { giftCards: [gift], bonus: "max", cash: "max" };
    const ev = await ok(api.call("POST", "/v1/carts/evaluate", { ...cart, payments }));
    expect(ev).toMatchObject({ subtotal: 13_000, discount: 1_000, total: 12_000 });
    expect(ev.payments).toMatchObject({ giftCards: [{ amount: 2_000 }], bonus: { amount: 3_000 }, cash: { amount: 7_000 }, paid: 12_000, amountDue: 0 });
    const body = { ...cart, orderId: "P-1", payments };
    const done = await ok(api.call("POST", "/v1/carts/complete", body));
    expect(done.payments.transactions.map((t: { source: string; amount: number }) => [t.source, t.amount])).toEqual([["gift_card", 2_000], ["bonus", 3_000], ["cash", 7_000]]);
    expect((await wallet(api, "pia"))).toMatchObject({ bonus: { available: 0 }, cash: { available: 3_000 } });
    // The same order again returns the first result and takes nothing more.
    const replay = await ok(api.call("POST", "/v1/carts/complete", body));
    expect(replay.payments).toEqual(done.payments);
    expect((await wallet(api, "pia")).cash.available).toBe(3_000);
    const rb = await ok(api.call("POST", "/v1/carts/rollback", { orderId: "P-1", reason: "cancelled" }));
    expect(rb.payments.transactions.every((t: { refundTransactionId: string | null }) => t.refundTransactionId !== null)).toBe(true);
    expect((await wallet(api, "pia"))).toMatchObject({ bonus: { available: 3_000 }, cash: { available: 10_000 } });
    expect((await ok(api.call("GET", `/v1/gift-cards/${gift}`))).balance).toBe(2_000);
  });

  it("a number a balance does not cover is refused at completion with INSUFFICIENT_FUNDS, and nothing is recorded", async () => {
    const cart = { customerId: "pia", lines: [line("coat", 13_000)], payments: { giftCards: [gift], bonus: 3_500 } };
    const ev = await ok(api.call("POST", "/v1/carts/evaluate", cart));
    expect(ev.payments.bonus).toEqual({ requested: 3_500, balance: 3_000, amount: 3_000, shortfall: 500 });
    const r = await api.call("POST", "/v1/carts/complete", { ...cart, orderId: "P-2" });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "INSUFFICIENT_FUNDS", details: { asset: "bonus", available: 3_000, required: 3_500 } });
    expect((await ok(api.call("GET", `/v1/gift-cards/${gift}`))).balance).toBe(2_000);
    expect((await wallet(api, "pia")).bonus.available).toBe(3_000);
    expect((await api.call("POST", "/v1/carts/rollback", { orderId: "P-2" })).body.code).toBe("ORDER_NOT_FOUND");
  });

  it("the bonus pays at most the program's share of the total", async () => {
    await ok(api.call("PATCH", "/v1/program", { wallet: { checkout: { bonusMaxPercent: 20 } } }));
    const ev = await ok(api.call("POST", "/v1/carts/evaluate", { customerId: "pia", lines: [line("coat", 13_000)], payments: { bonus: "max", cash: "max" } }));
    expect(ev.payments).toMatchObject({ bonus: { amount: 2_400, shortfall: 0 }, cash: { amount: 9_600 }, amountDue: 0 });
    await ok(api.call("PATCH", "/v1/program", { wallet: null }));
  });

  it("a guest has no bonus or cash: a number asked of them is INSUFFICIENT_FUNDS, a gift card pays", async () => {
    // 2,500 less the automatic 1,000 off.
    const ev = await ok(api.call("POST", "/v1/carts/evaluate", { lines: [line("scarf", 2_500)], payments: { bonus: "max", giftCards: [gift] } }));
    expect(ev.payments).toMatchObject({ giftCards: [{ amount: 1_500 }], bonus: { balance: 0, amount: 0 }, amountDue: 0 });
    const r = await api.call("POST", "/v1/carts/complete", { orderId: "P-3", lines: [line("scarf", 1_500)], payments: { cash: 100 } });
    expect(r.body).toMatchObject({ code: "INSUFFICIENT_FUNDS", details: { asset: "cash", available: 0, required: 100 } });
  });

  it("refuses malformed payments with VALIDATION_FAILED; reserve takes no payments", async () => {
    const bad = (payments: unknown) => api.call("POST", "/v1/carts/evaluate", { customerId: "pia", lines: [line("coat", 1_000)], payments });
    for (const p of [{ bonus: 0 }, { bonus: -5 }, { bonus: "all" }, { cash: 1.5 }, { giftCards: [] }, { points: 10 }]) {
      const r = await bad(p);
      expect(r.status, JSON.stringify(p)).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    }
    expect((await api.call("POST", "/v1/carts/reserve", { sessionId: "s1", lines: [line("coat", 1_000)], payments: { bonus: "max" } })).body.code).toBe("VALIDATION_FAILED");
  });
});
