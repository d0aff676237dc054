import { describe, expect, it } from "vitest";
import { dbKind, concurrentApi, type TestApi } from "./harness.ts";

// Referral caps under concurrency: PostgreSQL only (PGlite runs one transaction at a time).
describe.skipIf(dbKind() !== "postgres")("referral conversions under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a));

  it("50 concurrent conversions for one referrer with a cap of 10 a month: exactly 10 rewards", async () => {
    const put = await api.call("PUT", "/v1/referrals", {
      settings: { enabled: true, attributionDays: 30, friend: { campaignId: null, validDays: 30, points: 0 }, referrer: { on: "signup", holdDays: 0, reward: { points: 100 } }, caps: [{ per: "month", max: 10 }] },
      landingUrl: null,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await api.call("PUT", "/v1/customers/hub", { name: "Hub" });
    const code = (await api.call("GET", "/v1/customers/hub/referral")).body.code as string;
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => api.call("POST", "/v1/referrals", { friendId: `rush-${i}`, code })));
    expect(rs.every((r) => r.status === 201)).toBe(true);
    const rewarded = rs.filter((r) => r.body.referrerReward?.reward);
    expect(rewarded).toHaveLength(10);
    expect(rs.filter((r) => r.body.referrerReward?.skipped === "REFERRER_CAP_REACHED")).toHaveLength(40);
    // The ladder's sequence numbers are 1..10 exactly once each: no two conversions counted the same slot.
    expect(rewarded.map((r) => r.body.referrerReward.reward.sequence).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await api.call("GET", "/v1/customers/hub/balances")).body.available).toBe(1_000);
  });
});
