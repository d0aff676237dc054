import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { testApi, ok, orderEvent, type TestApi } from "./harness.ts";

const count = async (api: TestApi, table: string) =>
  Number((await rows<{ n: number }>(api.ctx.db, sql`select count(*)::int as n from ${sql.identifier(table)} where program_id = ${api.programId}`))[0]!.n);

describe("order.completed", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ program: { ledgerPolicy: { pendingDays: 14, expiry: { kind: "end_of_month", months: 12 }, clawback: "allow_negative" } } });
  });
  afterAll(() => api.close());

  it("earns points per money spent on the merchandise after discounts, not on shipping or tax", async () => {
    const r = await api.call("POST", "/v1/events", {
      id: "evt-a1",
      type: "order.completed",
      customerId: "anna",
      data: {
        orderId: "A-1",
        currency: "USD",
        lines: [
          { sku: "LAT", quantity: 2, unitPrice: 450, discount: 50 },
          { sku: "CRO", quantity: 1, unitPrice: 350 },
        ],
        discount: 100,
        shipping: 500,
        tax: 99,
        total: 1699,
      },
    });
    expect(r.status).toBe(200);
    // Merchandise 1250 − line discount 50 − order discount 100 = 1100 → 11 points at 1 per 100 cents.
    expect(r.body).toMatchObject({ id: "evt-a1", status: "accepted", type: "order.completed", customerId: "anna", effects: { pointsEarned: 11, pointsPending: true } });
    expect(r.body.effects.availableAt).toBe("2026-03-24T03:00:00.000Z");
    // End of the month 12 months after March 2026 in New York: 1 April 2027 00:00 EDT.
    expect(r.body.effects.expiresAt).toBe("2027-04-01T04:00:00.000Z");
    const b = await api.call("GET", "/v1/customers/anna/balances");
    expect(b.body).toMatchObject({ available: 0, pending: 11, pendingLots: [{ amount: 11, availableAt: "2026-03-24T03:00:00.000Z" }] });
  });

  it("takes a body sent with Content-Encoding: identity, and refuses a compressed one with 415 and no effect", async () => {
    const send = (id: string, encoding: string) =>
      api.raw({
        method: "POST",
        path: "/v1/events",
        body: JSON.stringify(orderEvent(id, "enc", id, 1000)),
        headers: { authorization: `Bearer ${api.secretKey}`, "content-type": "application/json", "content-encoding": encoding },
      });
    expect((await send("evt-enc-1", "identity")).status).toBe(200);
    const gz = await send("evt-enc-2", "gzip");
    expect(gz.status).toBe(415);
    expect((await gz.json()).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((await api.call("GET", "/v1/customers/enc/summary")).body.lifetimeOrders).toBe(1);
  });

  it("stores the order with its lines and derived totals", async () => {
    const o = await rows<any>(api.ctx.db, sql`select subtotal::int, discount::int, shipping::int, tax::int, total::int, earning_base::int, points_earned::int from orders where external_id = 'A-1'`);
    expect(o[0]).toEqual({ subtotal: 1250, discount: 150, shipping: 500, tax: 99, total: 1699, earning_base: 1100, points_earned: 11 });
    const lines = await rows<any>(api.ctx.db, sql`select sku, quantity, net::int from order_lines l join orders o on o.id = l.order_id where o.external_id = 'A-1' order by line_no`);
    expect(lines).toEqual([
      { sku: "LAT", quantity: 2, net: 779 }, // 850 − 71 of the order discount (largest remainder)
      { sku: "CRO", quantity: 1, net: 321 },
    ]);
  });

  it("refuses a stated total that differs from the lines, with no trace", async () => {
    const before = await count(api, "customers");
    const e = orderEvent("evt-bad-total", "newcomer", "B-1", 1000);
    const r = await api.call("POST", "/v1/events", { ...e, data: { ...e.data, total: 999 } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("ORDER_TOTALS_MISMATCH");
    expect(r.body.details).toEqual({ stated: 999, derived: 1000 });
    expect(await count(api, "customers")).toBe(before);
  });

  it("refuses an order in another currency", async () => {
    const e = orderEvent("evt-eur", "anna", "E-1", 1000);
    const r = await api.call("POST", "/v1/events", { ...e, data: { ...e.data, currency: "EUR" } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "CURRENCY_MISMATCH", details: { expected: "USD", got: "EUR" } });
  });

  it("refuses the same order id under another event id", async () => {
    const r = await api.call("POST", "/v1/events", orderEvent("evt-a1-again", "anna", "A-1", 500));
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("ORDER_CONFLICT");
  });

  it("replays the same event id with the first result and flags it", async () => {
    const first = await api.call("POST", "/v1/events", orderEvent("evt-r1", "ben", "R-1", 2500));
    const again = await api.call("POST", "/v1/events", orderEvent("evt-r1", "ben", "R-1", 2500));
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
  });

  it("keeps each event's answer on its row, and replays an event recorded before that from its idempotency row", async () => {
    const first = await api.call("POST", "/v1/events", orderEvent("evt-legacy", "olga", "LEG-1", 1200));
    const [row] = await rows<{ response: string }>(api.ctx.db, sql`select response from events where program_id = ${api.programId} and external_id = 'evt-legacy'`);
    expect(JSON.parse(row!.response)).toEqual(JSON.parse(first.text));
    // As a database from before 2026-11-24 holds it: the answer on the idempotency row only.
    await api.ctx.db.execute(sql`update idempotency_keys set status = 200, response = ${row!.response} where program_id = ${api.programId} and scope = 'event' and key = 'evt-legacy'`);
    await api.ctx.db.execute(sql`update events set response = null where program_id = ${api.programId} and external_id = 'evt-legacy'`);
    const again = await api.call("POST", "/v1/events", orderEvent("evt-legacy", "olga", "LEG-1", 1200));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    const batch = await api.call("POST", "/v1/events/batch", { events: [orderEvent("evt-legacy", "olga", "LEG-1", 1200), orderEvent("evt-r1", "ben", "R-1", 2500)] });
    expect(batch.body.results.map((r: { replayed: boolean; effects: unknown }) => r.replayed)).toEqual([true, true]);
    expect(batch.body.results[0].effects).toEqual(first.body.effects);
  });

  it("refuses the same event id with another body: IDEMPOTENCY_CONFLICT, no effect", async () => {
    const r = await api.call("POST", "/v1/events", orderEvent("evt-r1", "ben", "R-1", 9999));
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("IDEMPOTENCY_CONFLICT");
    const b = await api.call("GET", "/v1/customers/ben/balances");
    expect(b.body.pending).toBe(25);
  });

  it("refuses the same event id at another time (occurredAt is part of the body), and replays the same instant written in another offset", async () => {
    const e = orderEvent("evt-when", "ben", "W-1", 1000);
    const first = await api.call("POST", "/v1/events", { ...e, occurredAt: "2026-03-09T10:00:00Z" });
    expect(first.status).toBe(200);
    const other = await api.call("POST", "/v1/events", { ...e, occurredAt: "2026-03-08T10:00:00Z" });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("IDEMPOTENCY_CONFLICT");
    const same = await api.call("POST", "/v1/events", { ...e, occurredAt: "2026-03-09T05:00:00-05:00" });
    expect(same.status).toBe(200);
    expect(same.headers.get("idempotent-replayed")).toBe("true");
  });

  it("takes occurredAt between 1970 and 2999 (VALIDATION_FAILED outside, with no trace), and dates expiry from it at both ends", async () => {
    for (const [i, occurredAt] of ["1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "9999-06-30T00:00:00Z", "0001-01-01T00:00:00Z"].entries()) {
      const r = await api.call("POST", "/v1/events", { ...orderEvent(`evt-far-${i}`, "far", `FAR-${i}`, 1000), occurredAt });
      expect(r.status, occurredAt).toBe(400);
      expect(r.body.details.issues[0]).toMatchObject({ path: "occurredAt", message: "a time between the years 1970 and 2999" });
    }
    // Refused before anything was written: not even the customer exists.
    expect((await api.call("GET", "/v1/customers/far")).status).toBe(404);
    // This program's points expire at the end of the month 12 months later (New York time), after 14
    // days pending: long over for the first order, still ahead for the last.
    const early = await api.call("POST", "/v1/events", { ...orderEvent("evt-far-early", "far", "FAR-E", 1000), occurredAt: "1970-01-01T00:00:00Z" });
    expect(early.body.effects).toMatchObject({ availableAt: null, expiresAt: "1971-01-01T05:00:00.000Z" });
    const late = await api.call("POST", "/v1/events", { ...orderEvent("evt-far-late", "far", "FAR-L", 1000), occurredAt: "2999-12-31T12:00:00Z" });
    expect(late.body.effects).toMatchObject({ availableAt: "3000-01-14T12:00:00.000Z", expiresAt: "3001-01-01T05:00:00.000Z" });
  });

  it("does not remember a refused event: fixed, the same id is accepted", async () => {
    const e = orderEvent("evt-fixme", "cara", "F-1", 700);
    expect((await api.call("POST", "/v1/events", { ...e, data: { ...e.data, currency: "GBP" } })).status).toBe(422);
    const ok = await api.call("POST", "/v1/events", e);
    expect(ok.status).toBe(200);
    expect(ok.body.effects.pointsEarned).toBe(7);
  });

  it("credits straight to available when the return window has already passed", async () => {
    const r = await api.call("POST", "/v1/events", { ...orderEvent("evt-old", "dora", "OLD-1", 5000), occurredAt: "2026-01-02T10:00:00Z" });
    expect(r.body.effects).toMatchObject({ pointsEarned: 50, pointsPending: false, availableAt: null });
    expect((await api.call("GET", "/v1/customers/dora/balances")).body).toMatchObject({ available: 50, pending: 0 });
  });
});

describe("order.refunded", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
    const r = await api.call("POST", "/v1/events", {
      id: "o1",
      type: "order.completed",
      customerId: "eve",
      data: { orderId: "ORD-1", currency: "USD", lines: [{ sku: "A", quantity: 3, unitPrice: 1000 }, { sku: "B", quantity: 1, unitPrice: 1000 }] },
    });
    expect(r.body.effects.pointsEarned).toBe(40);
  });
  afterAll(() => api.close());

  const refund = (id: string, data: Record<string, unknown>) => api.call("POST", "/v1/events", { id, type: "order.refunded", customerId: "eve", data: { orderId: "ORD-1", ...data } });

  it("claws back points in proportion to a partial refund by amount, rounding down", async () => {
    const r = await refund("rf1", { refundId: "RF-1", amount: 1050 });
    expect(r.status).toBe(200);
    // 40 × 1050 / 4000 = 10.5 → 10
    expect(r.body.effects).toMatchObject({ refundAmount: 1050, pointsClawedBack: 10 });
    expect((await api.call("GET", "/v1/customers/eve/balances")).body.available).toBe(30);
  });

  it("refunds by lines: each unit's share of its line", async () => {
    const r = await refund("rf2", { refundId: "RF-2", lines: [{ sku: "A", quantity: 1 }] });
    // cumulative 2050 / 4000 × 40 = 20.5 → 20, minus 10 already
    expect(r.body.effects).toMatchObject({ refundAmount: 1000, pointsClawedBack: 10 });
  });

  it("refuses more units than are left on the line", async () => {
    const r = await refund("rf3", { refundId: "RF-3", lines: [{ sku: "A", quantity: 3 }] });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("REFUND_LINE_UNKNOWN");
  });

  it("refuses a refund larger than what is left of the order", async () => {
    const r = await refund("rf4", { refundId: "RF-4", amount: 2000 });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "REFUND_EXCEEDS_ORDER", details: { orderTotal: 4000, refundedBefore: 2050, requested: 2000 } });
  });

  it("refuses a refund id that was already used", async () => {
    const r = await refund("rf5", { refundId: "RF-1", amount: 1 });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("REFUND_CONFLICT");
  });

  it("a full refund of the rest takes back exactly what was earned, never more", async () => {
    const r = await refund("rf6", { refundId: "RF-6" });
    expect(r.body.effects).toMatchObject({ refundAmount: 1950, pointsClawedBack: 20 });
    expect((await api.call("GET", "/v1/customers/eve/balances")).body.available).toBe(0);
    const again = await refund("rf7", { refundId: "RF-7", amount: 1 });
    expect(again.body.code).toBe("REFUND_EXCEEDS_ORDER");
    const s = await api.call("GET", "/v1/customers/eve/summary");
    expect(s.body).toMatchObject({ lifetimeOrders: 1, refundedAmount: 4000, lifetimeSpend: 0, pointsEarned: 40 });
  });

  it("refuses a refund for an order that was never recorded", async () => {
    const r = await api.call("POST", "/v1/events", { id: "rf8", type: "order.refunded", customerId: "eve", data: { orderId: "NOPE", refundId: "RF-8" } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("ORDER_NOT_FOUND");
  });

  it("refuses a refund sent for another customer than the order's", async () => {
    const r = await api.call("POST", "/v1/events", { id: "rf9", type: "order.refunded", customerId: "mallory", data: { orderId: "ORD-1", refundId: "RF-9", amount: 1 } });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("ORDER_CONFLICT");
  });
});

