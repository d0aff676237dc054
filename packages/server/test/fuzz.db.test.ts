/**
 * Fuzz of malformed requests against every mutating endpoint (issue 2, acceptance): wrong types,
 * missing and unknown fields, huge strings and bodies, bad numbers, broken JSON, wrong content
 * types, deep nesting, oversized batches, bad idempotency keys, and well-formed requests the
 * program's state refuses. Every answer must be a 4xx with a known error code and a message,
 * nothing may answer 5xx, and the database must be exactly as it was before the fuzz.
 *
 * The cases are generated from a seeded PRNG (PATRON_FUZZ_SEED to change it), so a failure
 * reproduces; a failing case is reported with its label, request and response.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderEvent, testApi, type TestApi } from "./harness.ts";
import {
  BAD_AMOUNT, BAD_CURRENCY, BAD_DATE, BAD_DATETIME, BAD_ID, BAD_LOCALE, HUGE, NOT_BOOL, NOT_INT, NOT_STRING, RAW, SEED, countByEndpoint, deepArray, problemsOf, runCases, serialise,
  badText, short, snapshotTables, Fuzzer, type Case, type FuzzResult, type Spec,
} from "./fuzz-kit.ts";

describe("fuzz: malformed requests to every mutating endpoint", () => {
  let api: TestApi;
  let ids: { earn: string; adjustment: string; reversed: string; reversal: string; refund: string; key: string };
  let rewardId: string;
  let campaignIds: { code: string; bulk: string; archived: string };
  let ruleIds: { live: string; archived: string };
  let before: Awaited<ReturnType<typeof snapshot>>;
  let fz: Fuzzer;
  let results: FuzzResult[] = [];

  async function snapshot() {
    const tables = await snapshotTables(api);
    const profile = await api.call("GET", "/v1/customers/fuzz-c1");
    const balances = await api.call("GET", "/v1/customers/fuzz-c1/balances");
    const program = await api.call("GET", "/v1/program");
    return { counts: Object.fromEntries(Object.entries(tables).map(([t, v]) => [t, v.count])), tables, profile: profile.body, balances: balances.body, program: program.body };
  }

  beforeAll(async () => {
    api = await testApi();
    fz = new Fuzzer(api);
    const ok = async (p: Promise<{ status: number; body: any }>) => {
      const r = await p;
      if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    // A customer with a profile, an order that earned points, a partial refund, a manual credit,
    // a reversed credit, a second customer (for conflicts) and a second API key.
    const earned = await ok(api.call("POST", "/v1/events", orderEvent("seed-order-1", "fuzz-c1", "fuzz-o1", 12_345)));
    await ok(
      api.call("PUT", "/v1/customers/fuzz-c1", { email: "ada@example.com", name: "Ada", phone: "+14155550100", birthday: "1990-05-01", tags: ["vip"], attributes: { tier: "gold" }, consent: { email: true } }),
    );
    await ok(api.call("PUT", "/v1/customers/fuzz-c2", { email: "bob@example.com", phone: "+14155550101" }));
    const refund = await ok(api.call("POST", "/v1/events", { id: "seed-refund-1", type: "order.refunded", customerId: "fuzz-c1", data: { orderId: "fuzz-o1", refundId: "fuzz-r1", amount: 1_000 } }));
    await ok(api.call("POST", "/v1/events", { id: "seed-custom-1", type: "custom", customerId: "fuzz-c1", name: "page.viewed", data: { page: "/menu" } }));
    const adjustment = await ok(api.call("POST", "/v1/customers/fuzz-c1/adjustments", { amount: 50, reason: "welcome" }, { "idempotency-key": "seed-adj-1" }));
    const reversed = await ok(api.call("POST", "/v1/customers/fuzz-c1/adjustments", { amount: 20, reason: "mistake" }));
    const reversal = await ok(api.call("POST", `/v1/transactions/${reversed.id}/reverse`, { reason: "typo" }));
    const key = await ok(api.call("POST", "/v1/keys", { kind: "publishable", name: "widget" }));
    const mug = await ok(api.call("POST", "/v1/rewards", { name: "Mug", kind: "physical_gift", cost: 10, stock: 100 }));
    rewardId = mug.id;
    const seeded = await ok(api.call("POST", "/v1/campaigns", { name: "Seeded", kind: "code", code: "FUZZSEED", effects: [{ kind: "order_fixed", amount: 100 }] }));
    const pool = await ok(api.call("POST", "/v1/campaigns", { name: "Pool", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 100 }] }));
    await ok(api.call("POST", `/v1/campaigns/${pool.id}/codes`, { codes: ["FUZZPOOL1"] }));
    const gone = await ok(api.call("POST", "/v1/campaigns", { name: "Gone", kind: "automatic", effects: [{ kind: "order_fixed", amount: 50 }] }));
    await ok(api.call("POST", `/v1/campaigns/${gone.id}/archive`));
    campaignIds = { code: seeded.id, bulk: pool.id, archived: gone.id };
    // Rules on an event the fuzz never sends valid: one to change, one archived (final).
    const liveRule = await ok(api.call("POST", "/v1/rules", { name: "Seeded rule", trigger: { event: "review.submitted" }, effect: { kind: "fixed", points: 5 } }));
    const archivedRule = await ok(api.call("POST", "/v1/rules", { name: "Archived rule", trigger: { event: "review.submitted" }, effect: { kind: "fixed", points: 1 } }));
    await ok(api.call("POST", `/v1/rules/${archivedRule.id}/archive`));
    ruleIds = { live: liveRule.id, archived: archivedRule.id };
    ids = { earn: earned.effects.transactionId, adjustment: adjustment.id, reversed: reversed.id, reversal: reversal.id, refund: refund.effects.transactionId, key: key.id };
    before = await snapshot();
    expect(before.balances.available).toBeGreaterThan(100);
  });
  afterAll(() => api?.close());

  /** Wrong values for a rule's fields (POST and PATCH /v1/rules). */
  function ruleBad(): Record<string, unknown[]> {
    return {
      name: [...NOT_STRING, null, "", "x".repeat(201), HUGE],
      trigger: [null, {}, { event: "nope" }, { event: "custom" }, { event: "order.completed", name: "x" }, { event: "review.submitted", birthdayOn: "day" }, "order.completed"],
      condition: ["order.total >", "nope == 1", 'order.total == "x"', "order.total", "isVip()", "", 1, true, "x".repeat(4001), HUGE],
      effect: [
        null, {}, { kind: "fixed" }, { kind: "fixed", points: -1 }, { kind: "fixed", points: 1.5 }, { kind: "fixed", points: 1, worth: 1 }, { kind: "fixed", worth: 100 },
        { kind: "multiplier", factor: 1 }, { kind: "multiplier", factor: 1.234 }, { kind: "per_amount", points: 1, per: 0 }, { kind: "bonus" }, { kind: "fixed", points: 1, asset: "gold" },
      ],
      schedule: [1, "daily", { daysOfWeek: [0] }, { daysOfMonth: [32] }, { hours: [{ from: "9", to: "10" }] }, { hours: [{ from: "10:00", to: "10:00" }] }, { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }],
      limits: [null, [{}], [{ per: "hour", maxAwards: 1 }], [{ per: "day" }], [{ per: "day", maxAwards: 0 }], Array.from({ length: 11 }, () => ({ per: "day", maxAwards: 1 }))],
      budget: [0, {}, { points: 0 }, { points: -5 }],
      priority: [1.5, "1", 5000],
      stopFurther: NOT_BOOL,
      status: ["archived", "on", 1],
    };
  }

  /** Wrong values for a cart's fields (the checkout endpoints); none is made valid by another field's wrong value. */
  function cartBad(): Record<string, unknown[]> {
    return {
      customerId: BAD_ID,
      email: [1, true, {}, "x".repeat(321)],
      currency: BAD_CURRENCY,
      lines: [null, "x", {}, [], [{ sku: "A" }], [{ sku: "A", quantity: 0, unitPrice: 100 }], [{ sku: "A", quantity: 1, unitPrice: -1 }], [{ sku: "A", quantity: 1.5, unitPrice: 100 }],
        [{ sku: "A", quantity: 1, unitPrice: 100, discount: 10 }], Array.from({ length: 201 }, () => ({ sku: "A", quantity: 1, unitPrice: 100 }))],
      "lines.0.quantity": [...NOT_INT, 0, -1, 10_001],
      "lines.0.unitPrice": BAD_AMOUNT,
      shipping: BAD_AMOUNT,
      codes: ["FUZZSEED", [""], ["x".repeat(65)], [1], Array.from({ length: 21 }, (_, i) => `CODE${i}`)],
      trace: NOT_BOOL,
    };
  }

  /** Wrong values for a campaign's fields; none is made valid by another field's wrong value. */
  function campaignBad(): Record<string, unknown[]> {
    return {
      name: [...NOT_STRING, null, "", "x".repeat(201), HUGE],
      description: [1, true, "x".repeat(2_001)],
      kind: ["coupon", "", null, 1, ["code"]],
      code: [...NOT_STRING, "", "ab", "10%OFF", "x".repeat(101), "FUZZSEED", "fuzz-seed", "FUZZPOOL1"],
      schedule: [1, "daily", { daysOfWeek: [0] }, { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, { hours: [{ from: "10:00", to: "10:00" }] }, { from: "soon" }],
      audience: ["customer.", "nope == 1", "", 1, "customer.metrics.lifetimeOrders", "x".repeat(4_001)],
      condition: ["cart.", "cart.nope > 1", "", 1, 'cart.subtotal >= "x"'],
      effects: [
        null, "x", [{}], [{ kind: "bogus" }], [{ kind: "order_percent", percent: 0 }], [{ kind: "order_percent", percent: 12.345 }], [{ kind: "order_percent", percent: 10, extra: 1 }],
        [{ kind: "order_fixed", amount: -1 }], [{ kind: "order_fixed", amount: 1_000_000_000_001 }], [{ kind: "points_multiplier", factor: 1 }],
        [{ kind: "points_multiplier", factor: 2 }, { kind: "points_multiplier", factor: 3 }], [{ kind: "bundle", items: [], price: 1 }],
        [{ kind: "lines_fixed", amountPerUnit: 1, filter: { skus: [] } }], [{ kind: "follow_up_code", campaignId: "cmp_nope", validDays: 30 }],
        [{ kind: "follow_up_code", campaignId: campaignIds.bulk, validDays: 0 }], [{ kind: "partner_code", rewardId }], Array.from({ length: 21 }, () => ({ kind: "bonus_points", points: 1 })),
      ],
      stacking: ["always", "", 1, null, "group"],
      group: [1, "", "x".repeat(65), {}],
      priority: [1.5, "1", 5_000, null],
      limits: [null, "x", { total: 0 }, { total: 1.5 }, { budget: {} }, { budget: { money: 0 } }, { perCustomer: { max: 0, per: "day" } }, { perCustomer: { max: 1, per: "hour" } }],
      status: ["archived", "on", 1],
    };
  }

  /** Every mutating endpoint, with a valid body to break and the fields to break it by. */
  function specs(): Spec[] {
    const customerFields: Record<string, unknown[]> = {
      email: [...NOT_STRING, "", "not-an-email", "a@", "@example.com", "a b@example.com", `${"x".repeat(250)}@example.com`, HUGE],
      phone: [...NOT_STRING, "", "12", "x".repeat(33), HUGE],
      name: [...NOT_STRING, "x".repeat(201), HUGE],
      birthday: [...BAD_DATE],
      locale: [...BAD_LOCALE],
      timeZone: [...NOT_STRING, "x".repeat(65)],
      consent: ["yes", true, 1, [], null, { email: "yes" }, { sms: 1 }, { push: true }, { email: null }],
      attributes: ["x", 1, [], null, { deep: RAW(deepArray(20_000)) }, { deep: RAW(deepArray(8_000)) }, { deep: RAW(deepArray(33)) }, [1, 2], { ["k".repeat(65)]: 1 }, Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`a${i}`, i])), { big: "x".repeat(17_000) }],
      tags: ["vip", {}, null, [""], ["x".repeat(65)], [1], [null], Array.from({ length: 51 }, (_, i) => `t${i}`)],
      status: ["erased", "deleted", "", "ACTIVE", 1, null, true],
    };
    const customerBase = () => ({ name: "Ada Lovelace", email: "ada@example.com", tags: ["vip", "fuzzed"] });
    const earning = { enabled: true, points: 1, per: 100, rounding: "floor" };
    const policy = { pendingDays: 0, expiry: { kind: "never" }, clawback: "allow_negative" };
    return [
      {
        name: "POST /v1/events (order.completed)",
        method: "POST",
        path: () => "/v1/events",
        badPaths: [],
        base: () => ({ ...orderEvent(fz.fresh("evt"), "fuzz-c1", fz.fresh("ord"), 2_500), occurredAt: "2026-03-09T12:00:00Z" }),
        required: ["id", "customerId", "type", "data", "data.orderId", "data.currency", "data.lines", "data.lines.0.sku", "data.lines.0.quantity", "data.lines.0.unitPrice"],
        bad: {
          id: BAD_ID,
          customerId: BAD_ID,
          type: ["order.complete", "ORDER.COMPLETED", "order", "", null, 1, {}, ["order.completed"]],
          occurredAt: BAD_DATETIME,
          data: [null, "x", [], 1, true],
          "data.orderId": BAD_ID,
          "data.currency": BAD_CURRENCY,
          "data.lines": [[], {}, "SKU-1", null, 3, [null], ["SKU-1"], Array.from({ length: 501 }, (_, i) => ({ sku: `S${i}`, quantity: 1, unitPrice: 1 }))],
          "data.lines.0": [null, "x", 1, [], {}],
          "data.lines.0.sku": BAD_ID,
          "data.lines.0.name": [...NOT_STRING, "x".repeat(501), HUGE],
          "data.lines.0.category": [...NOT_STRING, "x".repeat(201)],
          "data.lines.0.quantity": [...NOT_INT, 0, -1, 1_000_001],
          "data.lines.0.unitPrice": BAD_AMOUNT,
          "data.lines.0.weight": [...NOT_INT, -1, 100_000_001],
          "data.lines.0.discount": BAD_AMOUNT,
          "data.discount": BAD_AMOUNT,
          "data.shipping": BAD_AMOUNT,
          "data.tax": BAD_AMOUNT,
          "data.total": BAD_AMOUNT,
          "data.channel": [...NOT_STRING, "x".repeat(101)],
          "data.store": [...NOT_STRING, "x".repeat(101)],
        },
        idempotent: false,
      },
      {
        name: "POST /v1/events (order.refunded)",
        method: "POST",
        path: () => "/v1/events",
        badPaths: [],
        base: () => ({ id: fz.fresh("evt"), type: "order.refunded", customerId: "fuzz-c1", data: { orderId: "fuzz-o1", refundId: fz.fresh("ref"), amount: 100 } }),
        required: ["id", "customerId", "type", "data", "data.orderId", "data.refundId"],
        bad: {
          "data.refundId": BAD_ID,
          "data.orderId": BAD_ID,
          "data.amount": BAD_AMOUNT,
          "data.lines": [[], {}, null, [{ sku: "SKU-1", quantity: 0 }], [{ sku: "SKU-1" }], [{ sku: "SKU-1", quantity: 1, unitPrice: 5 }], [{ sku: "", quantity: 1 }]],
          occurredAt: BAD_DATETIME,
        },
        idempotent: false,
      },
      {
        name: "POST /v1/events (customer.signed_up)",
        method: "POST",
        path: () => "/v1/events",
        badPaths: [],
        base: () => ({ id: fz.fresh("evt"), type: "customer.signed_up", customerId: fz.fresh("cust"), data: { email: `${fz.fresh("new")}@example.com`, name: "New" } }),
        required: ["id", "customerId", "type"],
        bad: Object.fromEntries(Object.entries(customerFields).map(([k, v]) => [`data.${k}`, v])),
        idempotent: false,
      },
      {
        name: "POST /v1/events (custom)",
        method: "POST",
        path: () => "/v1/events",
        badPaths: [],
        base: () => ({ id: fz.fresh("evt"), type: "custom", customerId: "fuzz-c1", name: "coupon.viewed", data: { code: "SPRING" } }),
        required: ["id", "customerId", "type", "name"],
        bad: {
          name: [...NOT_STRING, null, "", "has space", "x".repeat(101), "émoji"],
          data: ["x", [], 1, null, { deep: RAW(deepArray(20_000)) }, { deep: RAW(deepArray(8_000)) }, { deep: RAW(deepArray(33)) }, { ["k".repeat(65)]: 1 }, { big: "x".repeat(17_000) }],
        },
        idempotent: false,
      },
      {
        name: "PUT /v1/customers/{externalId}",
        method: "PUT",
        path: () => "/v1/customers/fuzz-c1",
        badPaths: ["/v1/customers/a%20b", "/v1/customers/%00", "/v1/customers/%C3%A9", `/v1/customers/${"x".repeat(256)}`],
        base: customerBase,
        required: [],
        bad: customerFields,
        idempotent: true,
      },
      {
        name: "PATCH /v1/customers/{externalId}",
        method: "PATCH",
        path: () => "/v1/customers/fuzz-c1",
        badPaths: ["/v1/customers/a%20b", "/v1/customers/%0A", `/v1/customers/${"x".repeat(256)}`],
        base: customerBase,
        required: [],
        bad: customerFields,
        idempotent: true,
      },
      {
        name: "POST /v1/customers/{externalId}/adjustments",
        method: "POST",
        path: () => "/v1/customers/fuzz-c1/adjustments",
        badPaths: ["/v1/customers/a%20b/adjustments", `/v1/customers/${"x".repeat(256)}/adjustments`],
        base: () => ({ amount: 25, reason: "goodwill", actor: "support@cafe", expiry: { kind: "days", days: 30 } }),
        required: ["amount", "reason"],
        bad: {
          amount: [...NOT_INT, 0, 1_000_000_000_001, -1_000_000_000_001, 9_007_199_254_740_991],
          reason: [...NOT_STRING, null, "", "x".repeat(501), HUGE],
          actor: [...NOT_STRING, null, "", "x".repeat(201)],
          expiry: ["never", 5, null, [], { kind: "forever" }, { kind: "days" }, { kind: "days", days: 0 }, { kind: "days", days: 3651 }, { kind: "days", days: 1.5 }, { kind: "end_of_month", months: -1 }, { kind: "never", days: 3 }],
        },
        idempotent: true,
      },
      {
        name: "POST /v1/customers/{externalId}/erase",
        method: "POST",
        path: () => "/v1/customers/fuzz-c1/erase",
        badPaths: ["/v1/customers/a%20b/erase", `/v1/customers/${"x".repeat(256)}/erase`],
        base: () => ({ reason: "customer asked", actor: "dpo@cafe" }),
        required: ["reason"],
        bad: { reason: [...NOT_STRING, null, "", "x".repeat(501), HUGE], actor: [...NOT_STRING, null, "", "x".repeat(201)] },
        idempotent: true,
      },
      {
        name: "POST /v1/transactions/{transactionId}/reverse",
        method: "POST",
        path: () => `/v1/transactions/${ids.earn}/reverse`,
        badPaths: [`/v1/transactions/${"x".repeat(65)}/reverse`],
        base: () => ({ reason: "fraud", actor: "ops", force: true }),
        required: ["reason"],
        bad: { reason: [...NOT_STRING, null, "", "x".repeat(501), HUGE], actor: [...NOT_STRING, null, "", "x".repeat(201)], force: NOT_BOOL },
        idempotent: true,
      },
      {
        name: "POST /v1/keys",
        method: "POST",
        path: () => "/v1/keys",
        badPaths: [],
        base: () => ({ kind: "secret", name: "backend" }),
        required: ["kind", "name"],
        bad: { kind: ["admin", "SECRET", "", null, 1, true, ["secret"]], name: [...NOT_STRING, null, "", "x".repeat(101), HUGE] },
        idempotent: true,
      },
      {
        name: "POST /v1/rules",
        method: "POST",
        path: () => "/v1/rules",
        badPaths: [],
        base: () => ({ name: "Fuzz rule", trigger: { event: "order.completed" }, condition: "order.total >= 100", effect: { kind: "fixed", points: 5 }, limits: [{ per: "day", maxAwards: 1 }] }),
        required: ["name", "trigger", "effect"],
        bad: ruleBad(),
        idempotent: true,
      },
      {
        name: "PATCH /v1/rules/{ruleId}",
        method: "PATCH",
        path: () => `/v1/rules/${ruleIds.live}`,
        // Unknown, malformed, and archived (a final state: 409 whatever the body).
        badPaths: ["/v1/rules/rul_nope", `/v1/rules/${"x".repeat(65)}`, `/v1/rules/${ruleIds.archived}`],
        base: () => ({ effect: { kind: "fixed", points: 7 }, condition: "customer.metrics.lifetimeOrders >= 1" }),
        required: [],
        bad: ruleBad(),
        idempotent: true,
      },
      {
        name: "POST /v1/rewards",
        method: "POST",
        path: () => "/v1/rewards",
        badPaths: [],
        base: () => ({ name: "10% off", kind: "percent_discount", config: { percent: 10, cap: 500 }, cost: 100, minOrder: 1_000, validDays: 30, stock: 50, perCustomer: { max: 1, per: "month" } }),
        required: ["name", "kind", "cost"],
        bad: {
          name: [...NOT_STRING, null, "", "x".repeat(201), HUGE],
          kind: ["cash", "", null, 1, ["fixed_discount"]],
          config: [null, "10%", { percent: 0 }, { percent: 101 }, { percent: 10.5 }, { amount: 5 }, { sku: "X" }, { cap: -1 }],
          cost: [0, -1, 1.5, "100", null, 1e13],
          minOrder: [-1, 1.5, "x"],
          validDays: [0, 3651, 1.5],
          stock: [-1, 1.5, "5"],
          perCustomer: [{}, { max: 0, per: "day" }, { max: 1, per: "hour" }, 1],
          condition: ["customer.", "nope == 1", 'customer.tags == "x"', "", 1],
          activeTo: ["tomorrow", 1, "2026-13-01T00:00:00Z"],
          status: ["archived", "on"],
        },
        idempotent: true,
      },
      {
        name: "POST /v1/customers/{externalId}/redemptions",
        method: "POST",
        path: () => "/v1/customers/fuzz-c1/redemptions",
        badPaths: ["/v1/customers/a%20b/redemptions", `/v1/customers/${"x".repeat(256)}/redemptions`],
        base: () => ({ rewardId }),
        required: ["rewardId"],
        bad: { rewardId: [...NOT_STRING, null, "", "rwd_nope", "x".repeat(65)] },
        idempotent: true,
      },
      {
        name: "POST /v1/customers/{externalId}/pay-with-points",
        method: "POST",
        path: () => "/v1/customers/fuzz-c1/pay-with-points",
        badPaths: [],
        base: () => ({ points: 100, orderTotal: 5_000 }),
        required: ["points"],
        bad: { points: [0, -5, 1.5, "100", null, 1e13, 100], orderTotal: [-1, 1.5, "x", null] },
        idempotent: true,
      },
      {
        name: "POST /v1/codes/validate",
        method: "POST",
        path: () => "/v1/codes/validate",
        badPaths: [],
        base: () => ({ code: "AAAA-BBBB-CCCC", customerId: "fuzz-c1", cart: { lines: [{ sku: "A", quantity: 1, unitPrice: 100 }], shipping: 0 } }),
        required: ["code", "cart"],
        bad: { code: [...NOT_STRING, null, "", "x".repeat(101)], customerId: [1, null, "", "a b"], cart: [null, {}, { lines: "x" }, { lines: [{ sku: "A" }] }, { lines: [], shipping: -1 }] },
        idempotent: false,
      },
      {
        name: "POST /v1/carts/reserve",
        method: "POST",
        path: () => "/v1/carts/reserve",
        badPaths: [],
        base: () => ({ customerId: "fuzz-c1", lines: [{ sku: "A", quantity: 1, unitPrice: 1_000 }], codes: ["FUZZSEED"], sessionId: "fuzz-session", ttlSeconds: 60 }),
        required: ["lines", "sessionId"],
        bad: { ...cartBad(), sessionId: BAD_ID, ttlSeconds: [...NOT_INT, 9, 86_401] },
        idempotent: true,
      },
      {
        name: "POST /v1/carts/release",
        method: "POST",
        path: () => "/v1/carts/release",
        badPaths: [],
        base: () => ({ sessionId: "fuzz-session" }),
        required: ["sessionId"],
        bad: { sessionId: BAD_ID },
        idempotent: true,
      },
      {
        name: "POST /v1/carts/complete",
        method: "POST",
        path: () => "/v1/carts/complete",
        badPaths: [],
        base: () => ({ customerId: "fuzz-c1", lines: [{ sku: "A", quantity: 1, unitPrice: 1_000 }], codes: ["FUZZSEED"], orderId: "fuzz-order-never", expectedTotal: 900 }),
        required: ["lines", "orderId"],
        bad: {
          ...cartBad(),
          orderId: BAD_ID,
          expectedTotal: BAD_AMOUNT,
          payments: [null, 1, { bonus: 0 }, { cash: "all" }, { bonus: -5 }, { giftCards: [] }, { giftCards: [""] }, { giftCards: Array.from({ length: 11 }, (_, i) => `GC${i}`) }, { points: 5 }],
        },
        idempotent: true,
      },
      {
        name: "POST /v1/carts/rollback",
        method: "POST",
        path: () => "/v1/carts/rollback",
        badPaths: [],
        base: () => ({ orderId: "fuzz-order-never", reason: "cancelled" }),
        required: ["orderId"],
        bad: { orderId: BAD_ID, reason: badText(500) },
        idempotent: true,
      },
      {
        name: "POST /v1/campaigns",
        method: "POST",
        path: () => "/v1/campaigns",
        badPaths: [],
        base: () => ({
          name: "Ten off", kind: "code", code: "FUZZ-10", stacking: "stackable", priority: 10, audience: "isMember()", condition: "cart.subtotal >= 1000",
          effects: [{ kind: "order_percent", percent: 10, max: 5_000 }], limits: { total: 100, perCustomer: { max: 1, per: "month" } },
        }),
        required: ["name", "kind", "effects"],
        // No bad value here is valid next to another field's bad value (a kind of automatic would be,
        // next to a missing code), so random combinations stay refusals.
        bad: campaignBad(),
        idempotent: true,
      },
      {
        name: "PATCH /v1/campaigns/{campaignId}",
        method: "PATCH",
        path: () => `/v1/campaigns/${campaignIds.code}`,
        badPaths: ["/v1/campaigns/cmp_nope", `/v1/campaigns/${"x".repeat(65)}`],
        base: () => ({ name: "Renamed", effects: [{ kind: "order_fixed", amount: 200 }] }),
        required: [],
        // Its own code is not taken, so the taken codes here are the pool's; a kind that differs is refused even when it would fit the other fields.
        bad: { ...campaignBad(), kind: ["automatic", "bulk_codes", "coupon", 1], code: [...NOT_STRING, null, "", "ab", "10%OFF", "x".repeat(101), "FUZZPOOL1", "fuzz-pool-1"] },
        idempotent: true,
      },
      {
        name: "POST /v1/campaigns/{campaignId}/codes/generate",
        method: "POST",
        path: () => `/v1/campaigns/${campaignIds.bulk}/codes/generate`,
        badPaths: ["/v1/campaigns/cmp_nope/codes/generate", `/v1/campaigns/${"x".repeat(65)}/codes/generate`, `/v1/campaigns/${campaignIds.code}/codes/generate`],
        base: () => ({ count: 5, pattern: "FZ-#####-#####", maxUses: 2, expiresAt: "2030-01-01T00:00:00Z" }),
        required: ["count"],
        bad: {
          count: [0, -1, 1.5, "5", null, 100_001, 1e13],
          pattern: [...NOT_STRING, null, "", "####", "BF-####-####", "##########_", "x".repeat(65), HUGE],
          maxUses: [0, -1, 1.5, "2", null, 1_000_001],
          expiresAt: [...BAD_DATETIME.filter((v) => v !== null), "2020-01-01T00:00:00Z"],
        },
        idempotent: true,
      },
      {
        name: "POST /v1/campaigns/{campaignId}/codes",
        method: "POST",
        path: () => `/v1/campaigns/${campaignIds.bulk}/codes`,
        badPaths: ["/v1/campaigns/cmp_nope/codes", `/v1/campaigns/${campaignIds.code}/codes`],
        base: () => ({ codes: ["FZ-IMPORT-1", "FZ-IMPORT-2"], maxUses: 1 }),
        required: ["codes"],
        bad: {
          codes: [null, [], "FZ1234", [""], ["ab"], ["no_underscore"], ["x".repeat(101)], [1], ["FUZZ-SEED"], ["FZ-IMPORT-3", "fuzzseed"]],
          csv: ["", 1, null, "code\nab\n", "FUZZSEED"],
          maxUses: [0, 1.5, "1", null],
          expiresAt: [...BAD_DATETIME.filter((v) => v !== null), "2020-01-01T00:00:00Z"],
        },
        idempotent: true,
      },
      {
        name: "PATCH /v1/program",
        method: "PATCH",
        path: () => "/v1/program",
        badPaths: [],
        base: () => ({ name: "Renamed Café", pointsSingular: "Bean", pointsPlural: "Beans", earning: { ...earning, points: 2 } }),
        required: [],
        bad: {
          name: [...NOT_STRING, null, "", "x".repeat(201), HUGE],
          pointsSingular: [...NOT_STRING, null, "", "x".repeat(51)],
          pointsPlural: [...NOT_STRING, null, "", "x".repeat(51)],
          timeZone: [...NOT_STRING, null, "", "x".repeat(65)],
          defaultLocale: [...BAD_LOCALE, null],
          supportedLocales: [[], "en", ["en", 1], ["en_US"], null, Array.from({ length: 51 }, () => "en")],
          defaultCountry: ["us", "USA", "", 1, true],
          earning: [
            null, "on", {}, { enabled: true }, { ...earning, enabled: "yes" }, { ...earning, per: 0 }, { ...earning, rounding: "round" },
            { ...earning, points: -1 }, { ...earning, points: 1.5 }, { ...earning, points: 1_000_001 }, { ...earning, extra: 1 },
          ],
          ledgerPolicy: [null, {}, { ...policy, pendingDays: -1 }, { ...policy, pendingDays: 366 }, { ...policy, clawback: "never" }, { ...policy, expiry: { kind: "days", days: 0 } }, { ...policy, expiry: "never" }],
          currency: ["EUR", "USD"],
          id: ["prg_x"],
          marginGuard: ["30%", 1, [], { maxDiscountPercent: 101 }, { maxDiscountPercent: 30.555 }, { lineFloorPercent: -1 }, { maxDiscountPercent: "30" }, { cap: 10 }],
        },
        idempotent: true,
      },
    ];
  }

  function generate(): Case[] {
    const all = specs();
    const { auth, json } = fz;
    const add = fz.add.bind(fz);
    fz.specCases(all);
    fz.randomCases(all, 500);

    // The batch endpoint: the whole batch is validated first, so one bad event refuses all of it.
    const batch = { name: "POST /v1/events/batch", method: "POST" };
    const events = all.filter((s) => s.path() === "/v1/events");
    const validEvents = (n: number) => Array.from({ length: n }, (_, i) => events[i % events.length]!.base());
    for (let n = 0; n < 250; n++) {
      const s = fz.pick(events);
      const broken = fz.breakField(s, s.base());
      const list = validEvents(Math.floor(fz.rand() * 5));
      list.splice(Math.floor(fz.rand() * (list.length + 1)), 0, broken.body);
      add(batch, `one bad event among ${list.length}: ${broken.label}`, "/v1/events/batch", serialise({ events: list }));
    }
    add(batch, "1,001 valid events", "/v1/events/batch", serialise({ events: validEvents(1_001) }), json, "VALIDATION_FAILED");
    add(batch, "1,000 events, the last one bad", "/v1/events/batch", serialise({ events: [...validEvents(999), { ...events[0]!.base(), type: "order.shipped" }] }), json, "VALIDATION_FAILED");
    add(batch, "no events", "/v1/events/batch", serialise({ events: [] }), json, "VALIDATION_FAILED");
    add(batch, "2 MB name in an event", "/v1/events/batch", serialise({ events: [{ ...events[3]!.base(), name: "x".repeat(2_000_000) }] }), json, "VALIDATION_FAILED");
    for (const v of [null, {}, "events", 1, true, validEvents(1)[0], [[]], [null], [1]]) add(batch, `events = ${short(v)}`, "/v1/events/batch", serialise({ events: v }));
    add(batch, "unknown top-level field", "/v1/events/batch", serialise({ events: validEvents(2), dryRun: true }));
    add(batch, "a bare array of events", "/v1/events/batch", serialise(validEvents(2)));
    add(batch, "broken JSON", "/v1/events/batch", serialise({ events: validEvents(2) }).slice(0, -2), json, "INVALID_JSON");
    add(batch, "text/plain", "/v1/events/batch", serialise({ events: validEvents(2) }), { ...auth, "content-type": "text/plain" }, "UNSUPPORTED_MEDIA_TYPE");
    // A valid batch labelled compressed: taken as sent, it was accepted (a state change).
    for (const enc of ["gzip", "br", "deflate, gzip"]) add(batch, `Content-Encoding: ${enc}`, "/v1/events/batch", serialise({ events: validEvents(2) }), { ...json, "content-encoding": enc }, "UNSUPPORTED_MEDIA_TYPE");
    add(batch, "no Authorization", "/v1/events/batch", serialise({ events: validEvents(2) }), { "content-type": "application/json" }, "UNAUTHENTICATED");
    add(batch, "deeply nested (200k)", "/v1/events/batch", `{"events":${deepArray(200_000)}}`);

    // DELETE /v1/keys/{keyId}: no body, so only the id and the header can be wrong.
    const del = { name: "DELETE /v1/keys/{keyId}", method: "DELETE" };
    for (const id of ["key_does_not_exist", "k", ids.key.toLowerCase(), `${ids.key}x`, "%20", "x".repeat(64)]) add(del, `unknown id ${short(id)}`, `/v1/keys/${id}`, undefined, auth, "KEY_NOT_FOUND");
    for (let n = 0; n < 60; n++) {
      // Random printable ids (no path separators): none of them exists.
      const id = Array.from({ length: 1 + Math.floor(fz.rand() * 64) }, () => fz.pick([..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~!$&'()*+,;=:@"])).join("");
      add(del, `random id ${short(id)}`, `/v1/keys/${encodeURIComponent(id)}`, undefined, auth, id === "." ? undefined : "KEY_NOT_FOUND");
    }
    add(del, "id of 65 characters", `/v1/keys/${"x".repeat(65)}`, undefined, auth, "VALIDATION_FAILED");
    for (const k of ["", "a b", "x".repeat(256), "clé"]) add(del, `real id, Idempotency-Key ${short(k)}`, `/v1/keys/${ids.key}`, undefined, { ...auth, "idempotency-key": k }, "VALIDATION_FAILED");
    add(del, "real id, no Authorization", `/v1/keys/${ids.key}`, undefined, {}, "UNAUTHENTICATED");
    add(del, "real id, publishable key", `/v1/keys/${ids.key}`, undefined, { authorization: `Bearer ${api.publishableKey}` }, "FORBIDDEN");

    // Well-formed requests that the program's state refuses, each with the code it must get. They
    // carry no Idempotency-Key: under Stripe's rules (http/mutate.ts) a refusal that ran is stored
    // and replayed under its key, which is a new idempotency row by design.
    const ev = (label: string, body: unknown, code: string) => add({ name: "POST /v1/events", method: "POST" }, label, "/v1/events", serialise(body), json, code);
    const order = (data: Record<string, unknown>) => ({ ...orderEvent(fz.fresh("evt"), "fuzz-c1", fz.fresh("ord"), 2_500), data: { ...orderEvent("x", "x", fz.fresh("ord"), 2_500).data, ...data } });
    ev("order in EUR", order({ currency: "EUR" }), "CURRENCY_MISMATCH");
    ev("order in XXX", order({ currency: "XXX" }), "CURRENCY_MISMATCH");
    ev("stated total differs", order({ total: 1 }), "ORDER_TOTALS_MISMATCH");
    ev("order discount above the merchandise", order({ discount: 2_501 }), "ORDER_TOTALS_MISMATCH");
    ev("line discount above the line", order({ lines: [{ sku: "A", quantity: 1, unitPrice: 100, discount: 101 }] }), "ORDER_TOTALS_MISMATCH");
    ev("an order id already recorded", { ...orderEvent(fz.fresh("evt"), "fuzz-c1", "fuzz-o1", 2_500) }, "ORDER_CONFLICT");
    ev("a known event id with another body", orderEvent("seed-order-1", "fuzz-c1", "fuzz-o1", 99), "IDEMPOTENCY_CONFLICT");
    ev("enormous order (10^6 × 10^12)", order({ lines: [{ sku: "A", quantity: 1_000_000, unitPrice: 1_000_000_000_000 }] }), "VALIDATION_FAILED");
    ev("enormous order (500 lines of 10^12)", order({ lines: Array.from({ length: 500 }, (_, i) => ({ sku: `L${i}`, quantity: 1, unitPrice: 1_000_000_000_000 })) }), "VALIDATION_FAILED");
    ev("enormous shipping and tax", order({ shipping: 1_000_000_000_000, tax: 1_000_000_000_000, lines: [{ sku: "A", quantity: 1_000, unitPrice: 1_000_000_000_000 }] }), "VALIDATION_FAILED");
    const refund = (data: Record<string, unknown>, customerId = "fuzz-c1") => ({ id: fz.fresh("evt"), type: "order.refunded", customerId, data: { orderId: "fuzz-o1", refundId: fz.fresh("ref"), ...data } });
    ev("refund of an unknown order", refund({ orderId: "no-such-order", amount: 1 }), "ORDER_NOT_FOUND");
    ev("refund above the order", refund({ amount: 1_000_000 }), "REFUND_EXCEEDS_ORDER");
    ev("refund of an unknown line", refund({ lines: [{ sku: "NOPE", quantity: 1 }] }), "REFUND_LINE_UNKNOWN");
    ev("refund of more units than bought", refund({ lines: [{ sku: "SKU-1", quantity: 2 }] }), "REFUND_LINE_UNKNOWN");
    ev("a refund id already recorded", refund({ refundId: "fuzz-r1", amount: 1 }), "REFUND_CONFLICT");
    ev("refund by another customer", refund({ amount: 1 }, "fuzz-c2"), "ORDER_CONFLICT");
    const signup = (data: Record<string, unknown>, customerId = fz.fresh("cust")) => ({ id: fz.fresh("evt"), type: "customer.signed_up", customerId, data });
    ev("signup with a phone that is no phone", signup({ phone: "not a phone" }), "INVALID_PHONE");
    ev("signup in no time zone", signup({ timeZone: "Mars/Olympus" }), "INVALID_TIME_ZONE");
    for (const [method, label, body, code] of [
      ["PUT", "a phone that is no phone", { phone: "not a phone" }, "INVALID_PHONE"],
      ["PUT", "no time zone", { timeZone: "Mars/Olympus" }, "INVALID_TIME_ZONE"],
      ["PATCH", "a phone that is no phone", { phone: "12345678901234567890" }, "INVALID_PHONE"],
    ] as const) {
      add({ name: `${method} /v1/customers/{externalId}`, method }, label, "/v1/customers/fuzz-c1", serialise(body), json, code);
    }
    add({ name: "PATCH /v1/customers/{externalId}", method: "PATCH" }, "unknown customer", "/v1/customers/nobody", serialise({ name: "X" }), json, "CUSTOMER_NOT_FOUND");
    // A valid change to an archived rule, and bringing it back: refused, it is final.
    add({ name: "PATCH /v1/rules/{ruleId}", method: "PATCH" }, "an archived rule", `/v1/rules/${ruleIds.archived}`, serialise({ effect: { kind: "fixed", points: 2 } }), json, "RULE_ARCHIVED");
    for (const action of ["enable", "disable"]) add({ name: `POST /v1/rules/{ruleId}/${action}`, method: "POST" }, "an archived rule", `/v1/rules/${ruleIds.archived}/${action}`, "", json, "RULE_ARCHIVED");
    add({ name: "POST /v1/rules/{ruleId}/enable", method: "POST" }, "an unknown rule", "/v1/rules/rul_nope/enable", "", json, "RULE_NOT_FOUND");
    // Campaign actions: an archived campaign is final; unknown and malformed ids are not found.
    for (const action of ["enable", "disable"]) add({ name: `POST /v1/campaigns/{campaignId}/${action}`, method: "POST" }, "an archived campaign", `/v1/campaigns/${campaignIds.archived}/${action}`, "", json, "CAMPAIGN_ARCHIVED");
    for (const action of ["enable", "disable", "archive"]) {
      add({ name: `POST /v1/campaigns/{campaignId}/${action}`, method: "POST" }, "an unknown campaign", `/v1/campaigns/cmp_nope/${action}`, "", json, "CAMPAIGN_NOT_FOUND");
      add({ name: `POST /v1/campaigns/{campaignId}/${action}`, method: "POST" }, "a malformed id", `/v1/campaigns/${"x".repeat(65)}/${action}`, "", json);
    }
    const adj = { name: "POST /v1/customers/{externalId}/adjustments", method: "POST" };
    add(adj, "debit above the balance", "/v1/customers/fuzz-c1/adjustments", serialise({ amount: -1_000_000, reason: "x" }), json, "INSUFFICIENT_POINTS");
    add(adj, "unknown customer", "/v1/customers/nobody/adjustments", serialise({ amount: 5, reason: "x" }), json, "CUSTOMER_NOT_FOUND");
    add({ name: "POST /v1/customers/{externalId}/erase", method: "POST" }, "unknown customer", "/v1/customers/nobody/erase", serialise({ reason: "x" }), json, "CUSTOMER_NOT_FOUND");
    const rev = { name: "POST /v1/transactions/{transactionId}/reverse", method: "POST" };
    add(rev, "unknown transaction", "/v1/transactions/txn_nope/reverse", serialise({ reason: "x" }), json, "TRANSACTION_NOT_FOUND");
    add(rev, "already reversed", `/v1/transactions/${ids.reversed}/reverse`, serialise({ reason: "x" }), json, "ALREADY_REVERSED");
    add(rev, "a reversal", `/v1/transactions/${ids.reversal}/reverse`, serialise({ reason: "x" }), json, "REVERSAL_NOT_ALLOWED");
    add(rev, "a refund", `/v1/transactions/${ids.refund}/reverse`, serialise({ reason: "x" }), json, "REVERSAL_NOT_ALLOWED");
    // The birthday run takes no body: only its authentication and its Idempotency-Key can be wrong.
    const birthdays = { name: "POST /v1/rules/birthdays/run", method: "POST" };
    fz.authCases(birthdays, "/v1/rules/birthdays/run");
    fz.idempotencyCases(birthdays, "/v1/rules/birthdays/run");
    const prog = { name: "PATCH /v1/program", method: "PATCH" };
    add(prog, "no time zone", "/v1/program", serialise({ timeZone: "Mars/Olympus" }), json, "INVALID_TIME_ZONE");
    add(prog, "default locale not supported", "/v1/program", serialise({ defaultLocale: "vi" }), json, "INVALID_LOCALE");
    add(prog, "supported locales without the default", "/v1/program", serialise({ supportedLocales: ["vi", "fr"] }), json, "INVALID_LOCALE");
    return fz.cases;
  }

  it("answers at least 1,000 malformed requests with a 4xx and a known code, never a 5xx", { timeout: 120_000 }, async () => {
    const cases = generate();
    expect(cases.length).toBeGreaterThanOrEqual(1_000);
    const started = performance.now();
    results = await runCases(api, cases);
    const perEndpoint = countByEndpoint(results);
    console.info(`fuzz (seed ${SEED}): ${results.length} requests in ${Math.round(performance.now() - started)} ms; ${JSON.stringify(Object.fromEntries(perEndpoint))}`);
    expect(problemsOf(results), `seed ${SEED}`).toEqual([]);
    expect([...perEndpoint.keys()].sort()).toEqual(
      [
        "DELETE /v1/keys/{keyId}", "PATCH /v1/customers/{externalId}", "PATCH /v1/program", "POST /v1/customers/{externalId}/adjustments", "POST /v1/customers/{externalId}/erase",
        "POST /v1/events", "POST /v1/events/batch", "POST /v1/keys", "POST /v1/rules", "POST /v1/rewards", "POST /v1/customers/{externalId}/redemptions",
        "POST /v1/customers/{externalId}/pay-with-points", "POST /v1/codes/validate", "POST /v1/transactions/{transactionId}/reverse", "PUT /v1/customers/{externalId}",
        "POST /v1/campaigns", "PATCH /v1/campaigns/{campaignId}", "POST /v1/campaigns/{campaignId}/codes/generate", "POST /v1/campaigns/{campaignId}/codes",
        "PATCH /v1/rules/{ruleId}", "POST /v1/rules/{ruleId}/enable", "POST /v1/rules/{ruleId}/disable", "POST /v1/rules/birthdays/run",
        "POST /v1/carts/reserve", "POST /v1/carts/release", "POST /v1/carts/complete", "POST /v1/carts/rollback",
        "POST /v1/campaigns/{campaignId}/enable", "POST /v1/campaigns/{campaignId}/disable", "POST /v1/campaigns/{campaignId}/archive",
      ].sort(),
    );
  });

  it("leaves every table, the customer's profile and balances and the program exactly as they were", async () => {
    expect(results.length).toBeGreaterThanOrEqual(1_000);
    const after = await snapshot();
    expect(after.counts).toEqual(before.counts);
    expect(after.profile).toEqual(before.profile);
    expect(after.balances).toEqual(before.balances);
    expect(after.program).toEqual(before.program);
    for (const t of Object.keys(before.tables)) expect(after.tables[t]!.rows, t).toBe(before.tables[t]!.rows);
  });
});
