import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { rows, type Database } from "../src/db/connect.ts";
import { testApi, testDatabase, type TestApi } from "./harness.ts";

/** API keys over HTTP: created and shown once, stored hashed, listed without secrets, revoked; auth and rate limits. */

let database: Database;
let api: TestApi;
beforeAll(async () => {
  database = await testDatabase();
  api = await testApi({ database });
});
afterAll(() => database.close());

const as = (key: string | undefined, method: string, path: string, body?: unknown) =>
  api.call(method, path, body, key === undefined ? { authorization: "" } : { authorization: `Bearer ${key}` });

describe("POST /v1/keys", () => {
  it("returns the whole secret once, with 201", async () => {
    const r = await api.call("POST", "/v1/keys", { kind: "secret", name: "Backend" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: "secret", name: "Backend", revokedAt: null });
    expect(r.body.id).toMatch(/^key_/);
    expect(r.body.secret).toMatch(/^sk_[A-Za-z0-9]{16,64}$/);
    expect(r.body.hint).toBe(`${r.body.secret.slice(0, 7)}…`);
  });

  it("creates publishable keys starting pk_", async () => {
    const r = await api.call("POST", "/v1/keys", { kind: "publishable", name: "Storefront" });
    expect(r.status).toBe(201);
    expect(r.body.secret).toMatch(/^pk_/);
  });

  it("refuses an unknown kind or a missing name (VALIDATION_FAILED)", async () => {
    for (const body of [{ kind: "admin", name: "x" }, { kind: "secret" }, { kind: "secret", name: "x", scopes: ["all"] }]) {
      const r = await api.call("POST", "/v1/keys", body);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    }
  });

  it("stores only a hash of the secret", async () => {
    const r = await api.call("POST", "/v1/keys", { kind: "secret", name: "Hashed" });
    const secret: string = r.body.secret;
    const stored = await rows<Record<string, unknown>>(api.ctx.db, sql`select * from api_keys where id = ${r.body.id}`);
    expect(stored).toHaveLength(1);
    for (const value of Object.values(stored[0]!)) expect(String(value)).not.toContain(secret.slice(3));
    expect(stored[0]!.hash).toBe(createHash("sha256").update(secret).digest("hex"));
    // Nor anywhere else it could have been written on the way: the idempotency table, the audit log.
    const elsewhere = await rows<Record<string, unknown>>(api.ctx.db, sql`select (select coalesce(string_agg(coalesce(response, ''), ''), '') from idempotency_keys) as i, (select string_agg(data::text, '') from audit_log) as a`);
    expect(JSON.stringify(elsewhere)).not.toContain(secret.slice(3));
  });

  it("replaying with the same Idempotency-Key returns secret: null and creates no second key", async () => {
    const before = (await api.call("GET", "/v1/keys")).body.data.length;
    const headers = { "idempotency-key": "key-create-1" };
    const first = await api.call("POST", "/v1/keys", { kind: "secret", name: "Once" }, headers);
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^sk_/);
    const again = await api.call("POST", "/v1/keys", { kind: "secret", name: "Once" }, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual({ ...first.body, secret: null });
    const after = (await api.call("GET", "/v1/keys")).body.data;
    expect(after.length).toBe(before + 1);
    expect(after.filter((k: any) => k.name === "Once")).toHaveLength(1);
  });

  it("the same Idempotency-Key with another body is 409 IDEMPOTENCY_CONFLICT", async () => {
    const headers = { "idempotency-key": "key-create-2" };
    expect((await api.call("POST", "/v1/keys", { kind: "secret", name: "A" }, headers)).status).toBe(201);
    const r = await api.call("POST", "/v1/keys", { kind: "secret", name: "B" }, headers);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("IDEMPOTENCY_CONFLICT");
    expect((await api.call("GET", "/v1/keys")).body.data.some((k: any) => k.name === "B")).toBe(false);
  });
});

describe("GET /v1/keys", () => {
  it("lists every key of the program and never a secret", async () => {
    const created = await api.call("POST", "/v1/keys", { kind: "secret", name: "Listed" });
    const r = await api.call("GET", "/v1/keys");
    expect(r.status).toBe(200);
    const names = r.body.data.map((k: any) => k.name);
    expect(names).toEqual(expect.arrayContaining(["Default secret key", "Default publishable key", "Listed"]));
    for (const k of r.body.data) {
      expect(k.secret ?? null).toBeNull();
      expect(k.hash).toBeUndefined();
      expect(k.hint).toMatch(/^(sk|pk)_.{4}…$/);
    }
    expect(r.text).not.toContain(created.body.secret.slice(3));
    expect(r.text).not.toContain(api.secretKey.slice(3));
    expect(r.text).not.toContain(api.publishableKey.slice(3));
  });
});

