import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { ok, testApi, testDatabase, type TestApi } from "./harness.ts";
import type { Database } from "../src/db/connect.ts";

// Refunds take back the wallet credit (bonus, cash) that earning rules gave for the order, as they
// take back points: in proportion to the refunded earning base, once, never more than was credited,
// and under the program's clawback policy when the customer has spent it (docs/wallet.md).
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});


/** 1 point per dollar (the base earning), 5% of the merchandise as bonus, 2% as cash held 14 days. */
async function cashbackProgram(clawback: "allow_negative" | "cap"): Promise<TestApi> {
  const api = await testApi({ database, program: { ledgerPolicy: { pendingDays: 0, expiry: { kind: "never" }, clawback } } });
  await ok(api.call("PATCH", "/v1/program", { wallet: { payouts: { enabled: true, minAmount: 1, maxAmount: null, holdDays: 14 } } }));
  for (const [name, asset, points] of [["5% back as bonus", "bonus", 5], ["2% back as cash", "cash", 2]] as const) {
    await ok(api.call("POST", "/v1/rules", { name, trigger: { event: "order.completed" }, effect: { kind: "per_amount", asset, points, per: 100, base: "earning_base" } }), 201);
  }
  return api;
}

const order = (id: string, customerId: string, orderId: string, amount: number) => ({ id, type: "order.completed", customerId, data: { orderId, currency: "USD", lines: [{ sku: "COAT", quantity: 1, unitPrice: amount }] } });
const refund = (id: string, customerId: string, orderId: string, refundId: string, amount?: number) => ({ id, type: "order.refunded", customerId, data: { orderId, refundId, ...(amount !== undefined ? { amount } : {}) } });

async function balances(api: TestApi, customer: string) {
  const w = await ok(api.call("GET", `/v1/customers/${customer}/wallet`));
  const p = await ok(api.call("GET", `/v1/customers/${customer}/balances`));
  return { points: p.available, bonus: w.bonus.available, cash: w.cash.available + w.cash.pending };
}

async function earnings(api: TestApi, orderId: string) {
  return rows<{ asset: string; earned: number; clawed_back: number }>(
    api.ctx.db,
    sql`select e.asset, e.earned::int as earned, e.clawed_back::int as clawed_back from order_earnings e join orders o on o.id = e.order_id where o.external_id = ${orderId} and o.program_id = ${api.programId} order by e.asset`,
  );
}

