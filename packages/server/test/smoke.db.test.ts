import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApi, orderEvent, type TestApi } from "./harness.ts";

describe("smoke", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(() => api.close());

  it("earns points for an order", async () => {
    const r = await api.call("POST", "/v1/events", orderEvent("e1", "c1", "o1", 12_345));
    expect(r.status).toBe(200);
    expect(r.body.effects.pointsEarned).toBe(123);
    const b = await api.call("GET", "/v1/customers/c1/balances");
    expect(b.body.available).toBe(123);
  });
});
