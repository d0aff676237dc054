import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { CODE_ALPHABET } from "@patron/core";
import { rows, type Database } from "../src/db/connect.ts";
import { randomSecrets } from "../src/app/ports.ts";
import { testApi, testDatabase, type TestApi } from "./harness.ts";

/** Campaign management through the API: definitions, versions, statuses, codes, the margin guard. */

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

const shop = () => testApi({ database, program: { name: "Shop", currency: "VND", timeZone: "Asia/Ho_Chi_Minh" } });

async function campaign(api: TestApi, body: Record<string, unknown>) {
  const r = await api.call("POST", "/v1/campaigns", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; version: number; code: string | null };
}
const bulk = (api: TestApi, name = "Bulk") => campaign(api, { name, kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 10_000 }] });
const campaignsVersion = async (api: TestApi) => Number((await rows<{ v: number }>(api.ctx.db, sql`select campaigns_version::int as v from programs where id = ${api.programId}`))[0]!.v);
const A = `[${CODE_ALPHABET}]`;

describe("creating campaigns", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await shop();
  });

  it("creates a campaign of each kind with defaults filled in and the reusable code normalised", async () => {
    const code = await campaign(api, { name: "Summer", kind: "code", code: " summer-10 ", stacking: "stackable", priority: 5, effects: [{ kind: "order_percent", percent: 10 }] });
    const auto = await campaign(api, { name: "Auto", kind: "automatic", effects: [{ kind: "free_shipping" }] });
    const many = await bulk(api);
    expect(code).toMatchObject({ kind: "code", code: "SUMMER10", status: "enabled", version: 1, stacking: "stackable", priority: 5 });
    expect(auto).toMatchObject({
      kind: "automatic", code: null, description: null, schedule: null, audience: null, condition: null, stacking: "exclusive", group: null, priority: 100, limits: {},
      usage: { redeemed: 0, budgetMoneyUsed: 0, budgetPointsUsed: 0 },
    });
    expect(auto).not.toHaveProperty("usage.codes");
    expect(many).toMatchObject({ kind: "bulk_codes", code: null, usage: { codes: { total: 0, used: 0 } } });
    expect(code.id).toMatch(/^cmp_/);
  });

  it("round-trips every effect kind, the schedule, the conditions and the limits", async () => {
    const target = await bulk(api, "Next purchase");
    const reward = await api.call("POST", "/v1/rewards", { name: "Sunscreen", kind: "partner_coupon", config: { partner: "SunCo" }, cost: 1 });
    const all = { skus: ["latte", "mocha"], categories: ["coffee"] };
    const effects = [
      { kind: "order_percent", percent: 12.5, max: 50_000 },
      { kind: "order_fixed", amount: 20_000 },
      { kind: "lines_percent", percent: 50, filter: { categories: ["shirts"] }, cheapest: 2 },
      { kind: "lines_fixed", amountPerUnit: 5_000, filter: all },
      { kind: "bundle", items: [{ filter: { skus: ["coffee"] }, quantity: 1 }, { filter: { skus: ["juice"] }, quantity: 1 }], price: 60_000, maxApplications: 3 },
      { kind: "buy_x_get_y", buy: { filter: { categories: ["socks"] }, quantity: 2 }, get: { filter: { categories: ["socks"] }, quantity: 1 }, percent: 100, maxApplications: 2 },
      { kind: "gift", sku: "bag-250g", name: "Bag of coffee", quantity: 1 },
      { kind: "free_shipping", max: 30_000 },
      { kind: "bonus_points", points: 50 },
      { kind: "points_multiplier", factor: 1.5 },
      { kind: "follow_up_code", campaignId: target.id, validDays: 90, percentOfOrder: 10 },
      { kind: "partner_code", rewardId: reward.body.id },
    ];
    const body = {
      name: "Everything", description: "Every effect at once", kind: "code", code: "EVERY-1", stacking: "group", group: "big", priority: -5,
      schedule: { from: "2026-11-27T00:00:00+07:00", to: "2026-11-30T00:00:00+07:00", daysOfWeek: [5, 6, 7], hours: [{ from: "22:00", to: "02:00" }] },
      audience: "isMember() && customer.metrics.lifetimeOrders >= 1", condition: "cart.subtotal >= 100000",
      effects, limits: { total: 500, perCustomer: { max: 1, per: "lifetime" }, budget: { money: 10_000_000, points: 100_000 } },
    };
    const created = await campaign(api, body);
    const { code: _typed, ...rest } = body;
    const got = await api.call("GET", `/v1/campaigns/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ ...rest, code: "EVERY1", version: 1, status: "enabled" });
    expect(got.body.effects).toEqual(effects);
    // A filter left out is stored as "every line".
    const open = await campaign(api, { name: "Open", kind: "automatic", effects: [{ kind: "lines_percent", percent: 5 }] });
    expect((open as any).effects).toEqual([{ kind: "lines_percent", percent: 5, filter: {} }]);
  });

  it("lists campaigns oldest first, filtered by status and kind", async () => {
    const other = await shop();
    const a = await campaign(other, { name: "A", kind: "code", code: "AAA", effects: [{ kind: "bonus_points", points: 1 }] });
    const b = await campaign(other, { name: "B", kind: "automatic", effects: [{ kind: "bonus_points", points: 1 }], status: "disabled" });
    const c = await bulk(other, "C");
    const ids = async (q: string) => (await other.call("GET", `/v1/campaigns${q}`)).body.data.map((x: { id: string }) => x.id);
    expect(await ids("")).toEqual([a.id, b.id, c.id]);
    expect(await ids("?status=disabled")).toEqual([b.id]);
    expect(await ids("?kind=bulk_codes")).toEqual([c.id]);
    expect(await ids("?kind=code&status=enabled")).toEqual([a.id]);
    expect((await other.call("GET", "/v1/campaigns?kind=coupon")).body.code).toBe("VALIDATION_FAILED");
    expect((await other.call("GET", "/v1/campaigns/cmp_nope")).body.code).toBe("CAMPAIGN_NOT_FOUND");
  });
});

describe("refusals", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await shop();
  });
  const post = (body: Record<string, unknown>) => api.call("POST", "/v1/campaigns", { name: "x", kind: "automatic", effects: [{ kind: "order_percent", percent: 10 }], ...body });

  it("an audience or condition that is not valid CEL is 422 CAMPAIGN_INVALID with its position", async () => {
    const audience = await post({ audience: "isMember() && customer.nope > 1" });
    expect(audience.status).toBe(422);
    expect(audience.body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "audience", start: expect.any(Number), end: expect.any(Number) } });
    expect(audience.body.message).toMatch(/at character \d+/);
    const condition = await post({ condition: "cart.subtotal >= " });
    expect(condition.status).toBe(422);
    expect(condition.body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "condition" } });
    expect(condition.body.details).toHaveProperty("start");
    const notBool = await post({ condition: "cart.subtotal" });
    expect(notBool.body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "condition" } });
  });

  it("refuses what the schema cannot see, naming the field, and saves nothing", async () => {
    const target = await campaign(api, { name: "Auto target", kind: "automatic", effects: [{ kind: "bonus_points", points: 1 }] });
    const physical = await api.call("POST", "/v1/rewards", { name: "Mug", kind: "physical_gift", cost: 10 });
    const before = (await api.call("GET", "/v1/campaigns")).body.data.length;
    for (const [body, field] of [
      [{ kind: "code" }, "code"],
      [{ kind: "code", code: "ab" }, "code"],
      [{ kind: "code", code: "10%OFF" }, "code"],
      [{ code: "SUMMER" }, "code"],
      [{ stacking: "group" }, "group"],
      [{ group: "g" }, "group"],
      [{ effects: [] }, "effects"],
      [{ effects: [{ kind: "order_percent", percent: 12.345 }] }, "effects.0.percent"],
      [{ effects: [{ kind: "points_multiplier", factor: 2 }, { kind: "points_multiplier", factor: 3 }] }, "effects.1"],
      [{ effects: [{ kind: "points_multiplier", factor: 1.005 }] }, "effects.0.factor"],
      [{ effects: [{ kind: "bundle", items: [], price: 10 }] }, "effects.0.items"],
      [{ effects: [{ kind: "follow_up_code", campaignId: target.id, validDays: 30 }] }, "effects.0.campaignId"],
      [{ effects: [{ kind: "follow_up_code", campaignId: "cmp_nope", validDays: 30 }] }, "effects.0.campaignId"],
      [{ effects: [{ kind: "partner_code", rewardId: physical.body.id }] }, "effects.0.rewardId"],
      [{ schedule: { from: "2026-12-01T00:00:00Z", to: "2026-11-01T00:00:00Z" } }, "schedule.to"],
      [{ limits: { budget: {} } }, "limits.budget"],
    ] as const) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body, JSON.stringify(body)).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field } });
    }
    expect((await api.call("GET", "/v1/campaigns")).body.data.length).toBe(before);
  });

  it("refuses malformed bodies with VALIDATION_FAILED", async () => {
    for (const body of [
      { effects: [{ kind: "order_percent", percent: 0 }] },
      { effects: [{ kind: "order_percent", percent: 101 }] },
      { effects: [{ kind: "discount", percent: 10 }] },
      { effects: [{ kind: "order_fixed", amount: 1_000_000_000_001 }] },
      { effects: [{ kind: "order_fixed", amount: 5, extra: 1 }] },
      { effects: Array.from({ length: 21 }, () => ({ kind: "bonus_points", points: 1 })) },
      { name: "x".repeat(201) },
      { kind: "coupon" },
      { stacking: "always" },
      { limits: { total: 0 } },
      { surprise: true },
    ]) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    }
  });
});

describe("codes are unique in the program", () => {
  it("a reusable code taken by another campaign or a bulk code is CODE_TAKEN; archiving frees it", async () => {
    const api = await shop();
    const first = await campaign(api, { name: "First", kind: "code", code: "SHOP-10", effects: [{ kind: "order_fixed", amount: 1_000 }] });
    const again = await api.call("POST", "/v1/campaigns", { name: "Second", kind: "code", code: "shop 10", effects: [{ kind: "order_fixed", amount: 1_000 }] });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "CODE_TAKEN", details: { code: "SHOP10", campaignId: first.id } });

    const other = await campaign(api, { name: "Other", kind: "code", code: "OTHER1", effects: [{ kind: "order_fixed", amount: 1_000 }] });
    const steal = await api.call("PATCH", `/v1/campaigns/${other.id}`, { code: "shop10" });
    expect(steal.body).toMatchObject({ code: "CODE_TAKEN", details: { campaignId: first.id } });
    // Keeping one's own code is not taking it.
    expect((await api.call("PATCH", `/v1/campaigns/${first.id}`, { code: "Shop-10", name: "First, renamed" })).status).toBe(200);

    const pool = await bulk(api);
    expect((await api.call("POST", `/v1/campaigns/${pool.id}/codes`, { codes: ["VIP-0001"] })).body.added).toBe(1);
    const clash = await api.call("POST", "/v1/campaigns", { name: "Clash", kind: "code", code: "vip0001", effects: [{ kind: "order_fixed", amount: 1 }] });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ code: "CODE_TAKEN", details: { code: "VIP0001", campaignId: pool.id } });
    // Importing another campaign's reusable code refuses the whole upload.
    const upload = await api.call("POST", `/v1/campaigns/${pool.id}/codes`, { csv: "code\nNEW-0001\nshop-10\n" });
    expect(upload.status).toBe(409);
    expect(upload.body).toMatchObject({ code: "CODE_TAKEN", details: { code: "SHOP10", campaignId: first.id, taken: 1 } });
    const pool2 = await bulk(api, "Second pool");
    const cross = await api.call("POST", `/v1/campaigns/${pool2.id}/codes`, { codes: ["VIP0001", "NEW0002"] });
    expect(cross.body).toMatchObject({ code: "CODE_TAKEN", details: { code: "VIP0001", campaignId: pool.id } });
    expect((await api.call("GET", `/v1/campaigns/${pool2.id}`)).body.usage.codes.total).toBe(0);

    const archived = await api.call("POST", `/v1/campaigns/${first.id}/archive`);
    expect(archived.body).toMatchObject({ status: "archived", code: "SHOP10" });
    expect((await api.call("POST", "/v1/campaigns", { name: "Next year", kind: "code", code: "SHOP10", effects: [{ kind: "order_fixed", amount: 1 }] })).status).toBe(201);
  });
});

describe("changing campaigns", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await shop();
  });

  it("a change is the next version, bumps the program's campaigns_version and keeps the old definition in the audit log", async () => {
    const c = await campaign(api, { name: "Ten", kind: "code", code: "TEN", audience: "isMember()", effects: [{ kind: "order_percent", percent: 10 }] });
    const v0 = await campaignsVersion(api);
    const r = await api.call("PATCH", `/v1/campaigns/${c.id}`, { name: "Fifteen", effects: [{ kind: "order_percent", percent: 15 }], audience: null, limits: { total: 100 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 2, name: "Fifteen", code: "TEN", audience: null, effects: [{ kind: "order_percent", percent: 15 }], limits: { total: 100 } });
    expect(await campaignsVersion(api)).toBe(v0 + 1);
    const audit = await api.call("GET", `/v1/audit-log?target=${c.id}`);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(["campaign.updated", "campaign.created"]);
    expect(audit.body.data[0].data).toMatchObject({ version: 2, previous: { name: "Ten", audience: "isMember()" } });
    // Sending the whole definition replaces it, as the next version again.
    const { id: _id, status: _s, version: _v, usage: _u, createdAt: _c, updatedAt: _up, ...def } = r.body;
    const replaced = await api.call("PATCH", `/v1/campaigns/${c.id}`, { ...def, description: "replaced", priority: 7 });
    expect(replaced.body).toMatchObject({ version: 3, description: "replaced", priority: 7 });
    expect(await campaignsVersion(api)).toBe(v0 + 2);
  });

  it("a refused change writes nothing: no version, no campaigns_version", async () => {
    const c = await campaign(api, { name: "Keep", kind: "automatic", effects: [{ kind: "bonus_points", points: 5 }] });
    const v0 = await campaignsVersion(api);
    expect((await api.call("PATCH", `/v1/campaigns/${c.id}`, { condition: "cart.nope" })).body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "condition" } });
    expect((await api.call("PATCH", `/v1/campaigns/${c.id}`, { kind: "code", code: "KEEP1" })).body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "kind" } });
    expect((await api.call("PATCH", "/v1/campaigns/cmp_nope", { name: "x" })).body.code).toBe("CAMPAIGN_NOT_FOUND");
    expect((await api.call("GET", `/v1/campaigns/${c.id}`)).body.version).toBe(1);
    expect(await campaignsVersion(api)).toBe(v0);
  });

  it("enable, disable, archive: each is audited and bumps campaigns_version; archived is final", async () => {
    const c = await campaign(api, { name: "Flip", kind: "automatic", effects: [{ kind: "bonus_points", points: 5 }] });
    const v0 = await campaignsVersion(api);
    expect((await api.call("POST", `/v1/campaigns/${c.id}/disable`)).body).toMatchObject({ status: "disabled", version: 1 });
    expect((await api.call("POST", `/v1/campaigns/${c.id}/disable`)).body.status).toBe("disabled");
    expect((await api.call("POST", `/v1/campaigns/${c.id}/enable`)).body.status).toBe("enabled");
    expect((await api.call("POST", `/v1/campaigns/${c.id}/archive`)).body.status).toBe("archived");
    // The repeated disable changed nothing, so three changes.
    expect(await campaignsVersion(api)).toBe(v0 + 3);
    for (const [method, path, body] of [
      ["POST", "enable", undefined],
      ["POST", "disable", undefined],
      ["PATCH", "", { name: "Back" }],
      ["POST", "codes/generate", { count: 1 }],
    ] as const) {
      const r = await api.call(method, `/v1/campaigns/${c.id}${path ? `/${path}` : ""}`, body);
      expect(r.status, path).toBe(path === "codes/generate" ? 422 : 409);
    }
    expect((await api.call("POST", `/v1/campaigns/${c.id}/enable`)).body.code).toBe("CAMPAIGN_ARCHIVED");
    expect((await api.call("POST", `/v1/campaigns/${c.id}/archive`)).status).toBe(200);
    expect((await api.call("POST", "/v1/campaigns/cmp_nope/enable")).status).toBe(404);
    const actions = (await api.call("GET", `/v1/audit-log?target=${c.id}`)).body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(["campaign.archived", "campaign.enabled", "campaign.disabled", "campaign.created"]);
  });

  it("a change shows in the next cart evaluation", async () => {
    const c = await campaign(api, { name: "Cafe", kind: "automatic", stacking: "stackable", effects: [{ kind: "order_fixed", amount: 1_000 }], condition: 'hasSku("cafe-cart")' });
    const cart = { lines: [{ sku: "cafe-cart", quantity: 1, unitPrice: 50_000 }] };
    expect((await api.call("POST", "/v1/carts/evaluate", cart)).body.discount).toBe(1_000);
    await api.call("PATCH", `/v1/campaigns/${c.id}`, { effects: [{ kind: "order_fixed", amount: 2_000 }] });
    expect((await api.call("POST", "/v1/carts/evaluate", cart)).body.discount).toBe(2_000);
    await api.call("POST", `/v1/campaigns/${c.id}/disable`);
    expect((await api.call("POST", "/v1/carts/evaluate", cart)).body.discount).toBe(0);
  });
});

describe("bulk codes", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await shop();
  });

  it("generates 1,000 distinct codes that match the pattern, stored in normal form, listed page by page", async () => {
    const c = await bulk(api);
    const v0 = await campaignsVersion(api);
    const r = await api.call("POST", `/v1/campaigns/${c.id}/codes/generate`, { count: 1_000, pattern: "bf-#####-#####" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toEqual({ generated: 1_000, pattern: "bf-#####-#####", codes: { total: 1_000, used: 0 } });
    expect(await campaignsVersion(api)).toBe(v0 + 1);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const p = await api.call("GET", `/v1/campaigns/${c.id}/codes?limit=200${q}`);
      expect(p.status).toBe(200);
      seen.push(...p.body.data.map((x: { code: string }) => x.code));
      cursor = p.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(1_000);
    expect(new Set(seen).size).toBe(1_000);
    for (const code of seen) expect(code).toMatch(new RegExp(`^BF${A}{10}$`));
    expect([...seen].sort()).toEqual(seen);
    expect((await api.call("GET", `/v1/campaigns/${c.id}`)).body.usage.codes).toEqual({ total: 1_000, used: 0 });
    const one = (await api.call("GET", `/v1/campaigns/${c.id}/codes?limit=1`)).body.data[0];
    expect(one).toEqual({ code: seen[0], used: 0, maxUses: 1, expiresAt: null, customerId: null, value: null, createdAt: expect.any(String) });
  });

  it("draws again what collides, with itself or with codes that exist, until exactly N new codes exist", async () => {
    const c = await bulk(api, "Collisions");
    const original = api.ctx.secrets;
    // The first draw of each request is all zeros: every code of it is the same one.
    let calls = 0;
    api.ctx.secrets = { ...randomSecrets, randomBytes: (n) => (++calls === 1 ? new Uint8Array(n) : randomSecrets.randomBytes(n)) };
    try {
      expect((await api.call("POST", `/v1/campaigns/${c.id}/codes/generate`, { count: 5 })).body).toMatchObject({ generated: 5, codes: { total: 5 } });
      expect(calls).toBe(2);
      calls = 0;
      expect((await api.call("POST", `/v1/campaigns/${c.id}/codes/generate`, { count: 3, maxUses: 10, expiresAt: "2030-01-01T00:00:00Z" })).body).toMatchObject({ generated: 3, codes: { total: 8 } });
      expect(calls).toBe(2);
    } finally {
      api.ctx.secrets = original;
    }
    const codes = (await api.call("GET", `/v1/campaigns/${c.id}/codes`)).body.data;
    expect(codes.filter((x: { code: string }) => x.code === "222222222222")).toHaveLength(1);
    expect(codes.filter((x: { maxUses: number; expiresAt: string | null }) => x.maxUses === 10 && x.expiresAt === "2030-01-01T00:00:00.000Z")).toHaveLength(3);
  });

  it("refuses weak patterns, other kinds of campaign and bad terms", async () => {
    const c = await bulk(api, "Refusals");
    const auto = await campaign(api, { name: "Auto", kind: "automatic", effects: [{ kind: "bonus_points", points: 1 }] });
    const gen = (id: string, body: Record<string, unknown>) => api.call("POST", `/v1/campaigns/${id}/codes/generate`, body);
    expect((await gen(c.id, { count: 10, pattern: "BF-####-####" })).body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "pattern" } });
    expect((await gen(c.id, { count: 10, pattern: "##########_" })).body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "pattern" } });
    expect((await gen(c.id, { count: 10, expiresAt: "2020-01-01T00:00:00Z" })).body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "expiresAt" } });
    expect((await gen(auto.id, { count: 10 })).body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "kind" } });
    expect((await gen("cmp_nope", { count: 10 })).status).toBe(404);
    expect((await gen(c.id, { count: 100_001 })).status).toBe(400);
    expect((await gen(c.id, { count: 0 })).status).toBe(400);
    expect((await api.call("GET", `/v1/campaigns/${auto.id}/codes`)).body).toMatchObject({ code: "CAMPAIGN_INVALID" });
    expect((await api.call("GET", `/v1/campaigns/${c.id}/codes?cursor=bm9wZQ`)).body.code).toBe("INVALID_CURSOR");
    expect((await api.call("GET", `/v1/campaigns/${c.id}`)).body.usage.codes.total).toBe(0);
  });

  it("imports a CSV: the first column, normalised, the header skipped; repeats and codes already there are reported", async () => {
    const c = await bulk(api, "Imported");
    const csv = "code,note\r\nabc-123,first\r\nABC123,again\r\n\"xyz 789\",quoted\r\n\r\nnew1\r\n";
    const r = await api.call("POST", `/v1/campaigns/${c.id}/codes`, { csv, maxUses: 2, expiresAt: "2031-06-01T00:00:00+07:00" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ added: 3, duplicates: 1, duplicateCodes: ["ABC123"], codes: { total: 3, used: 0 } });
    const again = await api.call("POST", `/v1/campaigns/${c.id}/codes`, { codes: ["NEW-1", "fresh-2"] });
    expect(again.body).toEqual({ added: 1, duplicates: 1, duplicateCodes: ["NEW1"], codes: { total: 4, used: 0 } });
    const list = (await api.call("GET", `/v1/campaigns/${c.id}/codes`)).body.data;
    expect(list.map((x: { code: string }) => x.code)).toEqual(["ABC123", "FRESH2", "NEW1", "XYZ789"]);
    expect(list[0]).toMatchObject({ maxUses: 2, expiresAt: "2031-05-31T17:00:00.000Z" });
    expect(list[1]).toMatchObject({ maxUses: 1, expiresAt: null });

    // As a spreadsheet saves it in other locales: a byte-order mark and semicolons.
    expect((await api.call("POST", `/v1/campaigns/${c.id}/codes`, { csv: "\uFEFFcode;note\nsemi-001;x\n" })).body).toMatchObject({ added: 1, duplicates: 0 });
    const bad = await api.call("POST", `/v1/campaigns/${c.id}/codes`, { csv: "code\nGOOD1\nno_underscores\n" });
    expect(bad.body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "codes", line: 3 } });
    expect((await api.call("POST", `/v1/campaigns/${c.id}/codes`, { csv: "code\n\n" })).body).toMatchObject({ code: "CAMPAIGN_INVALID", details: { field: "codes" } });
    expect((await api.call("POST", `/v1/campaigns/${c.id}/codes`, { csv: "A1B2C3", codes: ["X1Y2Z3"] })).status).toBe(400);
    expect((await api.call("GET", `/v1/campaigns/${c.id}`)).body.usage.codes.total).toBe(5);
  });

  it("takes an upload at its documented size: 100,000 codes, or a CSV of 1,000,000 characters (both over 1 MB as JSON)", async () => {
    const c = await bulk(api, "Big upload");
    const codes = Array.from({ length: 100_000 }, (_, i) => `BIG-${String(i).padStart(8, "0")}`);
    expect(JSON.stringify({ codes }).length).toBeGreaterThan(1024 * 1024);
    const r = await api.call("POST", `/v1/campaigns/${c.id}/codes`, { codes });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body).toMatchObject({ added: 100_000, duplicates: 0, codes: { total: 100_000 } });
    const other = await bulk(api, "Big CSV");
    const csv = Array.from({ length: 90_909 }, (_, i) => `CSV${String(i).padStart(7, "0")}`).join("\n").slice(0, 1_000_000);
    const r2 = await api.call("POST", `/v1/campaigns/${other.id}/codes`, { csv });
    expect(r2.status, JSON.stringify(r2.body).slice(0, 300)).toBe(200);
    expect(r2.body.added).toBe(90_909);
  }, 120_000);

  it("exports every code as CSV, with uses, expiry and the customer of a personal code", async () => {
    const c = await bulk(api, "Export");
    await api.call("POST", `/v1/campaigns/${c.id}/codes`, { codes: ["EXP-0001", "EXP-0002"], maxUses: 3, expiresAt: "2030-01-01T00:00:00Z" });
    await api.call("PUT", "/v1/customers/=ioana,1", {});
    const [cus] = await rows<{ id: string }>(api.ctx.db, sql`select id from customers where program_id = ${api.programId} and external_id = '=ioana,1'`);
    // A personal follow-up code, as a completed checkout issues it, used once.
    await api.ctx.db.execute(
      sql`insert into campaign_codes (program_id, code, campaign_id, customer_id, max_uses, used, value, expires_at, created_at)
          values (${api.programId}, 'EXP0003', ${c.id}, ${cus!.id}, 1, 1, 5000, null, now())`,
    );
    const res = await api.raw({ method: "GET", path: `/v1/campaigns/${c.id}/codes.csv`, headers: { authorization: `Bearer ${api.secretKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(await res.text()).toBe(
      ["code,used,max_uses,expires_at,customer", "EXP0001,0,3,2030-01-01T00:00:00.000Z,", "EXP0002,0,3,2030-01-01T00:00:00.000Z,", `EXP0003,1,1,,"'=ioana,1"`, ""].join("\n"),
    );
    expect((await api.call("GET", `/v1/campaigns/${c.id}`)).body.usage.codes).toEqual({ total: 3, used: 1 });
    expect((await api.call("GET", `/v1/campaigns/${c.id}/codes?limit=200`)).body.data[2]).toMatchObject({ code: "EXP0003", customerId: "=ioana,1", value: 5000, used: 1 });
    expect((await api.call("GET", "/v1/campaigns/cmp_nope/codes.csv")).status).toBe(404);
  });

  it("exports more codes than a page whole, once each, in the list's order", async () => {
    const c = await bulk(api, "Export many");
    expect((await api.call("POST", `/v1/campaigns/${c.id}/codes/generate`, { count: 12_000 })).status).toBe(201);
    const res = await api.raw({ method: "GET", path: `/v1/campaigns/${c.id}/codes.csv`, headers: { authorization: `Bearer ${api.secretKey}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split("\n");
    expect(lines[0]).toBe("code,used,max_uses,expires_at,customer");
    expect(lines.at(-1)).toBe("");
    const codes = lines.slice(1, -1).map((l) => l.split(",")[0]);
    expect(codes).toHaveLength(12_000); // more than two of the export's pages (5,000)
    expect(new Set(codes).size).toBe(12_000);
    const first = (await api.call("GET", `/v1/campaigns/${c.id}/codes?limit=200`)).body.data.map((k: { code: string }) => k.code);
    expect(codes.slice(0, 200)).toEqual(first);
  }, 120_000);
});

describe("the margin guard, on the program", () => {
  it("is set, shown, refused when malformed, and cleared through PATCH /v1/program", async () => {
    const api = await shop();
    expect((await api.call("GET", "/v1/program")).body.marginGuard).toBeNull();
    const set = await api.call("PATCH", "/v1/program", { marginGuard: { maxDiscountPercent: 30.5, lineFloorPercent: 40 } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.marginGuard).toEqual({ maxDiscountPercent: 30.5, lineFloorPercent: 40 });
    expect((await api.call("GET", "/v1/program")).body.marginGuard).toEqual({ maxDiscountPercent: 30.5, lineFloorPercent: 40 });
    for (const marginGuard of [{ maxDiscountPercent: 30.555 }, { maxDiscountPercent: 101 }, { lineFloorPercent: -1 }, { cap: 10 }, "30%"]) {
      const r = await api.call("PATCH", "/v1/program", { marginGuard });
      expect(r.status, JSON.stringify(marginGuard)).toBe(400);
    }
    expect((await api.call("PATCH", "/v1/program", { marginGuard: null })).body.marginGuard).toBeNull();
    expect((await api.call("GET", "/v1/program")).body.marginGuard).toBeNull();
  });
});

describe("retries", () => {
  it("a retried create, change or generation with its Idempotency-Key replays the first answer and writes nothing more", async () => {
    const api = await shop();
    const body = { name: "Once", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 1 }] };
    const first = await api.call("POST", "/v1/campaigns", body, { "idempotency-key": "create-1" });
    const second = await api.call("POST", "/v1/campaigns", body, { "idempotency-key": "create-1" });
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    expect((await api.call("GET", "/v1/campaigns")).body.data).toHaveLength(1);
    expect((await api.call("POST", "/v1/campaigns", { ...body, name: "Twice" }, { "idempotency-key": "create-1" })).body.code).toBe("IDEMPOTENCY_CONFLICT");

    const id = first.body.id;
    for (let i = 0; i < 2; i++) expect((await api.call("PATCH", `/v1/campaigns/${id}`, { name: "Renamed" }, { "idempotency-key": "patch-1" })).body.version).toBe(2);
    expect((await api.call("GET", `/v1/campaigns/${id}`)).body.version).toBe(2);
    for (let i = 0; i < 2; i++) expect((await api.call("POST", `/v1/campaigns/${id}/codes/generate`, { count: 50 }, { "idempotency-key": "gen-1" })).body.codes.total).toBe(50);
    expect((await api.call("GET", `/v1/campaigns/${id}`)).body.usage.codes.total).toBe(50);
  });
});