describe("a refund takes back the order's bonus and cash in proportion, exactly once", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await cashbackProgram("allow_negative");
  });

  it("an order of $100.00 earns 100 points, 500 bonus and 200 cash (held), and records what each asset earned", async () => {
    const r = await ok(api.call("POST", "/v1/events", order("o1", "ines", "O-1", 10_000)));
    expect(r.effects.pointsEarned).toBe(100);
    expect(r.effects.awards).toEqual(expect.arrayContaining([expect.objectContaining({ asset: "bonus", points: 500 }), expect.objectContaining({ asset: "cash", points: 200, pending: true })]));
    expect(await balances(api, "ines")).toEqual({ points: 100, bonus: 500, cash: 200 });
    expect(await earnings(api, "O-1")).toEqual([{ asset: "bonus", earned: 500, clawed_back: 0 }, { asset: "cash", earned: 200, clawed_back: 0 }]);
  });

  it("a partial refund of $30.00 takes back 30 points, 150 bonus and 60 cash (from the held lot)", async () => {
    const r = await ok(api.call("POST", "/v1/events", refund("r1", "ines", "O-1", "R-1", 3_000)));
    expect(r.effects).toMatchObject({ refundAmount: 3_000, pointsClawedBack: 30 });
    expect(r.effects.walletClawedBack).toEqual([
      { asset: "bonus", amount: 150, transactionId: expect.stringMatching(/^txn_/) },
      { asset: "cash", amount: 60, transactionId: expect.stringMatching(/^txn_/) },
    ]);
    expect(await balances(api, "ines")).toEqual({ points: 70, bonus: 350, cash: 140 });
    const bonusTxn = await ok(api.call("GET", `/v1/transactions/${r.effects.walletClawedBack[0].transactionId}`));
    expect(bonusTxn).toMatchObject({ type: "refund", reference: "refund:R-1:bonus", asset: "bonus", changes: { bonus: { available: -150, pending: 0 } }, metadata: { orderId: "O-1", refundId: "R-1", asset: "bonus" } });
    const cashTxn = await ok(api.call("GET", `/v1/transactions/${r.effects.walletClawedBack[1].transactionId}`));
    expect(cashTxn).toMatchObject({ reference: "refund:R-1:cash", asset: "cash", changes: { cash: { available: 0, pending: -60 } } });
  });

  it("the same refund again is a replay, and its refund id under another event is REFUND_CONFLICT: nothing more is taken", async () => {
    const again = await api.call("POST", "/v1/events", refund("r1", "ines", "O-1", "R-1", 3_000));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.effects.walletClawedBack).toEqual([expect.objectContaining({ asset: "bonus", amount: 150 }), expect.objectContaining({ asset: "cash", amount: 60 })]);
    const conflict = await api.call("POST", "/v1/events", refund("r1-bis", "ines", "O-1", "R-1", 3_000));
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe("REFUND_CONFLICT");
    expect(await balances(api, "ines")).toEqual({ points: 70, bonus: 350, cash: 140 });
  });

  it("the full refund of the rest takes exactly what is left: every asset back to what the order never gave", async () => {
    const r = await ok(api.call("POST", "/v1/events", refund("r2", "ines", "O-1", "R-2")));
    expect(r.effects).toMatchObject({ refundAmount: 7_000, pointsClawedBack: 70, walletClawedBack: [expect.objectContaining({ asset: "bonus", amount: 350 }), expect.objectContaining({ asset: "cash", amount: 140 })] });
    expect(await balances(api, "ines")).toEqual({ points: 0, bonus: 0, cash: 0 });
    expect(await earnings(api, "O-1")).toEqual([{ asset: "bonus", earned: 500, clawed_back: 500 }, { asset: "cash", earned: 200, clawed_back: 200 }]);
    const [refunds] = await rows<{ wallet: unknown }>(api.ctx.db, sql`select jsonb_object_agg(external_id, wallet_clawed_back) as wallet from refunds where program_id = ${api.programId}`);
    expect(refunds!.wallet).toEqual({ "R-1": { bonus: { clawedBack: 150, shortfall: 0 }, cash: { clawedBack: 60, shortfall: 0 } }, "R-2": { bonus: { clawedBack: 350, shortfall: 0 }, cash: { clawedBack: 140, shortfall: 0 } } });
  });

  it("an order and its refund in one batch: the refund takes back the credit the batch just gave", async () => {
    const r = await ok(api.call("POST", "/v1/events/batch", { events: [order("o2", "jon", "O-2", 2_000), refund("r3", "jon", "O-2", "R-3", 1_000)] }));
    expect(r.results[1].effects.walletClawedBack).toEqual([expect.objectContaining({ asset: "bonus", amount: 50 }), expect.objectContaining({ asset: "cash", amount: 20 })]);
    expect(await balances(api, "jon")).toEqual({ points: 10, bonus: 50, cash: 20 });
  });

  it("spent bonus is taken anyway under allow_negative: the bonus balance goes below zero, as points do", async () => {
    await ok(api.call("POST", "/v1/events", order("o3", "kim", "O-3", 4_000)));
    await ok(api.call("POST", "/v1/customers/kim/wallet/adjustments", { asset: "bonus", amount: -150, reason: "spent at the till" }), 201);
    const r = await ok(api.call("POST", "/v1/events", refund("r4", "kim", "O-3", "R-4")));
    expect(r.effects.walletClawedBack[0]).toEqual({ asset: "bonus", amount: 200, transactionId: expect.any(String) });
    expect((await balances(api, "kim")).bonus).toBe(-150);
  });

  it("a reversed bonus earn counts as taken back: a later refund takes no bonus; once a refund took some, the earn cannot be reversed", async () => {
    const placed = await ok(api.call("POST", "/v1/events", order("o4", "lea", "O-4", 1_000)));
    const bonusEarn = placed.effects.awards.find((a: { asset?: string }) => a.asset === "bonus").transactionId;
    await ok(api.call("POST", `/v1/transactions/${bonusEarn}/reverse`, { reason: "paid by mistake" }), 201);
    const r = await ok(api.call("POST", "/v1/events", refund("r5", "lea", "O-4", "R-5")));
    expect(r.effects.walletClawedBack).toEqual([expect.objectContaining({ asset: "cash", amount: 20 })]);
    expect(await balances(api, "lea")).toEqual({ points: 0, bonus: 0, cash: 0 });

    const other = await ok(api.call("POST", "/v1/events", order("o5", "lea", "O-5", 1_000)));
    await ok(api.call("POST", "/v1/events", refund("r6", "lea", "O-5", "R-6", 500)));
    const cashEarn = other.effects.awards.find((a: { asset?: string }) => a.asset === "cash").transactionId;
    const refused = await api.call("POST", `/v1/transactions/${cashEarn}/reverse`, { reason: "too late" });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "REVERSAL_NOT_ALLOWED", details: { reference: expect.stringMatching(/^order(-credit:\d+)?:O-5$/) } });
  });
});

describe("under clawback: cap, spent wallet credit is a shortfall, as spent points are", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await cashbackProgram("cap");
  });

  it("takes what the balance holds, reports the rest per asset, and never goes below zero", async () => {
    await ok(api.call("POST", "/v1/events", order("o1", "max", "O-1", 10_000)));
    await ok(api.call("POST", "/v1/customers/max/wallet/adjustments", { asset: "bonus", amount: -400, reason: "spent" }), 201);
    const r = await ok(api.call("POST", "/v1/events", refund("r1", "max", "O-1", "R-1")));
    expect(r.effects.walletClawedBack).toEqual([
      { asset: "bonus", amount: 100, shortfall: 400, transactionId: expect.any(String) },
      { asset: "cash", amount: 200, transactionId: expect.any(String) },
    ]);
    expect(await balances(api, "max")).toEqual({ points: 0, bonus: 0, cash: 0 });
    // What the refund called for is recorded as taken: a later refund of the order has nothing left to take.
    expect(await earnings(api, "O-1")).toEqual([{ asset: "bonus", earned: 500, clawed_back: 500 }, { asset: "cash", earned: 200, clawed_back: 200 }]);
    const [row] = await rows<{ w: unknown }>(api.ctx.db, sql`select wallet_clawed_back as w from refunds where program_id = ${api.programId} and external_id = 'R-1'`);
    expect(row!.w).toEqual({ bonus: { clawedBack: 100, shortfall: 400 }, cash: { clawedBack: 200, shortfall: 0 } });
  });

  it("a shortfall of all of it writes no bonus transaction but still reports the shortfall", async () => {
    await ok(api.call("POST", "/v1/events", order("o2", "nia", "O-2", 2_000)));
    await ok(api.call("POST", "/v1/customers/nia/wallet/adjustments", { asset: "bonus", amount: -100, reason: "spent" }), 201);
    const r = await ok(api.call("POST", "/v1/events", refund("r2", "nia", "O-2", "R-2")));
    expect(r.effects.walletClawedBack[0]).toEqual({ asset: "bonus", amount: 0, shortfall: 100 });
    expect((await balances(api, "nia")).bonus).toBe(0);
  });
});
