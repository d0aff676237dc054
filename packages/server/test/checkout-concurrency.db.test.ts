import { describe, expect, it } from "vitest";
import { dbKind, concurrentApi, type TestApi } from "./harness.ts";

// Promotion limits under real concurrency: PostgreSQL only (PGlite runs one transaction at a time).
// Every attempt is a whole checkout completion over HTTP; refusals are typed, never a 5xx.
describe.skipIf(dbKind() !== "postgres")("promotion limits under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a), { currency: "USD" });

  /** Runs `n` tasks with at most `width` in flight. */
  async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
    const out = new Array<T>(n);
    let next = 0;
    await Promise.all(Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }));
    return out;
  }

  const cart = { lines: [{ sku: "tee", quantity: 1, unitPrice: 2000 }] };

  it("100 single-use codes, 10,000 concurrent completions: exactly 100 apply, the rest are CODE_EXHAUSTED", async () => {
    const c = await api.call("POST", "/v1/campaigns", { name: "Single use", kind: "bulk_codes", stacking: "stackable", priority: 1, effects: [{ kind: "order_fixed", amount: 500 }] });
    const gen = await api.call("POST", `/v1/campaigns/${c.body.id}/codes/generate`, { count: 100 });
    expect(gen.status, JSON.stringify(gen.body)).toBeLessThan(300);
    const codes = (await api.call("GET", `/v1/campaigns/${c.body.id}/codes?limit=100`)).body.data.map((x: { code: string }) => x.code);
    expect(codes).toHaveLength(100);
    const rs = await pool(10_000, 64, (i) => api.call("POST", "/v1/carts/complete", { ...cart, orderId: `su-${i}`, email: `buyer${i}@example.com`, codes: [codes[i % 100]] }));
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    expect(rs.filter((r) => r.status === 200)).toHaveLength(10_000);
    expect(rs.filter((r) => r.body.redemptions.length === 1)).toHaveLength(100);
    expect(rs.filter((r) => r.body.refused[0]?.reason === "CODE_EXHAUSTED")).toHaveLength(9_900);
    const usedCodes = rs.flatMap((r) => r.body.redemptions.map((x: { code: string }) => x.code));
    expect(new Set(usedCodes).size).toBe(100);
  }, 600_000);

  it("a reusable code capped at 500 and 1 per customer, 1,000 customers × 5 concurrent attempts: exactly 500", async () => {
    await api.call("POST", "/v1/campaigns", { name: "First 500", kind: "code", code: "FIRST500", stacking: "stackable", priority: 1, effects: [{ kind: "order_fixed", amount: 100 }], limits: { total: 500, perCustomer: { max: 1, per: "lifetime" } } });
    const rs = await pool(5_000, 64, (i) => api.call("POST", "/v1/carts/complete", { ...cart, orderId: `cap-${i}`, email: `c${i % 1000}@example.com`, codes: ["FIRST500"] }));
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    const applied = rs.filter((r) => r.body.redemptions?.length === 1);
    expect(applied).toHaveLength(500);
    expect(new Set(applied.map((r) => r.body.refused.length === 0 && r.body.orderId && r.body.redemptions[0].id)).size).toBe(500);
    const customers = applied.map((r) => Number(r.body.orderId.slice(4)) % 1000);
    expect(new Set(customers).size).toBe(500);
    const reasons = new Set(rs.filter((r) => r.body.redemptions.length === 0).map((r) => r.body.refused[0].reason));
    expect([...reasons].every((x) => x === "CODE_EXHAUSTED" || x === "CUSTOMER_LIMIT_REACHED")).toBe(true);
    const campaign = (await api.call("GET", "/v1/campaigns?kind=code")).body.data.find((x: { code: string }) => x.code === "FIRST500");
    expect(campaign.usage.redeemed).toBe(500);
  }, 600_000);

  it("a budget of 10,000 points at 10 per order: exactly 1,000 awards", async () => {
    await api.call("POST", "/v1/campaigns", { name: "Bonus 10", kind: "automatic", stacking: "group", group: "points", priority: 1, effects: [{ kind: "bonus_points", points: 10 }], limits: { budget: { points: 10_000 } } });
    const members = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const m of members) await api.call("PUT", `/v1/customers/${m}`, {});
    const rs = await pool(1_200, 32, (i) => api.call("POST", "/v1/carts/complete", { ...cart, orderId: `bud-${i}`, customerId: members[i % 50] }));
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    const awarded = rs.filter((r) => r.body.redemptions.some((x: { points: number }) => x.points === 10));
    expect(awarded).toHaveLength(1_000);
    const total = (await Promise.all(members.map((m) => api.call("GET", `/v1/customers/${m}/transactions?type=earn&limit=100`)))).reduce(
      (n, r) => n + r.body.data.filter((t: { source: { kind: string } }) => t.source?.kind === "promotion").length,
      0,
    );
    expect(total).toBe(1_000);
  }, 600_000);

  it("500 completions each rolled back twice concurrently: exactly 500 rollbacks take effect and every counter returns to zero", async () => {
    const c = await api.call("POST", "/v1/campaigns", { name: "Undo me", kind: "code", code: "UNDO", stacking: "stackable", priority: 1, effects: [{ kind: "order_fixed", amount: 100 }], limits: { total: 10_000, perCustomer: { max: 5, per: "month" } } });
    await pool(500, 32, (i) => api.call("POST", "/v1/carts/complete", { ...cart, orderId: `undo-${i}`, email: `u${i}@example.com`, codes: ["UNDO"] }));
    expect((await api.call("GET", `/v1/campaigns/${c.body.id}`)).body.usage.redeemed).toBe(500);
    const rs = await pool(1_000, 64, (i) => api.call("POST", "/v1/carts/rollback", { orderId: `undo-${i % 500}` }));
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    expect(rs.filter((r) => r.body.effect === "rolled_back")).toHaveLength(500);
    expect(rs.filter((r) => r.body.effect === "already_rolled_back")).toHaveLength(500);
    expect((await api.call("GET", `/v1/campaigns/${c.body.id}`)).body.usage.redeemed).toBe(0);
  }, 600_000);

  it("reservations never exceed what is left: 3 uses left, 20 sessions reserve at once, 3 hold", async () => {
    await api.call("POST", "/v1/campaigns", { name: "Three left", kind: "code", code: "THREE", stacking: "stackable", priority: 1, effects: [{ kind: "order_fixed", amount: 100 }], limits: { total: 3 } });
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => api.call("POST", "/v1/carts/reserve", { ...cart, sessionId: `sess-${i}`, email: `r${i}@example.com`, codes: ["THREE"] })));
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    expect(rs.filter((r) => r.body.reservations.length === 1)).toHaveLength(3);
    expect(rs.filter((r) => r.body.refused[0]?.reason === "CODE_EXHAUSTED")).toHaveLength(17);
  }, 120_000);

  it("holds never promise more than a budget has left: 1,000 of money at 100 a cart, 30 sessions reserve at once, 10 hold, and all 10 complete at the price shown", async () => {
    await api.call("POST", "/v1/campaigns", { name: "Ten carts of budget", kind: "code", code: "TENBUDGET", stacking: "stackable", priority: 1, effects: [{ kind: "order_fixed", amount: 100 }], limits: { budget: { money: 1_000 } } });
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => api.call("POST", "/v1/carts/reserve", { ...cart, sessionId: `bsess-${i}`, email: `bud${i}@example.com`, codes: ["TENBUDGET"] })));
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    const holders = rs.map((r, i) => ({ r, i })).filter(({ r }) => r.body.reservations.length === 1);
    expect(holders).toHaveLength(10);
    expect(rs.filter((r) => r.body.refused[0]?.reason === "BUDGET_EXHAUSTED")).toHaveLength(20);
    const done = await Promise.all(holders.map(({ r, i }) => api.call("POST", "/v1/carts/complete", { ...cart, sessionId: `bsess-${i}`, orderId: `hold-bud-${i}`, email: `bud${i}@example.com`, codes: ["TENBUDGET"], expectedTotal: r.body.total })));
    expect(done.map((d) => d.status)).toEqual(holders.map(() => 200));
    expect(done.every((d) => d.body.discount === 100)).toBe(true);
  }, 120_000);
});