describe("refund clawback beyond the balance", () => {
  it("allow_negative: the balance goes below zero through a clawback posting without a lot", async () => {
    const api = await testApi();
    await api.call("POST", "/v1/events", orderEvent("e1", "fay", "O1", 10_000));
    await api.call("POST", "/v1/customers/fay/adjustments", { amount: -80, reason: "spent" });
    const r = await api.call("POST", "/v1/events", { id: "e2", type: "order.refunded", customerId: "fay", data: { orderId: "O1", refundId: "R1" } });
    expect(r.body.effects).toMatchObject({ pointsClawedBack: 100 });
    expect((await api.call("GET", "/v1/customers/fay/balances")).body.available).toBe(-80);
    const h = await api.call("GET", "/v1/customers/fay/transactions?type=refund");
    expect(h.body.data[0].postings).toEqual([
      { source: expect.stringMatching(/:available$/), destination: "world", asset: "points", amount: 20, lotId: expect.stringMatching(/^lot_/) },
      { source: expect.stringMatching(/:available$/), destination: "world", asset: "points", amount: 80, lotId: null },
    ]);
    // The next points pay the debt first.
    await api.call("POST", "/v1/events", orderEvent("e3", "fay", "O2", 10_000));
    expect((await api.call("GET", "/v1/customers/fay/balances")).body.available).toBe(20);
    await api.close();
  });

  it("cap: takes what is there and records the shortfall", async () => {
    const api = await testApi({ program: { ledgerPolicy: { pendingDays: 0, expiry: { kind: "never" }, clawback: "cap" } } });
    await api.call("POST", "/v1/events", orderEvent("e1", "gus", "O1", 10_000));
    await api.call("POST", "/v1/customers/gus/adjustments", { amount: -80, reason: "spent" });
    const r = await api.call("POST", "/v1/events", { id: "e2", type: "order.refunded", customerId: "gus", data: { orderId: "O1", refundId: "R1" } });
    expect(r.body.effects).toMatchObject({ pointsClawedBack: 20, shortfall: 80 });
    expect((await api.call("GET", "/v1/customers/gus/balances")).body.available).toBe(0);
    const [ref] = await rows<any>(api.ctx.db, sql`select points_clawed_back::int as c, shortfall::int as s from refunds`);
    expect(ref).toEqual({ c: 20, s: 80 });
    await api.close();
  });
});

