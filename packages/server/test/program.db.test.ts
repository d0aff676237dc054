import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows, type Database } from "../src/db/connect.ts";
import { testApi, testDatabase, orderEvent, type TestApi } from "./harness.ts";
import { BAD_CURRENCY, BAD_LOCALE, HUGE, NOT_BOOL, NOT_INT, NOT_STRING, badText, Fuzzer, problemsOf, runCases, snapshotTables, type Spec } from "./fuzz-kit.ts";

/** The program's settings over HTTP: read, change (with effect on earning), create with the admin token. */

const ADMIN = "admin-token-for-tests-only";

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

describe("GET /v1/program", () => {
  it("with a secret key returns every setting", async () => {
    const api = await testApi({ database });
    const r = await api.call("GET", "/v1/program");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: api.programId,
      name: "Test Café",
      pointsSingular: "Star",
      pointsPlural: "Stars",
      currency: "USD",
      currencyMinorUnits: 2,
      timeZone: "America/New_York",
      defaultLocale: "en",
      supportedLocales: ["en"],
      defaultCountry: null,
      earning: { enabled: true, points: 1, per: 100, rounding: "floor" },
      ledgerPolicy: { pendingDays: 0, expiry: { kind: "never" }, clawback: "allow_negative" },
    });
    expect(typeof r.body.createdAt).toBe("string");
    expect(typeof r.body.updatedAt).toBe("string");
  });

  it.each([
    ["USD", 2],
    ["VND", 0],
    ["KWD", 3],
    ["JPY", 0],
  ] as const)("gives the real minor units of the currency (%s: %i)", async (currency, units) => {
    const api = await testApi({ database, program: { currency } });
    const r = await api.call("GET", "/v1/program");
    expect(r.body.currency).toBe(currency);
    expect(r.body.currencyMinorUnits).toBe(units);
  });
});

