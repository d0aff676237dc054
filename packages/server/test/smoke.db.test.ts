import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
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

  it("serves the committed openapi.json and the API reference, the same on every request (built once)", async () => {
    const committed = JSON.parse(readFileSync(new URL("../../../openapi.json", import.meta.url), "utf8"));
    const first = await api.raw({ method: "GET", path: "/openapi.json" });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^application\/json/);
    const text = await first.text();
    expect(JSON.parse(text)).toEqual(committed);
    expect(await (await api.raw({ method: "GET", path: "/openapi.json" })).text()).toBe(text);
    const docs = await api.raw({ method: "GET", path: "/docs" });
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await docs.text()).toContain("/v1/carts/evaluate");
  });
});