describe("refund of an order whose points have expired", () => {
  // Orders' points expire after 30 days; the customer also holds 50 points that never expire.
  const program = { ledgerPolicy: { pendingDays: 0, expiry: { kind: "days" as const, days: 30 }, clawback: "allow_negative" as const } };
  const setUp = async (api: TestApi, customer: string) => {
    expect((await api.call("POST", "/v1/events", orderEvent(`${customer}-e1`, customer, `${customer}-O1`, 10_000))).body.effects.pointsEarned).toBe(100);
    await api.call("POST", `/v1/customers/${customer}/adjustments`, { amount: 50, reason: "gift", expiry: { kind: "never" } });
  };
  const refund = (api: TestApi, customer: string, extra: Record<string, unknown> = {}) =>
    api.call("POST", "/v1/events", { id: `${customer}-r${JSON.stringify(extra).length}`, type: "order.refunded", customerId: customer, data: { orderId: `${customer}-O1`, refundId: `${customer}-R${JSON.stringify(extra).length}`, ...extra } });
  const worldBalances = async (api: TestApi) => {
    const [w] = await rows<{ issued: number; held: number }>(
      api.ctx.db,
      sql`select (select coalesce(sum(case when p.source = 'world' then p.amount else -p.amount end), 0) from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
                   where t.program_id = ${api.programId} and (p.source = 'world' or p.destination = 'world'))::float8 as issued,
                 (select coalesce(sum(case when p.destination = 'expired' then p.amount else -p.amount end), 0) from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
                   where t.program_id = ${api.programId} and (p.source = 'expired' or p.destination = 'expired'))::float8
                 + (select coalesce(sum(available + pending), 0) from account_balances where program_id = ${api.programId})::float8 as held`,
    );
    expect(w!.issued).toBe(w!.held);
  };

  it("expired and settled by the daily job: the refund takes nothing back, the other 50 points stay", async () => {
    const api = await testApi({ program });
    await setUp(api, "ida");
    api.clock.advanceDays(31);
    expect((await api.call("POST", "/v1/jobs/daily")).status).toBe(200);
    expect((await api.call("GET", "/v1/customers/ida/balances")).body.available).toBe(50);
    const r = await refund(api, "ida");
    expect(r.status).toBe(200);
    expect(r.body.effects.pointsClawedBack).toBe(0);
    expect((await api.call("GET", "/v1/customers/ida/balances")).body.available).toBe(50);
    await worldBalances(api);
    await api.close();
  });

  it("expired but not yet settled: the refund's own settlement expires it, and takes nothing more", async () => {
    const api = await testApi({ program });
    await setUp(api, "jon");
    api.clock.advanceDays(31);
    const r = await refund(api, "jon");
    expect(r.body.effects.pointsClawedBack).toBe(0);
    expect((await api.call("GET", "/v1/customers/jon/balances")).body.available).toBe(50);
    await worldBalances(api);
    await api.close();
  });

  it("partly spent, the rest expired: the spent part is taken back, in proportion over partial refunds", async () => {
    const api = await testApi({ program });
    await setUp(api, "kim");
    // The debit takes the soonest-expiring lot first: 60 of the order's 100; the other 40 expire.
    await api.call("POST", "/v1/customers/kim/adjustments", { amount: -60, reason: "spent" });
    api.clock.advanceDays(31);
    const half = await refund(api, "kim", { amount: 5_000 });
    expect(half.body.effects.pointsClawedBack).toBe(30); // half of the 60 the customer had the use of
    const rest = await refund(api, "kim");
    expect(rest.body.effects.pointsClawedBack).toBe(30);
    expect((await api.call("GET", "/v1/customers/kim/balances")).body.available).toBe(50 - 60);
    await worldBalances(api);
    await api.close();
  });

  it("what expired of another order whose id starts with this one's and a colon is not this order's: its refund takes back all it earned", async () => {
    const api = await testApi({ program });
    // "A:2" was placed 40 days ago: its 50 points have expired. "A" earns 100 today. A's further
    // credits were order:{id}:{n} before they became order-credit:{n}:{id}, so "A:2"'s (order:A:2)
    // looks like A's second: stored rows of that form must not be taken for A's.
    const placed = new Date(api.clock.now().getTime() - 40 * 86_400_000).toISOString();
    await ok(api.call("POST", "/v1/events", { ...orderEvent("lea-e0", "lea", "A:2", 5_000), occurredAt: placed }));
    expect((await ok(api.call("POST", "/v1/events", orderEvent("lea-e1", "lea", "A", 10_000)))).effects.pointsEarned).toBe(100);
    expect((await api.call("POST", "/v1/jobs/daily")).status).toBe(200);
    expect((await api.call("GET", "/v1/customers/lea/balances")).body.available).toBe(100);
    const r = await ok(api.call("POST", "/v1/events", { id: "lea-r", type: "order.refunded", customerId: "lea", data: { orderId: "A", refundId: "lea-R" } }));
    expect(r.effects.pointsClawedBack).toBe(100);
    expect((await api.call("GET", "/v1/customers/lea/balances")).body.available).toBe(0);
    await worldBalances(api);
    await api.close();
  });
});