describe("PATCH /v1/program", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database });
  });

  it("changes the name and the points names", async () => {
    const r = await api.call("PATCH", "/v1/program", { name: "Bean There", pointsSingular: "Bean", pointsPlural: "Beans" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: "Bean There", pointsSingular: "Bean", pointsPlural: "Beans", currency: "USD", timeZone: "America/New_York" });
    expect((await api.call("GET", "/v1/program")).body).toMatchObject({ name: "Bean There", pointsPlural: "Beans" });
    // The publishable view sees the change too.
    const pub = await api.call("GET", "/v1/program", undefined, { authorization: `Bearer ${api.publishableKey}` });
    expect(pub.body.pointsPlural).toBe("Beans");
  });

  it("a new earning rate applies to the next order", async () => {
    const before = await api.call("POST", "/v1/events", orderEvent("pe-1", "c-earn", "po-1", 12_345));
    expect(before.body.effects.pointsEarned).toBe(123);
    const r = await api.call("PATCH", "/v1/program", { earning: { enabled: true, points: 5, per: 1_000, rounding: "ceil" } });
    expect(r.status).toBe(200);
    expect(r.body.earning).toEqual({ enabled: true, points: 5, per: 1_000, rounding: "ceil" });
    const after = await api.call("POST", "/v1/events", orderEvent("pe-2", "c-earn", "po-2", 12_345));
    expect(after.body.effects.pointsEarned).toBe(62); // ceil(12,345 / 1,000 × 5) = ceil(61.725)
    expect((await api.call("GET", "/v1/customers/c-earn/balances")).body.available).toBe(123 + 62);
  });

  it("earning switched off skips earning (EARNING_DISABLED) and on again earns", async () => {
    await api.call("PATCH", "/v1/program", { earning: { enabled: false, points: 1, per: 100, rounding: "floor" } });
    const off = await api.call("POST", "/v1/events", orderEvent("pe-3", "c-off", "po-3", 10_000));
    expect(off.body.effects).toMatchObject({ pointsEarned: 0, earningSkipped: "EARNING_DISABLED" });
    await api.call("PATCH", "/v1/program", { earning: { enabled: true, points: 1, per: 100, rounding: "floor" } });
    const on = await api.call("POST", "/v1/events", orderEvent("pe-4", "c-off", "po-4", 10_000));
    expect(on.body.effects.pointsEarned).toBe(100);
  });

  it("a new ledger policy applies to the next order (pending period and expiry)", async () => {
    const r = await api.call("PATCH", "/v1/program", { ledgerPolicy: { pendingDays: 14, expiry: { kind: "days", days: 30 }, clawback: "cap" } });
    expect(r.status).toBe(200);
    expect(r.body.ledgerPolicy).toEqual({ pendingDays: 14, expiry: { kind: "days", days: 30 }, clawback: "cap" });
    const now = api.clock.now().getTime();
    const e = await api.call("POST", "/v1/events", orderEvent("pe-5", "c-pend", "po-5", 10_000));
    expect(e.body.effects).toMatchObject({ pointsEarned: 100, pointsPending: true });
    expect(new Date(e.body.effects.availableAt).getTime()).toBe(now + 14 * 86_400_000);
    expect(e.body.effects.expiresAt).not.toBeNull();
    const b = (await api.call("GET", "/v1/customers/c-pend/balances")).body;
    expect(b).toMatchObject({ available: 0, pending: 100 });
    await api.call("PATCH", "/v1/program", { ledgerPolicy: { pendingDays: 0, expiry: { kind: "never" }, clawback: "allow_negative" } });
  });

  it("a new time zone moves end-of-month expiry to that zone's month end", async () => {
    const tzApi = await testApi({ database, program: { ledgerPolicy: { pendingDays: 0, expiry: { kind: "end_of_month", months: 0 }, clawback: "allow_negative" } } });
    // 20:00 UTC on 31 March is still March in New York but already April in Tokyo.
    tzApi.clock.set("2026-03-31T20:00:00Z");
    const ny = await tzApi.call("POST", "/v1/events", orderEvent("tz-1", "c-tz", "tz-o1", 10_000));
    const nyExpiry = new Date(ny.body.effects.expiresAt);
    expect(nyExpiry.getTime()).toBeLessThan(new Date("2026-04-02T00:00:00Z").getTime());
    const r = await tzApi.call("PATCH", "/v1/program", { timeZone: "Asia/Tokyo" });
    expect(r.status).toBe(200);
    expect(r.body.timeZone).toBe("Asia/Tokyo");
    const tokyo = await tzApi.call("POST", "/v1/events", orderEvent("tz-2", "c-tz", "tz-o2", 10_000));
    const tokyoExpiry = new Date(tokyo.body.effects.expiresAt);
    expect(tokyoExpiry.getTime()).toBeGreaterThan(new Date("2026-04-29T00:00:00Z").getTime());
    expect(tokyoExpiry.getTime()).toBeLessThan(new Date("2026-05-02T00:00:00Z").getTime());
  });

  it("refuses a time zone that is not IANA (422 INVALID_TIME_ZONE) and keeps the old one", async () => {
    const r = await api.call("PATCH", "/v1/program", { timeZone: "Europe/Atlantis" });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("INVALID_TIME_ZONE");
    expect((await api.call("GET", "/v1/program")).body.timeZone).toBe("America/New_York");
    // Abbreviations ICU would run as some zone, most of them ambiguous: BST would have been Bangladesh.
    for (const timeZone of ["IST", "BST", "cst", "AET"]) {
      const abbreviation = await api.call("PATCH", "/v1/program", { timeZone });
      expect(abbreviation.status, timeZone).toBe(422);
      expect(abbreviation.body.code).toBe("INVALID_TIME_ZONE");
    }
    expect((await api.call("GET", "/v1/program")).body.timeZone).toBe("America/New_York");
  });

  it("refuses a default locale outside the supported locales (422 INVALID_LOCALE)", async () => {
    const r = await api.call("PATCH", "/v1/program", { defaultLocale: "vi" });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("INVALID_LOCALE");
    const both = await api.call("PATCH", "/v1/program", { supportedLocales: ["en", "de"], defaultLocale: "fr" });
    expect(both.status).toBe(422);
    expect(both.body.code).toBe("INVALID_LOCALE");
    expect((await api.call("GET", "/v1/program")).body).toMatchObject({ defaultLocale: "en", supportedLocales: ["en"] });
  });

  it("accepts a default locale together with the supported locales that contain it", async () => {
    const r = await api.call("PATCH", "/v1/program", { supportedLocales: ["vi", "en"], defaultLocale: "vi" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ defaultLocale: "vi", supportedLocales: ["vi", "en"] });
  });

  it("two concurrent patches cannot together store a default locale that is not supported", async () => {
    const own = await testApi({ database });
    for (let i = 0; i < 5; i++) {
      expect((await own.call("PATCH", "/v1/program", { supportedLocales: ["en", "fr"], defaultLocale: "en" })).status).toBe(200);
      const [def, sup] = await Promise.all([own.call("PATCH", "/v1/program", { defaultLocale: "fr" }), own.call("PATCH", "/v1/program", { supportedLocales: ["en"] })]);
      expect([def.status, sup.status].sort()).toEqual([200, 422]);
      expect([def.body.code, sup.body.code]).toContain("INVALID_LOCALE");
      const p = (await own.call("GET", "/v1/program")).body;
      expect(p.supportedLocales).toContain(p.defaultLocale);
    }
  });

  it("refuses a currency: it is fixed at creation (400 VALIDATION_FAILED)", async () => {
    const r = await api.call("PATCH", "/v1/program", { currency: "EUR" });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("GET", "/v1/program")).body.currency).toBe("USD");
  });

  it("refuses malformed settings (400 VALIDATION_FAILED)", async () => {
    for (const body of [{ name: "" }, { earning: { enabled: true, points: 1, per: 0, rounding: "floor" } }, { earning: { enabled: true, points: 1, per: 100, rounding: "banker" } }, { defaultCountry: "vn" }, { ledgerPolicy: { pendingDays: -1, expiry: { kind: "never" }, clawback: "cap" } }]) {
      const r = await api.call("PATCH", "/v1/program", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    }
  });

  it("writes an audit log row naming the key and the change", async () => {
    const r = await api.call("PATCH", "/v1/program", { name: "Audited" });
    expect(r.status).toBe(200);
    const keyId = (await api.call("GET", "/v1/keys")).body.data.find((k: any) => k.kind === "secret").id;
    const audit = await rows<{ actor: string; target: string; data: unknown }>(
      api.ctx.db,
      sql`select actor, target, data from audit_log where program_id = ${api.programId} and action = 'program.updated' order by id desc limit 1`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe(keyId);
    expect(audit[0]!.target).toBe(api.programId);
    const data = typeof audit[0]!.data === "string" ? JSON.parse(audit[0]!.data) : audit[0]!.data;
    expect(data).toEqual({ name: "Audited" });
  });

  it("a replay under the same Idempotency-Key returns the first response with idempotent-replayed: true", async () => {
    const headers = { "idempotency-key": "patch-program-1" };
    const first = await api.call("PATCH", "/v1/program", { name: "Once" }, headers);
    expect(first.status).toBe(200);
    await api.call("PATCH", "/v1/program", { name: "In between" });
    const again = await api.call("PATCH", "/v1/program", { name: "Once" }, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expect((await api.call("GET", "/v1/program")).body.name).toBe("In between");
    const conflict = await api.call("PATCH", "/v1/program", { name: "Other" }, headers);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe("IDEMPOTENCY_CONFLICT");
  });
});

describe("POST /v1/programs", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ database });
  });
  const admin = { authorization: `Bearer ${ADMIN}` };
  const body = { name: "Phở 24", currency: "VND", timeZone: "Asia/Ho_Chi_Minh", pointsSingular: "Bông", pointsPlural: "Bông", supportedLocales: ["vi", "en"], defaultLocale: "vi" };

  it("with the admin token creates a program whose keys work", async () => {
    const r = await api.call("POST", "/v1/programs", body, admin);
    expect(r.status).toBe(201);
    expect(r.body.program).toMatchObject({ name: "Phở 24", currency: "VND", currencyMinorUnits: 0, timeZone: "Asia/Ho_Chi_Minh", defaultLocale: "vi", supportedLocales: ["vi", "en"] });
    expect(r.body.program.id).not.toBe(api.programId);
    expect(r.body.secretKey.secret).toMatch(/^sk_/);
    expect(r.body.publishableKey.secret).toMatch(/^pk_/);

    const mine = await api.call("GET", "/v1/program", undefined, { authorization: `Bearer ${r.body.secretKey.secret}` });
    expect(mine.status).toBe(200);
    expect(mine.body.id).toBe(r.body.program.id);
    expect(mine.body.earning).toBeDefined();
    const pub = await api.call("GET", "/v1/program", undefined, { authorization: `Bearer ${r.body.publishableKey.secret}` });
    expect(pub.body).toMatchObject({ id: r.body.program.id, name: "Phở 24" });
    expect(pub.body.earning).toBeUndefined();
    // The new program earns in its own currency.
    const ev = await api.call(
      "POST",
      "/v1/events",
      { id: "vnd-1", type: "order.completed", customerId: "k1", data: { orderId: "o1", currency: "VND", lines: [{ sku: "PHO", quantity: 1, unitPrice: 65_000 }] } },
      { authorization: `Bearer ${r.body.secretKey.secret}` },
    );
    expect(ev.status).toBe(200);
    expect(ev.body.status).toBe("accepted");
  });

  it("without the admin token is 401 UNAUTHENTICATED and creates nothing", async () => {
    const count = async () => Number((await rows<{ n: number | string }>(api.ctx.db, sql`select count(*) as n from programs`))[0]!.n);
    const before = await count();
    const attempts: Record<string, string>[] = [{ authorization: "" }, {}, { authorization: "Bearer wrong-token" }, { authorization: `Bearer ${ADMIN}x` }];
    for (const headers of attempts) {
      const r = await api.call("POST", "/v1/programs", body, headers);
      expect(r.status).toBe(401);
      expect(r.body.code).toBe("UNAUTHENTICATED");
    }
    expect(await count()).toBe(before);
  });

  it("refuses an unknown currency with a code", async () => {
    const r = await api.call("POST", "/v1/programs", { ...body, currency: "ABC" }, admin);
    expect([400, 422]).toContain(r.status);
    expect(["VALIDATION_FAILED", "UNKNOWN_CURRENCY"]).toContain(r.body.code);
  });

  it("refuses a bad time zone (422 INVALID_TIME_ZONE) and a default locale it does not support (422 INVALID_LOCALE)", async () => {
    const tz = await api.call("POST", "/v1/programs", { ...body, timeZone: "Asia/Saigon City" }, admin);
    expect(tz.status).toBe(422);
    expect(tz.body.code).toBe("INVALID_TIME_ZONE");
    const loc = await api.call("POST", "/v1/programs", { ...body, defaultLocale: "fr" }, admin);
    expect(loc.status).toBe(422);
    expect(loc.body.code).toBe("INVALID_LOCALE");
  });

  it("refuses a program without a currency (400 VALIDATION_FAILED)", async () => {
    const { currency: _currency, ...rest } = body;
    const r = await api.call("POST", "/v1/programs", rest, admin);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
  });
});

