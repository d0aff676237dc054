import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, testApi, type TestApi } from "./harness.ts";

// GET /v1/customers/{id}/transactions lists every asset (points, stamps, bonus, cash): each item says
// its asset, and its change per asset, so a wallet credit bought with points reads as both.

describe("a customer's transactions say which asset each one moves", () => {
  let api: TestApi;
  let cardId: string;
  let redemptionTxn: string;
  beforeAll(async () => {
    api = await testApi();
    cardId = (await ok(api.call("POST", "/v1/stamp-cards", { name: "Coffee card", stamps: 10, qualifying: 'line.category == "coffee"', per: "unit", reward: { kind: "points", points: 50 } }), 201)).id;
    const voucher = await ok(api.call("POST", "/v1/rewards", { name: "5.00 store credit", kind: "wallet_credit", config: { asset: "bonus", amount: 500 }, cost: 50 }), 201);
    // 2 coffees at 30.00 and a cake: 70 points, 2 stamps.
    await ok(api.call("POST", "/v1/events", { id: "o1", type: "order.completed", customerId: "tam", data: { orderId: "O-1", currency: "USD", lines: [{ sku: "LAT", category: "coffee", quantity: 2, unitPrice: 3_000 }, { sku: "CAKE", quantity: 1, unitPrice: 1_000 }] } }));
    await ok(api.call("POST", "/v1/customers/tam/wallet/adjustments", { asset: "cash", amount: 700, reason: "goodwill" }), 201);
    const redeemed = await ok(api.call("POST", "/v1/customers/tam/redemptions", { rewardId: voucher.id }), 201);
    redemptionTxn = redeemed.transactionId;
  });
  afterAll(() => api?.close());

  it("one asset per transaction: `asset` names it, `change` is its change, `changes` has it alone", async () => {
    const page = await ok(api.call("GET", "/v1/customers/tam/transactions"));
    const byRef = (prefix: string) => page.data.find((t: { reference: string | null; type: string }) => (t.reference ?? t.type).startsWith(prefix));
    expect(byRef("order:O-1")).toMatchObject({ type: "earn", asset: "points", change: { available: 70, pending: 0 }, changes: { points: { available: 70, pending: 0 } } });
    expect(byRef(`stamps:${cardId}:order:O-1`)).toMatchObject({ asset: `stamps:${cardId}`, change: { available: 2, pending: 0 }, changes: { [`stamps:${cardId}`]: { available: 2, pending: 0 } } });
    expect(byRef("adjustment")).toMatchObject({ asset: "cash", change: { available: 700, pending: 0 }, changes: { cash: { available: 700, pending: 0 } } });
  });

  it("a wallet credit bought with points moves two assets: `asset` is null, `changes` has both, `change` stays the points", async () => {
    const txn = await ok(api.call("GET", `/v1/transactions/${redemptionTxn}`));
    expect(txn).toMatchObject({ type: "redemption", asset: null, change: { available: -50, pending: 0 }, changes: { points: { available: -50, pending: 0 }, bonus: { available: 500, pending: 0 } } });
    expect(Object.keys(txn.changes).sort()).toEqual(["bonus", "points"]);
  });

  it("?asset= keeps the transactions that move that asset, a multi-asset one under each of its assets", async () => {
    const assetsOf = async (asset: string) => (await ok(api.call("GET", `/v1/customers/tam/transactions?asset=${encodeURIComponent(asset)}`))).data.map((t: { type: string; asset: string | null }) => [t.type, t.asset]);
    expect(await assetsOf("bonus")).toEqual([["redemption", null]]);
    expect(await assetsOf("points")).toEqual([["redemption", null], ["earn", "points"]]);
    expect(await assetsOf("cash")).toEqual([["adjustment", "cash"]]);
    expect(await assetsOf(`stamps:${cardId}`)).toEqual([["earn", `stamps:${cardId}`]]);
    const all = await ok(api.call("GET", "/v1/customers/tam/transactions"));
    expect(all.data).toHaveLength(4);
  });

  it("an asset that is none is refused with VALIDATION_FAILED", async () => {
    for (const bad of ["gold", "stamps:", "points,bonus", "x".repeat(81)]) {
      const r = await api.call("GET", `/v1/customers/tam/transactions?asset=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    }
  });
});