describe("other event types", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(() => api.close());

  it("customer.signed_up creates the customer with the profile given", async () => {
    const r = await api.call("POST", "/v1/events", { id: "s1", type: "customer.signed_up", customerId: "hana", data: { email: "Hana@Example.COM", name: "Hana", consent: { email: true } } });
    expect(r.status).toBe(200);
    const c = await api.call("GET", "/v1/customers/hana");
    expect(c.body).toMatchObject({ email: "hana@example.com", name: "Hana", consent: { email: true, sms: false }, status: "active" });
  });

  it("a custom event is recorded with its name and properties and earns nothing yet", async () => {
    const r = await api.call("POST", "/v1/events", { id: "c1", type: "custom", name: "brought_own_cup", customerId: "hana", data: { store: "d1" } });
    expect(r.body).toMatchObject({ status: "accepted", effects: {} });
    const [e] = await rows<any>(api.ctx.db, sql`select name, data from events where external_id = 'c1'`);
    expect(e.name).toBe("brought_own_cup");
    expect(typeof e.data === "string" ? JSON.parse(e.data) : e.data).toEqual({ store: "d1" });
  });

  it("an order for an unknown customer creates the customer", async () => {
    await api.call("POST", "/v1/events", orderEvent("o-new", "ivan", "IV-1", 300));
    expect((await api.call("GET", "/v1/customers/ivan")).status).toBe(200);
  });
});

