import { describe, expect, it } from "vitest";
import { dbKind, concurrentApi, type TestApi } from "./harness.ts";

// Wallet money spent and withdrawn by concurrent requests: PostgreSQL only (PGlite runs one
// transaction at a time). Every balance is locked before it is planned on, so none is ever overdrawn.
describe.skipIf(dbKind() !== "postgres")("wallets under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a));

  async function seed(customer: string, asset: "bonus" | "cash", amount: number) {
    await api.call("PUT", `/v1/customers/${customer}`, {});
    const r = await api.call("POST", `/v1/customers/${customer}/wallet/adjustments`, { asset, amount, reason: "seed" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  const wallet = async (customer: string) => (await api.call("GET", `/v1/customers/${customer}/wallet`)).body;

  it("30 concurrent checkouts paying 1,000 bonus each against 7,500: exactly 7 complete, 500 is left", async () => {
    await seed("spender", "bonus", 7_500);
    const rs = await Promise.all(
      Array.from({ length: 30 }, (_, i) => api.call("POST", "/v1/carts/complete", { orderId: `B-${i}`, customerId: "spender", lines: [{ sku: "tea", quantity: 1, unitPrice: 1_500 }], payments: { bonus: 1_000 } })),
    );
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    const done = rs.filter((r) => r.status === 200);
    expect(done).toHaveLength(7);
    expect(done.every((r) => r.body.payments.paid === 1_000 && r.body.payments.amountDue === 500)).toBe(true);
    expect(rs.filter((r) => r.status === 422 && r.body.code === "INSUFFICIENT_FUNDS")).toHaveLength(23);
    expect((await wallet("spender")).bonus.available).toBe(500);
    const history = (await api.call("GET", "/v1/customers/spender/wallet/history?asset=bonus&limit=100")).body.data;
    expect(history.filter((t: { type: string }) => t.type === "payment")).toHaveLength(7);
  });

  it("gift card, bonus and cash spent by concurrent checkouts and rollbacks always add up", async () => {
    await seed("mixer", "bonus", 5_000);
    await api.call("POST", "/v1/customers/mixer/wallet/adjustments", { asset: "cash", amount: 5_000, reason: "seed" });
    const card = (await api.call("POST", "/v1/gift-cards", { amount: 5_000 })).body.code as string;
    const orders = Array.from({ length: 20 }, (_, i) => ({ orderId: `M-${i}`, customerId: "mixer", lines: [{ sku: "cup", quantity: 1, unitPrice: 1_000 }], payments: { giftCards: [card], bonus: "max", cash: "max" } }));
    const rs = await Promise.all(orders.map((o) => api.call("POST", "/v1/carts/complete", o)));
    expect(rs.filter((r) => r.status !== 200)).toHaveLength(0);
    // 15,000 of wallet money, 20,000 of carts: 15 carts fully paid, 5 left to the store.
    expect(rs.reduce((n, r) => n + r.body.payments.paid, 0)).toBe(15_000);
    expect(rs.filter((r) => r.body.payments.amountDue === 1_000)).toHaveLength(5);
    const rolled = await Promise.all(orders.slice(0, 10).map((o) => api.call("POST", "/v1/carts/rollback", { orderId: o.orderId })));
    expect(rolled.every((r) => r.status === 200)).toBe(true);
    const refunded = rs.slice(0, 10).reduce((n, r) => n + r.body.payments.paid, 0);
    const w = await wallet("mixer");
    const left = w.bonus.available + w.cash.available + (await api.call("GET", `/v1/gift-cards/${card}`)).body.balance;
    expect(left).toBe(refunded);
  });

  it("10 partial refunds of a cashback order, each sent twice at once, plus a refund id reused: the bonus comes back exactly once, in full", async () => {
    const rule = await api.call("POST", "/v1/rules", { name: "5% back", trigger: { event: "order.completed" }, effect: { kind: "per_amount", asset: "bonus", points: 5, per: 100, base: "earning_base" } });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const placed = await api.call("POST", "/v1/events", { id: "rf-order", type: "order.completed", customerId: "refunder", data: { orderId: "RF-1", currency: "USD", lines: [{ sku: "coat", quantity: 1, unitPrice: 10_000 }] } });
    expect(placed.body.effects.awards).toEqual(expect.arrayContaining([expect.objectContaining({ asset: "bonus", points: 500 })]));
    const refund = (event: string, refundId: string) => ({ id: event, type: "order.refunded", customerId: "refunder", data: { orderId: "RF-1", refundId, amount: 1_000 } });
    const sends = Array.from({ length: 10 }, (_, i) => [refund(`rf-${i}`, `R-${i}`), refund(`rf-${i}`, `R-${i}`), refund(`rf-${i}-again`, `R-${i}`)]).flat();
    const rs = await Promise.all(sends.map((e) => api.call("POST", "/v1/events", e)));
    expect(rs.filter((r) => r.status !== 200 && !(r.status === 409 && r.body.code === "REFUND_CONFLICT"))).toEqual([]);
    // Each refund id is recorded by exactly one event (whichever came first); a duplicate of that event replays it.
    const applied = rs.filter((r) => r.status === 200 && r.headers.get("idempotent-replayed") !== "true");
    expect(applied.map((r) => r.body.id.replace(/-again$/, "")).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `rf-${i}`).sort());
    expect(applied.reduce((n, r) => n + r.body.effects.walletClawedBack[0].amount, 0)).toBe(500);
    expect((await wallet("refunder")).bonus.available).toBe(0);
    const history = (await api.call("GET", "/v1/customers/refunder/wallet/history?asset=bonus&limit=100")).body.data;
    expect(history.filter((t: { type: string }) => t.type === "refund")).toHaveLength(10);
  });

  it("20 concurrent payout requests of a cash balance that covers one: exactly 1 succeeds", async () => {
    await seed("payee", "cash", 15_000);
    const rs = await Promise.all(Array.from({ length: 20 }, () => api.call("POST", "/v1/customers/payee/payouts", { amount: 10_000 })));
    expect(rs.filter((r) => r.status === 201)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 422 && r.body.code === "INSUFFICIENT_FUNDS")).toHaveLength(19);
    expect((await wallet("payee")).cash).toMatchObject({ available: 5_000, onHold: 10_000, openPayouts: 1 });
  });

  it("concurrent decisions on one payout: one approve wins, then one of pay and reject", async () => {
    await seed("decider", "cash", 4_000);
    const p = (await api.call("POST", "/v1/customers/decider/payouts", { amount: 4_000 })).body;
    const approvals = await Promise.all(Array.from({ length: 10 }, () => api.call("POST", `/v1/payouts/${p.id}/approve`, {})));
    expect(approvals.filter((r) => r.status === 200)).toHaveLength(1);
    expect(approvals.filter((r) => r.status === 409 && r.body.code === "PAYOUT_STATE_CONFLICT")).toHaveLength(9);
    const ends = await Promise.all(Array.from({ length: 10 }, (_, i) => api.call("POST", `/v1/payouts/${p.id}/${i % 2 ? "pay" : "reject"}`, { reason: "race" })));
    const won = ends.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    const w = await wallet("decider");
    expect(w.cash.available).toBe(won[0]!.body.status === "rejected" ? 4_000 : 0);
    expect(w.cash.onHold).toBe(0);
  });
});
