import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { testApi, orderEvent, type TestApi } from "./harness.ts";

/**
 * Acceptance: any mutating request replayed 10 times in sequence and 50 times concurrently has
 * exactly one effect, and every response is the same.
 */
interface Case {
  name: string;
  method: string;
  path: () => string;
  body: unknown;
  /** A number that the request's one effect changes by exactly `delta`. */
  effect: () => Promise<number>;
  delta: number;
  /** Fields that differ on a replay by design (a created key's secret is never stored). */
  redacted?: string[];
}

describe("every mutating request has exactly one effect, however often it is sent", () => {
  let api: TestApi;
  const n = (q: ReturnType<typeof sql>) => async () => Number((await rows<{ n: number }>(api.ctx.db, q))[0]!.n);
  let earnTxn = "";
  let keyToRevoke = "";

  beforeAll(async () => {
    api = await testApi();
    const e = await api.call("POST", "/v1/events", orderEvent("setup-1", "rev", "SETUP-1", 10_000));
    earnTxn = e.body.effects.transactionId;
    await api.call("PUT", "/v1/customers/erase-me", { email: "erase@example.com" });
    await api.call("PUT", "/v1/customers/patch-me", { name: "Before" });
    keyToRevoke = (await api.call("POST", "/v1/keys", { kind: "secret", name: "to revoke" })).body.id;
  });
  afterAll(() => api.close());

  const cases = (): Case[] => [
    { name: "POST /v1/events", method: "POST", path: () => "/v1/events", body: orderEvent("idem-e1", "ida", "IDEM-1", 1234), effect: n(sql`select count(*)::int as n from ledger_transactions where type = 'earn'`), delta: 1 },
    {
      name: "POST /v1/events/batch",
      method: "POST",
      path: () => "/v1/events/batch",
      body: { events: [orderEvent("idem-b1", "ida", "IDEM-B1", 500), orderEvent("idem-b2", "ida", "IDEM-B2", 700)] },
      effect: n(sql`select count(*)::int as n from orders`),
      delta: 2,
    },
    { name: "PUT /v1/customers/{id}", method: "PUT", path: () => "/v1/customers/new-one", body: { email: "new@example.com" }, effect: n(sql`select count(*)::int as n from customers`), delta: 1 },
    { name: "PATCH /v1/customers/{id}", method: "PATCH", path: () => "/v1/customers/patch-me", body: { tags: ["vip"] }, effect: n(sql`select count(*)::int as n from customers where 'vip' = any(tags)`), delta: 1 },
    { name: "POST adjustments", method: "POST", path: () => "/v1/customers/rev/adjustments", body: { amount: 7, reason: "retry me" }, effect: n(sql`select count(*)::int as n from ledger_transactions where type = 'adjustment'`), delta: 1 },
    { name: "POST reverse", method: "POST", path: () => `/v1/transactions/${earnTxn}/reverse`, body: { reason: "retry me" }, effect: n(sql`select count(*)::int as n from ledger_transactions where type = 'reversal'`), delta: 1 },
    { name: "POST erase", method: "POST", path: () => "/v1/customers/erase-me/erase", body: { reason: "request" }, effect: n(sql`select count(*)::int as n from audit_log where action = 'customer.erased'`), delta: 1 },
    { name: "POST /v1/keys", method: "POST", path: () => "/v1/keys", body: { kind: "publishable", name: "widget" }, effect: n(sql`select count(*)::int as n from api_keys`), delta: 1, redacted: ["secret"] },
    { name: "DELETE /v1/keys/{id}", method: "DELETE", path: () => `/v1/keys/${keyToRevoke}`, body: undefined, effect: n(sql`select count(*)::int as n from audit_log where action = 'key.revoked'`), delta: 1 },
    { name: "PATCH /v1/program", method: "PATCH", path: () => "/v1/program", body: { pointsPlural: "Beans" }, effect: n(sql`select count(*)::int as n from audit_log where action = 'program.updated'`), delta: 1 },
  ];

  it.each(cases().map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const before = await c.effect();
    const key = `key-${c.name.replace(/[^A-Za-z0-9]+/g, "-")}`;
    const send = () => api.call(c.method, c.path(), c.body, { "idempotency-key": key });
    const first = await send();
    expect(first.status).toBeLessThan(300);
    const sequential = [];
    for (let i = 0; i < 10; i++) sequential.push(await send());
    const concurrent = await Promise.all(Array.from({ length: 50 }, send));
    expect(await c.effect()).toBe(before + c.delta);
    const strip = (text: string) => {
      const body = JSON.parse(text);
      for (const f of c.redacted ?? []) delete body[f];
      return JSON.stringify(body);
    };
    for (const r of [...sequential, ...concurrent]) {
      expect(r.status).toBe(first.status);
      expect(r.headers.get("idempotent-replayed")).toBe("true");
      if (c.redacted) expect(strip(r.text)).toBe(strip(first.text));
      else expect(r.text).toBe(first.text);
    }
  });

  it("50 concurrent first sends of one new request: one effect, one original answer, 49 replays", async () => {
    const before = await n(sql`select count(*)::int as n from ledger_transactions where type = 'adjustment'`)();
    const rs = await Promise.all(Array.from({ length: 50 }, () => api.call("POST", "/v1/customers/rev/adjustments", { amount: 3, reason: "race" }, { "idempotency-key": "race-1" })));
    expect(await n(sql`select count(*)::int as n from ledger_transactions where type = 'adjustment'`)()).toBe(before + 1);
    expect(new Set(rs.map((r) => r.text)).size).toBe(1);
    expect(rs.filter((r) => r.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
  });

  it("50 concurrent first sends of one new event: one effect, one answer", async () => {
    const before = await n(sql`select count(*)::int as n from orders`)();
    const rs = await Promise.all(Array.from({ length: 50 }, () => api.call("POST", "/v1/events", orderEvent("race-e", "rae", "RACE-1", 999))));
    expect(await n(sql`select count(*)::int as n from orders`)()).toBe(before + 1);
    expect(rs.every((r) => r.status === 200)).toBe(true);
    expect(new Set(rs.map((r) => r.text)).size).toBe(1);
  });

  it("the same key with another body is IDEMPOTENCY_CONFLICT and has no effect", async () => {
    const effect = n(sql`select count(*)::int as n from ledger_transactions where type = 'adjustment'`);
    await api.call("POST", "/v1/customers/rev/adjustments", { amount: 1, reason: "a" }, { "idempotency-key": "conflict-1" });
    const before = await effect();
    const r = await api.call("POST", "/v1/customers/rev/adjustments", { amount: 2, reason: "a" }, { "idempotency-key": "conflict-1" });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("IDEMPOTENCY_CONFLICT");
    expect(await effect()).toBe(before);
  });

  it("a key is scoped to its endpoint: the same key on another endpoint is a new request", async () => {
    const a = await api.call("PUT", "/v1/customers/scope-a", {}, { "idempotency-key": "shared" });
    const b = await api.call("POST", "/v1/customers/scope-a/adjustments", { amount: 1, reason: "x" }, { "idempotency-key": "shared" });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a refused request is replayed as the same refusal", async () => {
    const first = await api.call("POST", "/v1/customers/rev/adjustments", { amount: -1_000_000, reason: "x" }, { "idempotency-key": "refused-1" });
    const again = await api.call("POST", "/v1/customers/rev/adjustments", { amount: -1_000_000, reason: "x" }, { "idempotency-key": "refused-1" });
    expect(first.body.code).toBe("INSUFFICIENT_POINTS");
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });
});