describe("POST /v1/events/batch", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(() => api.close());

  it("applies events in order and answers each one, in order", async () => {
    const r = await api.call("POST", "/v1/events/batch", {
      events: [
        orderEvent("b1", "jo", "J-1", 1000),
        { id: "b2", type: "order.refunded", customerId: "jo", data: { orderId: "J-1", refundId: "JR-1", amount: 500 } },
        orderEvent("b1", "jo", "J-1", 1000),
        orderEvent("b1", "jo", "J-1", 2000),
        { ...orderEvent("b3", "kim", "K-1", 1000), data: { ...orderEvent("x", "x", "K-1", 1000).data, currency: "JPY" } },
        orderEvent("b4", "kim", "J-1", 1000),
        { id: "b5", type: "order.refunded", customerId: "kim", data: { orderId: "NONE", refundId: "X" } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => [x.id, x.status, x.replayed, x.error?.code])).toEqual([
      ["b1", "accepted", false, undefined],
      ["b2", "accepted", false, undefined],
      ["b1", "accepted", true, undefined],
      ["b1", "rejected", false, "IDEMPOTENCY_CONFLICT"],
      ["b3", "rejected", false, "CURRENCY_MISMATCH"],
      ["b4", "rejected", false, "ORDER_CONFLICT"],
      ["b5", "rejected", false, "ORDER_NOT_FOUND"],
    ]);
    expect(r.body).toMatchObject({ accepted: 2, replayed: 1, rejected: 4 });
    expect(r.body.results[1].effects).toMatchObject({ pointsClawedBack: 5 });
    expect((await api.call("GET", "/v1/customers/jo/balances")).body.available).toBe(5);
    // Rejected events left nothing: kim was never created.
    expect((await api.call("GET", "/v1/customers/kim")).status).toBe(404);
  });

  it("replays a whole batch with the first results", async () => {
    const events = [orderEvent("c1", "lee", "L-1", 100), orderEvent("c2", "lee", "L-2", 200)];
    const first = await api.call("POST", "/v1/events/batch", { events });
    const again = await api.call("POST", "/v1/events/batch", { events });
    expect(again.body.replayed).toBe(2);
    expect(again.body.results.map((x: any) => ({ ...x, replayed: false }))).toEqual(first.body.results);
    expect((await api.call("GET", "/v1/customers/lee/balances")).body.available).toBe(3);
  });

  it("refuses a malformed batch as a whole", async () => {
    const r = await api.call("POST", "/v1/events/batch", { events: [orderEvent("d1", "max", "M-1", 100), { id: "d2", type: "order.completed" }] });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("GET", "/v1/customers/max")).status).toBe(404);
  });

  it("takes 1,000 events in one call and refuses 1,001", async () => {
    const events = Array.from({ length: 1000 }, (_, i) => orderEvent(`big-${i}`, `cust-${i % 37}`, `BIG-${i}`, 100 + i));
    const r = await api.call("POST", "/v1/events/batch", { events });
    expect(r.body.accepted).toBe(1000);
    const [sum] = await rows<any>(api.ctx.db, sql`select coalesce(sum(available), 0)::int as s from account_balances where customer_id in (select id from customers where external_id like 'cust-%')`);
    expect(sum.s).toBe(events.reduce((a, _e, i) => a + Math.floor((100 + i) / 100), 0));
    const tooMany = await api.call("POST", "/v1/events/batch", { events: [...events, orderEvent("big-x", "c", "BIG-X", 1)] });
    expect(tooMany.status).toBe(400);
  });
});