describe("revoking keys", () => {
  it("a new key works until DELETE revokes it, then it is 401 UNAUTHENTICATED", async () => {
    const k = (await api.call("POST", "/v1/keys", { kind: "secret", name: "Temp" })).body;
    expect((await as(k.secret, "GET", "/v1/customers")).status).toBe(200);
    expect((await as(k.secret, "PUT", "/v1/customers/via-temp", { name: "T" })).status).toBe(201);

    const r = await api.call("DELETE", `/v1/keys/${k.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: k.id, name: "Temp" });
    expect(typeof r.body.revokedAt).toBe("string");
    expect(r.body.secret ?? null).toBeNull();

    const denied = await as(k.secret, "GET", "/v1/customers");
    expect(denied.status).toBe(401);
    expect(denied.body.code).toBe("UNAUTHENTICATED");
    expect((await api.call("GET", "/v1/keys")).body.data.find((x: any) => x.id === k.id).revokedAt).toBe(r.body.revokedAt);
  });

  it("revoking twice is harmless and keeps the first revocation time", async () => {
    const k = (await api.call("POST", "/v1/keys", { kind: "publishable", name: "Twice" })).body;
    const first = await api.call("DELETE", `/v1/keys/${k.id}`);
    api.clock.advanceDays(1);
    const second = await api.call("DELETE", `/v1/keys/${k.id}`);
    expect(second.status).toBe(200);
    expect(second.body.revokedAt).toBe(first.body.revokedAt);
    const audits = await rows<{ n: number | string }>(api.ctx.db, sql`select count(*) as n from audit_log where action = 'key.revoked' and target = ${k.id}`);
    expect(Number(audits[0]!.n)).toBe(1);
  });

  it("an unknown key id is 404 KEY_NOT_FOUND", async () => {
    const r = await api.call("DELETE", "/v1/keys/key_DOESNOTEXIST");
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("KEY_NOT_FOUND");
  });

  it("another program's key id is 404 KEY_NOT_FOUND and stays valid", async () => {
    const other = await testApi({ database });
    const otherKey = (await other.call("GET", "/v1/keys")).body.data.find((k: any) => k.kind === "secret");
    const r = await api.call("DELETE", `/v1/keys/${otherKey.id}`);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("KEY_NOT_FOUND");
    expect((await other.call("GET", "/v1/customers")).status).toBe(200);
  });
});

describe("authentication", () => {
  it("no Authorization header is 401 UNAUTHENTICATED", async () => {
    const res = await api.raw({ method: "GET", path: "/v1/customers" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).code).toBe("UNAUTHENTICATED");
  });

  it("a garbage or unknown key is 401 UNAUTHENTICATED", async () => {
    for (const authorization of ["Bearer", "Bearer garbage", `Basic ${api.secretKey}`, "Bearer sk_abcdefghijklmnopqrstuvwxyz012345", `Bearer ${api.secretKey}x`, `Bearer ${api.secretKey} extra`]) {
      const r = await api.call("GET", "/v1/customers", undefined, { authorization });
      expect(r.status, authorization).toBe(401);
      expect(r.body.code).toBe("UNAUTHENTICATED");
    }
  });

  it("a refused request has no effect", async () => {
    const r = await api.call("PUT", "/v1/customers/unauth-1", { name: "X" }, { authorization: "Bearer sk_wrongwrongwrongwrong" });
    expect(r.status).toBe(401);
    expect((await api.call("GET", "/v1/customers/unauth-1")).status).toBe(404);
  });
});

describe("publishable keys", () => {
  it("can read the program's public fields only", async () => {
    const r = await as(api.publishableKey, "GET", "/v1/program");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: api.programId, name: "Test Café", pointsSingular: "Star", pointsPlural: "Stars", currency: "USD", currencyMinorUnits: 2 });
    for (const hidden of ["earning", "ledgerPolicy", "defaultCountry", "createdAt", "updatedAt"]) expect(r.body).not.toHaveProperty(hidden);
  });

  it("gets 403 FORBIDDEN on everything else", async () => {
    const attempts: [string, string, unknown?][] = [
      ["GET", "/v1/customers"],
      ["GET", "/v1/keys"],
      ["POST", "/v1/keys", { kind: "secret", name: "escalate" }],
      ["PATCH", "/v1/program", { name: "Hacked" }],
      ["PUT", "/v1/customers/pk-1", { name: "X" }],
      ["POST", "/v1/events", { id: "pk-ev", type: "custom", customerId: "pk-1", name: "x" }],
    ];
    for (const [method, path, body] of attempts) {
      const r = await as(api.publishableKey, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.code).toBe("FORBIDDEN");
    }
    expect((await api.call("GET", "/v1/customers/pk-1")).status).toBe(404);
    expect((await api.call("GET", "/v1/program")).body.name).toBe("Test Café");
  });
});

describe("rate limiting", () => {
  it("a burst beyond twice the rate is 429 RATE_LIMITED with retry-after, per key, and refills with time", async () => {
    const limited = await testApi({ database, rateLimit: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.call("GET", "/v1/program")).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const r = await limited.call("GET", "/v1/customers");
    expect(r.status).toBe(429);
    expect(r.body.code).toBe("RATE_LIMITED");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(r.body.details.retryAfterSeconds).toBe(Number(r.headers.get("retry-after")));

    // Another key of the same program has its own bucket.
    const pk = await limited.call("GET", "/v1/program", undefined, { authorization: `Bearer ${limited.publishableKey}` });
    expect(pk.status).toBe(200);

    // A rate-limited mutation has no effect.
    expect((await limited.call("PUT", "/v1/customers/rl-1", { name: "X" })).status).toBe(429);

    limited.clock.set(new Date(limited.clock.now().getTime() + 1_000));
    expect((await limited.call("GET", "/v1/customers/rl-1")).status).toBe(404);
  });
});
