import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { orderEvent, testApi, type TestApi } from "./harness.ts";

/**
 * Text PostgreSQL cannot store: the NUL character (text and jsonb refuse it) and an unpaired UTF-16
 * surrogate (jsonb refuses its escape; the driver writes it into text as U+FFFD, so what was stored
 * was not what was sent). Valid JSON and valid percent-encoding can carry both, in a body, a query
 * or a path. Each is refused as VALIDATION_FAILED naming the field, before anything runs: they were
 * 500s from the database, or silently changed text.
 */

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
  await api.call("POST", "/v1/events", orderEvent("e-1", "alice", "o-1", 1_000));
});
afterAll(() => api.close());

const NUL = "\u0000";
const HIGH = "\ud800";
const LOW = "\udc00";

async function counts() {
  const [r] = await rows<{ customers: number; txns: number; events: number; keys: number }>(
    api.ctx.db,
    sql`select (select count(*) from customers)::int as customers, (select count(*) from ledger_transactions)::int as txns,
               (select count(*) from events)::int as events, (select count(*) from api_keys)::int as keys`,
  );
  return r!;
}

describe("a body string with NUL or an unpaired surrogate", () => {
  const bodies: [string, string, string, (bad: string) => unknown, string][] = [
    ["a customer's name", "PUT", "/v1/customers/c-name", (bad) => ({ name: `Ann${bad}` }), "name"],
    ["a tag", "PUT", "/v1/customers/c-tag", (bad) => ({ tags: ["ok", `t${bad}`] }), "tags.1"],
    ["an attribute value (jsonb)", "PUT", "/v1/customers/c-attr", (bad) => ({ attributes: { plan: { tier: `g${bad}` } } }), "attributes.plan.tier"],
    ["an attribute key (jsonb)", "PUT", "/v1/customers/c-key", (bad) => ({ attributes: { [`k${bad}`]: 1 } }), "attributes"],
    ["an adjustment's reason", "POST", "/v1/customers/alice/adjustments", (bad) => ({ amount: 5, reason: `why${bad}` }), "reason"],
    ["the program's name", "PATCH", "/v1/program", (bad) => ({ name: `Café${bad}` }), "name"],
    ["a key's name", "POST", "/v1/keys", (bad) => ({ kind: "secret", name: `k${bad}` }), "name"],
    ["a custom event's data", "POST", "/v1/events", (bad) => ({ id: `ev-${bad.charCodeAt(0)}`, type: "custom", name: "x", customerId: "c-ev", data: { note: bad } }), "data.note"],
    ["an order line's name", "POST", "/v1/events", (bad) => ({ ...orderEvent(`ev-o-${bad.charCodeAt(0)}`, "c-ord", `o-${bad.charCodeAt(0)}`, 100), data: { orderId: `o-${bad.charCodeAt(0)}`, currency: "USD", lines: [{ sku: "S", name: `Latte${bad}`, quantity: 1, unitPrice: 100 }] } }), "data.lines.0.name"],
  ];
  for (const [what, method, path, body, field] of bodies) {
    for (const [label, bad] of [["NUL", NUL], ["a lone high surrogate", HIGH], ["a lone low surrogate", `${LOW}b`]] as const) {
      it(`${what} with ${label} is 400 VALIDATION_FAILED naming ${field}, and nothing is written`, async () => {
        const before = await counts();
        const r = await api.call(method, path, body(bad));
        expect(r.status, r.text).toBe(400);
        expect(r.body.code).toBe("VALIDATION_FAILED");
        expect(r.body.message).toMatch(new RegExp(`^${field.replaceAll(".", "\\.")}: .*(NUL|surrogate)`));
        expect(r.body.details.issues[0].path).toBe(field);
        expect(await counts()).toEqual(before);
      });
    }
  }

  it("a batch with one such event is refused whole, as any malformed batch", async () => {
    const before = await counts();
    const r = await api.call("POST", "/v1/events/batch", { events: [orderEvent("b-1", "c-b", "ob-1", 100), { id: "b-2", type: "custom", name: "x", customerId: "c-b", data: { k: NUL } }] });
    expect(r.status, r.text).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect(r.body.details.issues[0].path).toBe("events.1.data.k");
    expect(await counts()).toEqual(before);
  });

  it("a well-formed pair of surrogates (an emoji) is stored and read back as sent", async () => {
    const r = await api.call("PUT", "/v1/customers/c-emoji", { name: "Ann \ud83d\ude00", attributes: { mood: "\ud83d\ude00" }, tags: ["\ud83d\ude00"] });
    expect(r.status, r.text).toBe(201);
    const read = await api.call("GET", "/v1/customers/c-emoji");
    expect(read.body).toMatchObject({ name: "Ann 😀", attributes: { mood: "😀" }, tags: ["😀"] });
  });
});

describe("a path or query parameter with NUL", () => {
  for (const path of ["/v1/rewards/%00", "/v1/rewards/a%00b", "/v1/transactions/%00", "/v1/campaigns/%00", "/v1/campaigns/%00/codes", "/v1/rules/%00", "/v1/stamp-cards/%00", "/v1/payouts/%00", "/v1/redemptions/%00"]) {
    it(`GET ${path} is 400 VALIDATION_FAILED`, async () => {
      const r = await api.call("GET", path);
      expect(r.status, r.text).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    });
  }
  for (const query of ["q", "email", "phone", "tag"]) {
    it(`GET /v1/customers?${query}=a%00 is 400 VALIDATION_FAILED naming ${query}`, async () => {
      const r = await api.call("GET", `/v1/customers?${query}=a%00`);
      expect(r.status, r.text).toBe(400);
      expect(r.body).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: query }] } });
    });
  }
  for (const path of ["/v1/audit-log?target=%00", "/v1/referrals/entries?referrerId=%00", "/v1/payouts?customerId=%00", "/v1/tier-changes?customerId=%00"]) {
    it(`GET ${path} is 400 VALIDATION_FAILED`, async () => {
      const r = await api.call("GET", path);
      expect(r.status, r.text).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    });
  }

  it("the public referral link with NUL in the program id is 404, like any unknown program", async () => {
    const r = await api.raw({ method: "GET", path: "/r/%00/abc" });
    expect(r.status).toBe(404);
  });
});
