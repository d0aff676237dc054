import { describe, expect, it } from "vitest";
import { dbKind, concurrentApi, type TestApi } from "./harness.ts";

// Tier entry rewards given by concurrent orders: PostgreSQL only (PGlite runs one transaction at a
// time). Events go through /v1/events/batch, one per request, so each runs in its own transaction.
describe.skipIf(dbKind() !== "postgres")("tier entry rewards under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a));

  const order = (customerId: string, id: string, amount: number) =>
    api.call("POST", "/v1/events/batch", { events: [{ id, type: "order.completed", customerId, data: { orderId: id, currency: "USD", lines: [{ sku: "COAT", quantity: 1, unitPrice: amount }] } }] });

  it("20 customers reach Gold at once with an entry reward of stock 5: exactly 5 are given, 15 hear why not", async () => {
    const reward = await api.call("POST", "/v1/rewards", { name: "Gold scarf", kind: "physical_gift", cost: 1_000, stock: 5, status: "disabled" });
    const put = await api.call("PUT", "/v1/tiers", { tiers: { basis: "spend", window: "lifetime", levels: [{ key: "gold", name: "Gold", threshold: 10_000, benefits: { entryReward: reward.body.id } }] } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => order(`g-${i}`, `g-o-${i}`, 12_000)));
    expect(rs.filter((r) => r.status !== 200 || r.body.accepted !== 1).map((r) => r.body)).toEqual([]);
    const tiers = rs.map((r) => r.body.results[0].effects.tier);
    expect(tiers.every((t) => t.to === "gold")).toBe(true);
    expect(tiers.filter((t) => t.giftReward)).toHaveLength(5);
    expect(tiers.filter((t) => t.giftRewardUnavailable === "REWARD_OUT_OF_STOCK")).toHaveLength(15);
    expect((await api.call("GET", `/v1/rewards/${reward.body.id}`)).body).toMatchObject({ issued: 5, available: 0 });
  });

  it("10 concurrent orders of one customer that each cross the threshold: one upgrade, one reward", async () => {
    const reward = await api.call("POST", "/v1/rewards", { name: "VIP pass", kind: "free_shipping", cost: 1_000, status: "disabled" });
    await api.call("PUT", "/v1/tiers", { tiers: { basis: "spend", window: "lifetime", levels: [{ key: "gold", name: "Gold", threshold: 10_000, benefits: {} }, { key: "vip", name: "VIP", threshold: 100_000, benefits: { entryReward: reward.body.id, entryPoints: 10 } }] } });
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => order("solo", `solo-${i}`, 100_000)));
    expect(rs.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    const given = rs.map((r) => r.body.results[0].effects.tier).filter((t) => t?.giftReward);
    expect(given).toHaveLength(1);
    expect(given[0]).toMatchObject({ to: "vip", giftPoints: 10 });
    expect((await api.call("GET", "/v1/customers/solo/redemptions")).body.data).toHaveLength(1);
  });
});
