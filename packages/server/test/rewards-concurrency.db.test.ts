import { describe, expect, it } from "vitest";
import { dbKind, concurrentApi, type TestApi } from "./harness.ts";

// Redemptions racing for stock, for one balance and for a pool of partner codes: PostgreSQL only
// (PGlite runs one transaction at a time).
describe.skipIf(dbKind() !== "postgres")("redemptions under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a));

  async function fund(customers: string[], amount: number) {
    for (const c of customers) {
      await api.call("PUT", `/v1/customers/${c}`, {});
      expect((await api.call("POST", `/v1/customers/${c}/adjustments`, { amount, reason: "seed" })).status).toBe(201);
    }
  }

  it("20 concurrent redemptions of a reward with stock 5: exactly 5 succeed, 15 REWARD_OUT_OF_STOCK", async () => {
    const r = await api.call("POST", "/v1/rewards", { name: "Limited mug", kind: "physical_gift", cost: 10, stock: 5 });
    const customers = Array.from({ length: 20 }, (_, i) => `stock-${i}`);
    await fund(customers, 100);
    const rs = await Promise.all(customers.map((c) => api.call("POST", `/v1/customers/${c}/redemptions`, { rewardId: r.body.id })));
    expect(rs.filter((x) => x.status === 201)).toHaveLength(5);
    expect(rs.filter((x) => x.status === 409 && x.body.code === "REWARD_OUT_OF_STOCK")).toHaveLength(15);
    expect((await api.call("GET", `/v1/rewards/${r.body.id}`)).body).toMatchObject({ issued: 5, available: 0 });
  });

  it("a balance that covers one redemption, 20 concurrent redemptions: exactly 1 succeeds", async () => {
    const r = await api.call("POST", "/v1/rewards", { name: "Free coffee", kind: "free_product", config: { sku: "LAT" }, cost: 100 });
    await fund(["once"], 150);
    const rs = await Promise.all(Array.from({ length: 20 }, () => api.call("POST", "/v1/customers/once/redemptions", { rewardId: r.body.id })));
    expect(rs.filter((x) => x.status === 201)).toHaveLength(1);
    expect(rs.filter((x) => x.status === 422 && x.body.code === "INSUFFICIENT_POINTS")).toHaveLength(19);
    expect((await api.call("GET", "/v1/customers/once/balances")).body.available).toBe(50);
  });

  it("a pool of 100 partner codes and 300 concurrent redemptions: 100 distinct codes, never one twice", async () => {
    const r = await api.call("POST", "/v1/rewards", { name: "Sunscreen", kind: "partner_coupon", config: { partner: "Travel Co" }, cost: 1 });
    await api.call("POST", `/v1/rewards/${r.body.id}/codes`, { codes: Array.from({ length: 100 }, (_, i) => `SUN-${String(i).padStart(3, "0")}`) });
    const customers = Array.from({ length: 30 }, (_, i) => `pool-${i}`);
    await fund(customers, 50);
    const rs = await Promise.all(Array.from({ length: 300 }, (_, i) => api.call("POST", `/v1/customers/${customers[i % 30]}/redemptions`, { rewardId: r.body.id })));
    const ok = rs.filter((x) => x.status === 201);
    expect(ok).toHaveLength(100);
    expect(new Set(ok.map((x) => x.body.partnerCode)).size).toBe(100);
    expect(rs.filter((x) => x.status >= 500)).toHaveLength(0);
    expect(rs.filter((x) => x.status === 409 && x.body.code === "REWARD_OUT_OF_STOCK")).toHaveLength(200);
  });
});
