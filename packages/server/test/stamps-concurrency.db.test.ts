import { describe, expect, it } from "vitest";
import { dbKind, concurrentApi, type TestApi } from "./harness.ts";

// A stamp card completed by concurrent orders: PostgreSQL only (PGlite runs one transaction at a time).
// Events go through /v1/events/batch (one event per request, no Idempotency-Key): that path runs each
// request in its own transaction at once, where /v1/events would group concurrent events into one batch.
describe.skipIf(dbKind() !== "postgres")("stamp cards under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a), { name: "Busy café", currency: "VND", timeZone: "Asia/Ho_Chi_Minh" });

  it("40 concurrent single-stamp orders of one customer on a card of 10 give exactly 4 rewards and leave 0 stamps", async () => {
    const reward = await api.call("POST", "/v1/rewards", { name: "Free latte", kind: "free_product", config: { sku: "LATTE" }, cost: 1000, status: "disabled" });
    const card = await api.call("POST", "/v1/stamp-cards", { name: "Coffee card", stamps: 10, qualifying: 'line.category == "coffee"', per: "unit", reward: { kind: "reward", rewardId: reward.body.id } });
    expect(card.status, JSON.stringify(card.body)).toBe(201);
    await api.call("PUT", "/v1/customers/regular", {});
    const rs = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api.call("POST", "/v1/events/batch", { events: [{ id: `c-${i}`, type: "order.completed", customerId: "regular", data: { orderId: `o-${i}`, currency: "VND", lines: [{ sku: "LATTE", category: "coffee", quantity: 1, unitPrice: 45_000 }] } }] }),
      ),
    );
    expect(rs.filter((r) => r.status !== 200 || r.body.accepted !== 1).map((r) => r.body)).toEqual([]);
    const stamps = rs.map((r) => r.body.results[0].effects.stamps[0] as { added: number; completed: number; rewards: { sequence: number; redemptionId: string }[] });
    expect(stamps.every((s) => s.added === 1)).toBe(true);
    expect(stamps.reduce((n, s) => n + s.completed, 0)).toBe(4);
    const rewards = stamps.flatMap((s) => s.rewards);
    expect(rewards.map((r) => r.sequence).sort()).toEqual([1, 2, 3, 4]);
    expect(new Set(rewards.map((r) => r.redemptionId)).size).toBe(4);

    const redemptions = (await api.call("GET", "/v1/customers/regular/redemptions")).body.data;
    expect(redemptions).toHaveLength(4);
    expect((await api.call("GET", `/v1/rewards/${reward.body.id}`)).body.issued).toBe(4);
    const [mine] = (await api.call("GET", "/v1/customers/regular/stamp-cards")).body.data;
    expect(mine).toMatchObject({ stamps: 0, needed: 10, completions: 4, lastCompletion: { sequence: 4 } });
  });

  it("concurrent orders of many customers on a reward with stock 3: exactly 3 rewards, the other full cards wait", async () => {
    const reward = await api.call("POST", "/v1/rewards", { name: "Mug", kind: "physical_gift", cost: 1000, stock: 3, status: "disabled" });
    await api.call("POST", "/v1/stamp-cards", { name: "Mug card", stamps: 2, qualifying: 'line.sku == "BEANS"', per: "unit", reward: { kind: "reward", rewardId: reward.body.id } });
    const rs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.call("POST", "/v1/events/batch", { events: [{ id: `m-${i}`, type: "order.completed", customerId: `m-${i}`, data: { orderId: `mo-${i}`, currency: "VND", lines: [{ sku: "BEANS", quantity: 2, unitPrice: 200_000 }] } }] }),
      ),
    );
    expect(rs.filter((r) => r.status !== 200 || r.body.accepted !== 1)).toHaveLength(0);
    const mug = rs.map((r) => (r.body.results[0].effects.stamps as { completed: number; rewardUnavailable?: string }[]).find((s) => s.completed > 0 || s.rewardUnavailable));
    expect(mug.filter((s) => s?.completed === 1)).toHaveLength(3);
    expect(mug.filter((s) => s?.rewardUnavailable === "REWARD_OUT_OF_STOCK")).toHaveLength(9);
    expect((await api.call("GET", `/v1/rewards/${reward.body.id}`)).body).toMatchObject({ issued: 3, available: 0 });
  });

  it("staff confirmations and orders of one customer at once: every stamp counted once, one reward per 5", async () => {
    const card = await api.call("POST", "/v1/stamp-cards", { name: "Tea card", stamps: 5, qualifying: 'line.category == "tea"', per: "unit", reward: { kind: "points", points: 100 } });
    await api.call("POST", "/v1/staff", { name: "Bao", pin: "9753" });
    await api.call("PUT", "/v1/customers/tea-lover", {});
    const orders = Array.from({ length: 15 }, (_, i) =>
      api.call("POST", "/v1/events/batch", { events: [{ id: `t-${i}`, type: "order.completed", customerId: "tea-lover", data: { orderId: `to-${i}`, currency: "VND", lines: [{ sku: "TEA", category: "tea", quantity: 1, unitPrice: 1_000 }] } }] }),
    );
    const confirmations = Array.from({ length: 10 }, (_, i) => api.call("POST", "/v1/staff/confirmations", { id: `tc-${i}`, pin: "9753", customerId: "tea-lover", action: { kind: "stamp", cardId: card.body.id } }));
    const rs = await Promise.all([...orders, ...confirmations]);
    expect(rs.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    // 25 stamps: 5 cards, 0 left; 500 points from the card, and 10 per order from the base earning (1 per 100).
    const [mine] = (await api.call("GET", "/v1/customers/tea-lover/stamp-cards")).body.data.filter((c: { cardId: string }) => c.cardId === card.body.id);
    expect(mine).toMatchObject({ stamps: 0, completions: 5, lastCompletion: { sequence: 5 } });
    expect((await api.call("GET", "/v1/customers/tea-lover/balances")).body.available).toBe(500 + 15 * 10);
  });
});