describe("refunds and shipping, refunds and reversals", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(() => api.close());

  const order = (id: string, customer: string, orderId: string) =>
    api.call("POST", "/v1/events", { id, type: "order.completed", customerId: customer, data: { orderId, currency: "USD", lines: [{ sku: "BAG", quantity: 1, unitPrice: 18_000 }], shipping: 2_000 } });

  it("refunding every line takes back every point, though shipping stays paid", async () => {
    expect((await order("s1", "sal", "S-1")).body.effects.pointsEarned).toBe(180);
    const r = await api.call("POST", "/v1/events", { id: "s1r", type: "order.refunded", customerId: "sal", data: { orderId: "S-1", refundId: "S-1-R", lines: [{ sku: "BAG", quantity: 1 }] } });
    expect(r.body.effects).toMatchObject({ refundAmount: 18_000, pointsClawedBack: 180 });
    expect((await api.call("GET", "/v1/customers/sal/balances")).body.available).toBe(0);
  });

  it("a refund by amount takes back the merchandise share of it", async () => {
    await order("t1", "tom", "T-1");
    // 10,000 of a 20,000 total is 9,000 of the 18,000 earning base: half the points.
    const r = await api.call("POST", "/v1/events", { id: "t1r", type: "order.refunded", customerId: "tom", data: { orderId: "T-1", refundId: "T-1-R", amount: 10_000 } });
    expect(r.body.effects).toMatchObject({ refundAmount: 10_000, pointsClawedBack: 90 });
    const rest = await api.call("POST", "/v1/events", { id: "t1r2", type: "order.refunded", customerId: "tom", data: { orderId: "T-1", refundId: "T-1-R2" } });
    expect(rest.body.effects).toMatchObject({ refundAmount: 10_000, pointsClawedBack: 90 });
  });

  it("after an earn is reversed, a refund of its order takes nothing more", async () => {
    const e = await order("u1", "uma", "U-1");
    await api.call("POST", `/v1/transactions/${e.body.effects.transactionId}/reverse`, { reason: "test order" });
    const r = await api.call("POST", "/v1/events", { id: "u1r", type: "order.refunded", customerId: "uma", data: { orderId: "U-1", refundId: "U-1-R" } });
    expect(r.body.effects).toMatchObject({ refundAmount: 20_000, pointsClawedBack: 0 });
    expect((await api.call("GET", "/v1/customers/uma/balances")).body.available).toBe(0);
  });

  it("an earn whose order already had a refund cannot be reversed", async () => {
    const e = await order("v1", "vic", "V-1");
    await api.call("POST", "/v1/events", { id: "v1r", type: "order.refunded", customerId: "vic", data: { orderId: "V-1", refundId: "V-1-R", amount: 5_000 } });
    const r = await api.call("POST", `/v1/transactions/${e.body.effects.transactionId}/reverse`, { reason: "x" });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("REVERSAL_NOT_ALLOWED");
  });
});