describe("POST /v1/programs: token first, safe to retry", () => {
  it("answers 401 before looking at the body when the admin token is missing", async () => {
    const api = await testApi();
    const r = await api.call("POST", "/v1/programs", { bogus: true }, { authorization: "" });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("UNAUTHENTICATED");
    await api.close();
  });

  it("creates one program per Idempotency-Key; a replay answers without the secrets", async () => {
    const api = await testApi();
    const send = () =>
      api.call("POST", "/v1/programs", { name: "Retry Café", currency: "EUR", timeZone: "Europe/Bucharest" }, { authorization: "Bearer admin-token-for-tests-only", "idempotency-key": "create-1" });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(201);
    expect(first.body.secretKey.secret).toMatch(/^sk_/);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.program.id).toBe(first.body.program.id);
    expect(again.body.secretKey.secret).toBeNull();
    const [n] = await rows<{ n: number }>(api.ctx.db, sql`select count(*)::int as n from programs where name = 'Retry Café'`);
    expect(n!.n).toBe(1);
    await api.close();
  });
});

describe("fuzz: POST /v1/programs (the admin token)", () => {
  it("answers every malformed program with a 4xx and a known code, and creates nothing", { timeout: 120_000 }, async () => {
    const api = await testApi({ database });
    const fz = new Fuzzer(api, undefined, ADMIN);
    const spec: Spec = {
      name: "POST /v1/programs",
      method: "POST",
      path: () => "/v1/programs",
      badPaths: [],
      base: () => ({ name: "Fuzz Café", currency: "VND", timeZone: "Asia/Ho_Chi_Minh", pointsSingular: "Bean", pointsPlural: "Beans", defaultLocale: "vi", supportedLocales: ["vi", "en"] }),
      required: ["name", "currency", "timeZone"],
      bad: {
        name: badText(200),
        currency: [...BAD_CURRENCY, "ABC", "XXX "],
        timeZone: [...NOT_STRING, null, "", "Mars/Olympus", "Asia/Saigon City", "UTC+7", "x".repeat(65), HUGE],
        pointsSingular: badText(50),
        pointsPlural: badText(50),
        defaultLocale: [...BAD_LOCALE, null, "fr"],
        supportedLocales: [[], "vi", [null], [""], ["en_US"], Array.from({ length: 51 }, () => "en"), null, {}],
        defaultCountry: ["vn", "VNM", "", 84, true, {}, HUGE],
        earning: ["x", 1, [], true, { pointsPer: "x" }, { surprise: 1 }],
        ledgerPolicy: ["x", 1, [], true, { surprise: 1 }],
        pointValue: ["x", 1, [], true, { money: -1, points: 1 }, { money: 1, points: 0 }, { money: 1.5, points: 1 }, ...NOT_INT.slice(0, 4).map((v) => ({ money: v, points: 1 }))],
        payWithPoints: ["x", 1, [], true, { surprise: 1 }],
        marginGuard: ["x", 1, [], true, { maxDiscountPercent: 101 }, { maxDiscountPercent: -1 }, { lineFloorPercent: "x" }],
        wallet: ["x", 1, [], true, { payouts: { enabled: "yes" } }, { payouts: { minAmount: 0 } }, { checkout: { bonusMaxPercent: 101 } }, ...NOT_BOOL.slice(0, 3).map((v) => ({ payouts: { enabled: v } }))],
      },
      idempotent: true,
      nested: [],
      auth: "admin",
    };
    fz.specCases([spec]);
    fz.randomCases([spec], 300);
    const before = await snapshotTables(api, ["programs", "api_keys", "idempotency_keys"]);
    const results = await runCases(api, fz.cases);
    expect(problemsOf(results)).toEqual([]);
    expect(results.length).toBeGreaterThan(400);
    expect(await snapshotTables(api, ["programs", "api_keys", "idempotency_keys"])).toEqual(before);
    await api.close();
  });
});
