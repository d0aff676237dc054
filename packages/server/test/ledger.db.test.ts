import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { testApi, ok, orderEvent, type TestApi } from "./harness.ts";
import { applyPlan, planDebit, planSettle, type Holdings, type Lot } from "@patron/core";
import { loadLots, loadLotsToSpend } from "../src/db/ledger-repo.ts";

describe("manual adjustments", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
    await api.call("PUT", "/v1/customers/ann", { name: "Ann" });
  });
  afterAll(() => api.close());

  it("credits with a reason and an actor, and writes the audit log", async () => {
    const r = await api.call("POST", "/v1/customers/ann/adjustments", { amount: 500, reason: "goodwill after a late delivery", actor: "support:lan" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ type: "adjustment", change: { available: 500, pending: 0 }, metadata: { reason: "goodwill after a late delivery", actor: "support:lan" } });
    const [a] = await rows<any>(api.ctx.db, sql`select actor, action, reason from audit_log where action = 'points.adjusted'`);
    expect(a).toEqual({ actor: "support:lan", action: "points.adjusted", reason: "goodwill after a late delivery" });
  });

  it("debits, and never below zero", async () => {
    const ok = await api.call("POST", "/v1/customers/ann/adjustments", { amount: -200, reason: "correction" });
    expect(ok.body.change.available).toBe(-200);
    const no = await api.call("POST", "/v1/customers/ann/adjustments", { amount: -301, reason: "too much" });
    expect(no.status).toBe(422);
    expect(no.body).toMatchObject({ code: "INSUFFICIENT_POINTS", details: { available: 300, required: 301 } });
    expect((await api.call("GET", "/v1/customers/ann/balances")).body.available).toBe(300);
  });

  it("refuses zero and unknown customers", async () => {
    expect((await api.call("POST", "/v1/customers/ann/adjustments", { amount: 0, reason: "x" })).body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("POST", "/v1/customers/nobody/adjustments", { amount: 5, reason: "x" })).body.code).toBe("CUSTOMER_NOT_FOUND");
  });

  it("refuses an expiry on a debit (it was ignored without a word), with nothing written", async () => {
    const before = (await api.call("GET", "/v1/customers/ann/balances")).body.available;
    const r = await api.call("POST", "/v1/customers/ann/adjustments", { amount: -5, reason: "x", expiry: { kind: "days", days: 10 } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("expiry applies to credits") });
    expect((await api.call("GET", "/v1/customers/ann/balances")).body.available).toBe(before);
  });

  it("a credit may carry its own expiry", async () => {
    const r = await api.call("POST", "/v1/customers/ann/adjustments", { amount: 40, reason: "promo", expiry: { kind: "days", days: 10 } });
    expect(r.status).toBe(201);
    const b = await api.call("GET", "/v1/customers/ann/balances?days=30");
    expect(b.body.expiringSoon).toEqual([{ amount: 40, expiresAt: "2026-03-20T03:00:00.000Z" }]);
  });
});

describe("reversals", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(() => api.close());

  it("reverse an earn: mirrored postings, the original untouched and linked", async () => {
    const e = await api.call("POST", "/v1/events", orderEvent("e1", "bo", "O-1", 5000));
    const txn = e.body.effects.transactionId;
    const r = await api.call("POST", `/v1/transactions/${txn}/reverse`, { reason: "test order" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ type: "reversal", reversesId: txn, change: { available: -50 } });
    const orig = await api.call("GET", `/v1/transactions/${txn}`);
    expect(orig.body.reversedById).toBe(r.body.id);
    expect((await api.call("GET", "/v1/customers/bo/balances")).body.available).toBe(0);
  });

  it("reverses a transaction only once", async () => {
    const e = await api.call("POST", "/v1/customers/bo/adjustments", { amount: 70, reason: "x" });
    expect((await api.call("POST", `/v1/transactions/${e.body.id}/reverse`, { reason: "one" })).status).toBe(201);
    const again = await api.call("POST", `/v1/transactions/${e.body.id}/reverse`, { reason: "two" });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ALREADY_REVERSED");
  });

  it("an order's earn reversed a second time is ALREADY_REVERSED too, not a refund's REVERSAL_NOT_ALLOWED", async () => {
    const e = await api.call("POST", "/v1/events", orderEvent("e-twice", "bo", "O-twice", 3000));
    const txn = e.body.effects.transactionId;
    const first = await api.call("POST", `/v1/transactions/${txn}/reverse`, { reason: "one" });
    expect(first.status).toBe(201);
    const again = await api.call("POST", `/v1/transactions/${txn}/reverse`, { reason: "two", force: true });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "ALREADY_REVERSED", details: { reversalId: first.body.id } });
  });

  it("an order with two credits: reversing one takes back only it, the other stays reversible, and a refund takes the rest", async () => {
    const own = await testApi();
    try {
      // A rule with its own expiry: the order's 40 are a second credit (order-credit:2:{id}) beside the base 100.
      expect((await own.call("POST", "/v1/rules", { name: "bonus", trigger: { event: "order.completed" }, effect: { kind: "fixed", points: 40 }, expiry: { kind: "days", days: 10 } })).status).toBe(201);
      const credits = async (customer: string, order: string) => {
        expect((await own.call("POST", "/v1/events", orderEvent(`e-${order}`, customer, order, 10_000))).status).toBe(200);
        const data = (await own.call("GET", `/v1/customers/${customer}/transactions?type=earn`)).body.data as { id: string; reference: string }[];
        return { base: data.find((t) => t.reference === `order:${order}`)!.id, bonus: data.find((t) => t.reference === `order-credit:2:${order}`)!.id };
      };
      const a = await credits("two-a", "O-two-a");
      expect((await own.call("POST", `/v1/transactions/${a.bonus}/reverse`, { reason: "one" })).status).toBe(201);
      expect((await own.call("POST", `/v1/transactions/${a.base}/reverse`, { reason: "two" })).status).toBe(201);
      expect((await own.call("GET", "/v1/customers/two-a/balances")).body.available).toBe(0);

      const b = await credits("two-b", "O-two-b");
      expect((await own.call("POST", `/v1/transactions/${b.bonus}/reverse`, { reason: "one" })).status).toBe(201);
      const refund = await own.call("POST", "/v1/events", { id: "r-two-b", type: "order.refunded", customerId: "two-b", data: { orderId: "O-two-b", refundId: "R-two-b", amount: 10_000 } });
      expect(refund.body.effects.pointsClawedBack).toBe(100);
      expect((await own.call("GET", "/v1/customers/two-b/balances")).body.available).toBe(0);
      const again = await own.call("POST", `/v1/transactions/${b.base}/reverse`, { reason: "after the refund" });
      expect(again.status).toBe(422);
      expect(again.body.code).toBe("REVERSAL_NOT_ALLOWED");

      // An order whose id is another's with ":2" after it: its first credit's key was that order's
      // second (order:{id}:2), and the event failed with 500 once the retries ran out.
      for (const [customer, order] of [["two-c", "O-two-a:2"], ["two-c", "O-two-a:2:2"], ["two-d", "2:O-two-b"]] as const) {
        const r = await own.call("POST", "/v1/events", orderEvent(`e-${order}`, customer, order, 10_000));
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.effects.pointsEarned).toBe(140);
      }
    } finally {
      await own.close();
    }
  });

  it("a reversal cannot be reversed", async () => {
    const e = await api.call("POST", "/v1/customers/bo/adjustments", { amount: 10, reason: "x" });
    const r = await api.call("POST", `/v1/transactions/${e.body.id}/reverse`, { reason: "one" });
    const rr = await api.call("POST", `/v1/transactions/${r.body.id}/reverse`, { reason: "two" });
    expect(rr.status).toBe(422);
    expect(rr.body.code).toBe("REVERSAL_NOT_ALLOWED");
  });

  it("taking back points already spent needs force, which records a clawback", async () => {
    const e = await api.call("POST", "/v1/events", orderEvent("e2", "cy", "O-2", 10_000));
    await api.call("POST", "/v1/customers/cy/adjustments", { amount: -60, reason: "spent" });
    const no = await api.call("POST", `/v1/transactions/${e.body.effects.transactionId}/reverse`, { reason: "fraud" });
    expect(no.status).toBe(422);
    expect(no.body.code).toBe("INSUFFICIENT_POINTS");
    const yes = await api.call("POST", `/v1/transactions/${e.body.effects.transactionId}/reverse`, { reason: "fraud", force: true });
    expect(yes.status).toBe(201);
    expect((await api.call("GET", "/v1/customers/cy/balances")).body.available).toBe(-60);
  });

  it("reversing a debit puts the points back into the lots they came from", async () => {
    await api.call("POST", "/v1/customers/dee/adjustments", { amount: 30, reason: "a" }).catch(() => null);
    await api.call("PUT", "/v1/customers/dee", {});
    await api.call("POST", "/v1/customers/dee/adjustments", { amount: 30, reason: "a", expiry: { kind: "days", days: 5 } });
    await api.call("POST", "/v1/customers/dee/adjustments", { amount: 30, reason: "b" });
    const debit = await api.call("POST", "/v1/customers/dee/adjustments", { amount: -40, reason: "spend" });
    // Soonest-expiring first: all 30 of the 5-day lot, then 10 of the never-expiring one.
    expect(debit.body.postings.map((p: any) => p.amount)).toEqual([30, 10]);
    await api.call("POST", `/v1/transactions/${debit.body.id}/reverse`, { reason: "undo" });
    const b = await api.call("GET", "/v1/customers/dee/balances");
    expect(b.body).toMatchObject({ available: 60, expiringSoon: [{ amount: 30, expiresAt: "2026-03-15T03:00:00.000Z" }] });
  });

  it("unknown transaction: 404", async () => {
    const r = await api.call("POST", "/v1/transactions/txn_NOPE/reverse", { reason: "x" });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("TRANSACTION_NOT_FOUND");
  });
});

describe("settlement: pending release and expiry", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ program: { timeZone: "Asia/Ho_Chi_Minh", ledgerPolicy: { pendingDays: 7, expiry: { kind: "end_of_month", months: 1 }, clawback: "allow_negative" } } });
    api.clock.set("2026-03-10T03:00:00Z");
    await api.call("POST", "/v1/events", orderEvent("e1", "eli", "O-1", 12_000));
  });
  afterAll(() => api.close());

  it("holds points pending for the return window, then releases them once", async () => {
    expect((await api.call("GET", "/v1/customers/eli/balances")).body).toMatchObject({ available: 0, pending: 120 });
    // Reads are exact before the settlement run writes anything.
    api.clock.set("2026-03-17T03:00:00Z");
    expect((await api.call("GET", "/v1/customers/eli/balances")).body).toMatchObject({ available: 120, pending: 0, pendingLots: [] });
    api.clock.set("2026-03-17T02:59:59Z");
    expect((await api.call("POST", "/v1/ledger/settle")).body.transactions).toBe(0);
    api.clock.set("2026-03-17T03:00:00Z");
    expect((await api.call("POST", "/v1/ledger/settle")).body).toEqual({ transactions: 1, customers: 1 });
    expect((await api.call("POST", "/v1/ledger/settle")).body.transactions).toBe(0);
    expect((await api.call("GET", "/v1/customers/eli/balances")).body).toMatchObject({ available: 120, pending: 0 });
  });

  it("expires at the end of the following month in the program's time zone, once", async () => {
    // Earned 10 March (Ho Chi Minh) + 1 month -> expires at 1 May 00:00 +07 = 30 April 17:00Z.
    const b = await api.call("GET", "/v1/customers/eli/balances?days=60");
    expect(b.body.expiringSoon).toEqual([{ amount: 120, expiresAt: "2026-04-30T17:00:00.000Z" }]);
    await api.call("POST", "/v1/customers/eli/adjustments", { amount: -20, reason: "spent" });
    api.clock.set("2026-04-30T17:00:00Z");
    const [a, b2] = await Promise.all([api.call("POST", "/v1/ledger/settle"), api.call("POST", "/v1/ledger/settle")]);
    expect(a.body.transactions + b2.body.transactions).toBe(1);
    expect((await api.call("GET", "/v1/customers/eli/balances")).body.available).toBe(0);
    const h = await api.call("GET", "/v1/customers/eli/transactions?type=expiry");
    expect(h.body.data).toHaveLength(1);
    expect(h.body.data[0].postings).toEqual([{ source: expect.stringMatching(/:available$/), destination: "expired", asset: "points", amount: 100, lotId: expect.any(String) }]);
  });

  it("a debit never spends points whose date has passed, even before the settlement run", async () => {
    api.clock.set("2026-05-02T00:00:00Z");
    await api.call("POST", "/v1/customers/fin/adjustments", { amount: 50, reason: "x", expiry: { kind: "days", days: 1 } }).catch(() => null);
    await api.call("PUT", "/v1/customers/fin", {});
    await api.call("POST", "/v1/customers/fin/adjustments", { amount: 50, reason: "x", expiry: { kind: "days", days: 1 } });
    api.clock.set("2026-05-03T00:00:01Z");
    const r = await api.call("POST", "/v1/customers/fin/adjustments", { amount: -10, reason: "spend" });
    expect(r.body).toMatchObject({ code: "INSUFFICIENT_POINTS", details: { available: 0, required: 10 } });
    // A refused request writes nothing, not even the expiry it computed; the settlement run does.
    expect((await api.call("GET", "/v1/customers/fin/transactions?type=expiry")).body.data).toHaveLength(0);
    await api.call("POST", "/v1/ledger/settle");
    expect((await api.call("GET", "/v1/customers/fin/transactions?type=expiry")).body.data).toHaveLength(1);
  });
});

describe("history", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
    for (let i = 0; i < 25; i++) {
      api.clock.set(new Date(Date.UTC(2026, 0, 1 + i)));
      await api.call("POST", "/v1/events", orderEvent(`h${i}`, "gia", `H-${i}`, 100 * (i + 1)));
    }
    await api.call("POST", "/v1/customers/gia/adjustments", { amount: 5, reason: "x" });
  });
  afterAll(() => api.close());

  it("pages newest first with an opaque cursor, every transaction once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await api.call("GET", `/v1/customers/gia/transactions?limit=10${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...r.body.data.map((t: any) => t.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it("filters by type and by effective time", async () => {
    const adj = await api.call("GET", "/v1/customers/gia/transactions?type=adjustment");
    expect(adj.body.data).toHaveLength(1);
    const jan = await api.call("GET", "/v1/customers/gia/transactions?type=earn&from=2026-01-05T00:00:00Z&to=2026-01-10T00:00:00Z");
    expect(jan.body.data.map((t: any) => t.metadata.orderId)).toEqual(["H-8", "H-7", "H-6", "H-5", "H-4"]);
  });

  it("refuses a bad cursor and an unknown type", async () => {
    expect((await api.call("GET", "/v1/customers/gia/transactions?cursor=bm9wZQ")).body.code).toBe("INVALID_CURSOR");
    expect((await api.call("GET", "/v1/customers/gia/transactions?type=bogus")).body.code).toBe("VALIDATION_FAILED");
  });

  it("summarises orders and points", async () => {
    const s = await api.call("GET", "/v1/customers/gia/summary");
    expect(s.body).toMatchObject({ lifetimeOrders: 25, lifetimeSpend: 32_500, firstOrderAt: "2026-01-01T00:00:00.000Z", lastOrderAt: "2026-01-25T00:00:00.000Z", pointsEarned: 330 });
  });
});

describe("the ledger is append-only", () => {
  it("the database refuses UPDATE, DELETE and TRUNCATE on ledger rows", async () => {
    const api = await testApi();
    await api.call("POST", "/v1/events", orderEvent("e1", "hal", "O-1", 1000));
    for (const stmt of [
      sql`update ledger_postings set amount = amount + 1`,
      sql`delete from ledger_postings`,
      sql`update ledger_transactions set type = 'x'`,
      sql`delete from ledger_transactions`,
      sql`truncate ledger_postings`,
    ]) {
      const error = await api.ctx.db.execute(stmt).then(() => null, (e: Error) => e);
      expect(String((error?.cause as Error | undefined)?.message ?? error?.message)).toMatch(/append-only/);
    }
    const [n] = await rows<any>(api.ctx.db, sql`select count(*)::int as n, sum(amount)::int as s from ledger_postings`);
    expect(n).toEqual({ n: 1, s: 10 });
    await api.close();
  });
});

describe("the audit log", () => {
  it("lists who did what and why, newest first, filtered, and the database refuses edits", async () => {
    const api = await testApi();
    await api.call("PUT", "/v1/customers/ivy", {});
    const a = await api.call("POST", "/v1/customers/ivy/adjustments", { amount: 30, reason: "welcome gift", actor: "staff:mai" });
    await api.call("POST", `/v1/transactions/${a.body.id}/reverse`, { reason: "wrong customer", actor: "staff:mai" });
    const all = await api.call("GET", "/v1/audit-log");
    expect(all.body.data.map((e: any) => [e.action, e.actor, e.reason])).toEqual([
      ["transaction.reversed", "staff:mai", "wrong customer"],
      ["points.adjusted", "staff:mai", "welcome gift"],
    ]);
    const only = await api.call("GET", "/v1/audit-log?action=points.adjusted&limit=1");
    expect(only.body.data).toHaveLength(1);
    expect(only.body.data[0].data).toMatchObject({ amount: 30, transactionId: a.body.id });
    const error = await api.ctx.db.execute(sql`update audit_log set reason = 'edited'`).then(() => null, (e: Error) => e);
    expect(String((error?.cause as Error | undefined)?.message ?? error?.message)).toMatch(/append-only/);
    await api.close();
  });
});

describe("reversing a credit whose points have expired", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(() => api.close());

  /** What world issued net of what came back, against what customers hold and what expired: the ledger balances. */
  const ledgerBalances = async () => {
    const [r] = await rows<{ world: number; expired: number; held: number }>(
      api.ctx.db,
      sql`select (select coalesce(sum(case when destination = 'world' then amount else -amount end), 0)::float8 from ledger_postings
                   where program_id = ${api.programId} and asset = 'points' and (source = 'world' or destination = 'world')) as world,
                 (select coalesce(sum(case when destination = 'expired' then amount else -amount end), 0)::float8 from ledger_postings
                   where program_id = ${api.programId} and asset = 'points' and (source = 'expired' or destination = 'expired')) as expired,
                 (select coalesce(sum(available + pending), 0)::float8 from account_balances where program_id = ${api.programId} and asset = 'points') as held`,
    );
    expect(r!.world + r!.expired + r!.held).toBe(0);
  };

  /** A credit of `amount` that expires after 5 days, and 50 that never expire, for a new customer. */
  const setUp = async (who: string, amount: number) => {
    api.clock.set("2026-03-10T03:00:00Z");
    await api.call("PUT", `/v1/customers/${who}`, {});
    const credit = await ok(api.call("POST", `/v1/customers/${who}/adjustments`, { amount, reason: "promo", expiry: { kind: "days", days: 5 } }), 201);
    await ok(api.call("POST", `/v1/customers/${who}/adjustments`, { amount: 50, reason: "kept" }), 201);
    return credit.id as string;
  };

  it("with force, does not take back again what expiry already took: the whole credit expired, so nothing is taken", async () => {
    const credit = await setUp("exa", 100);
    api.clock.set("2026-03-16T03:00:00Z");
    await ok(api.call("POST", "/v1/ledger/settle"));
    expect((await api.call("GET", "/v1/customers/exa/balances")).body.available).toBe(50);
    const r = await api.call("POST", `/v1/transactions/${credit}/reverse`, { reason: "fraud", force: true });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "REVERSAL_NOT_ALLOWED", details: { expired: 100 } });
    expect((await api.call("GET", "/v1/customers/exa/balances")).body.available).toBe(50);
    await ledgerBalances();
  });

  it("an expiry not yet written by a settlement run counts too (the reversal settles first)", async () => {
    const credit = await setUp("exb", 100);
    api.clock.set("2026-03-16T03:00:00Z");
    const r = await api.call("POST", `/v1/transactions/${credit}/reverse`, { reason: "fraud", force: true });
    expect(r.body).toMatchObject({ code: "REVERSAL_NOT_ALLOWED", details: { expired: 100 } });
    expect((await api.call("GET", "/v1/customers/exb/balances")).body.available).toBe(50);
    await ledgerBalances();
  });

  it("takes back only the part the customer spent before the rest expired, and says how much had expired", async () => {
    const credit = await setUp("exc", 100);
    // Soonest-expiring first: the 30 come out of the 5-day credit.
    await ok(api.call("POST", "/v1/customers/exc/adjustments", { amount: -30, reason: "spent" }), 201);
    api.clock.set("2026-03-16T03:00:00Z");
    await ok(api.call("POST", "/v1/ledger/settle"));
    expect((await api.call("GET", "/v1/customers/exc/balances")).body.available).toBe(50);
    const r = await ok(api.call("POST", `/v1/transactions/${credit}/reverse`, { reason: "fraud" }), 201);
    expect(r).toMatchObject({ type: "reversal", change: { available: -30 }, metadata: { expired: 70 } });
    expect((await api.call("GET", "/v1/customers/exc/balances")).body.available).toBe(20);
    await ledgerBalances();
  });

  it("with force and nothing else held, the spent part becomes the clawback, and only it", async () => {
    api.clock.set("2026-03-10T03:00:00Z");
    await api.call("PUT", "/v1/customers/exd", {});
    const credit = await ok(api.call("POST", "/v1/customers/exd/adjustments", { amount: 100, reason: "promo", expiry: { kind: "days", days: 5 } }), 201);
    await ok(api.call("POST", "/v1/customers/exd/adjustments", { amount: -40, reason: "spent" }), 201);
    api.clock.set("2026-03-16T03:00:00Z");
    const r = await ok(api.call("POST", `/v1/transactions/${credit.id}/reverse`, { reason: "fraud", force: true }), 201);
    expect(r).toMatchObject({ change: { available: -40 }, metadata: { expired: 60 } });
    expect((await api.call("GET", "/v1/customers/exd/balances")).body.available).toBe(-40);
    await ledgerBalances();
  });
});

describe("a customer with many lots: debits read only the lots they can touch", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ program: { ledgerPolicy: { pendingDays: 3, expiry: { kind: "never" }, clawback: "allow_negative" } } });
  });
  afterAll(() => api.close());

  it("settling and spending the lots read gives the same plan as all the lots, for every amount", async () => {
    // 150 credits (more than two of the reader's chunks of 64): never expiring, expiring in 1-7 days,
    // at the end of this month or the next; many created at the same instant, so ids break the ties.
    await ok(api.call("PUT", "/v1/customers/many", {}), 201);
    const expiries = [{ kind: "never" }, { kind: "days", days: 1 }, { kind: "end_of_month", months: 0 }, { kind: "days", days: 5 }, { kind: "end_of_month", months: 1 }, { kind: "days", days: 2 }];
    for (let i = 0; i < 150; i++) {
      await ok(api.call("POST", "/v1/customers/many/adjustments", { amount: 1 + (i % 9), reason: `lot ${i}`, expiry: expiries[i % expiries.length] }), 201);
      if (i % 10 === 9) api.clock.advanceDays(0.01);
    }
    // Pending lots (orders wait 3 days), two of which are released by the time of the debits.
    for (let i = 0; i < 4; i++) {
      await ok(api.call("POST", "/v1/events", orderEvent(`many-o${i}`, "many", `many-o${i}`, 1_000 + i * 100)));
      api.clock.advanceDays(i < 2 ? 1.5 : 0.1);
    }
    api.clock.advanceDays(0.5); // some of the 1- and 2-day lots are due to expire now, not yet settled
    const now = api.clock.now();
    const id = (await api.call("GET", "/v1/customers/many")).body.id as string;
    const [b] = await rows<{ available: number; pending: number }>(api.ctx.db, sql`select available::float8 as available, pending::float8 as pending from account_balances where customer_id = ${id} and asset = 'points'`);
    const holdings = (lots: Lot[]): Holdings => ({ customerId: id, asset: "points", available: b!.available, pending: b!.pending, lots });
    const all = await loadLots(api.ctx.db, api.programId, [id], "points");
    expect(all.length).toBeGreaterThan(150);
    const spendable = applyPlan(holdings(all), planSettle(holdings(all), now)).available;
    for (const spend of [0, 1, 37, 200, spendable - 1, spendable, spendable + 1]) {
      const some = await loadLotsToSpend(api.ctx.db, api.programId, id, "points", now, spend);
      const plan = (lots: Lot[]) => {
        const settle = planSettle(holdings(lots), now);
        const debit = planDebit(applyPlan(holdings(lots), settle), { amount: spend, destination: "world", onShortfall: "reject" });
        return { settle, debit };
      };
      expect(plan(some), `spend ${spend}`).toEqual(plan(all));
      if (spend < spendable / 2) expect(some.length, `spend ${spend}`).toBeLessThan(all.length);
    }
    // Through the API: every available point spent, nothing more, the lots agree with the balance.
    await ok(api.call("POST", "/v1/customers/many/adjustments", { amount: -spendable, reason: "all of it" }), 201);
    expect((await api.call("GET", "/v1/customers/many/balances")).body.available).toBe(0);
    const [left] = await rows<{ n: number }>(api.ctx.db, sql`select coalesce(sum(remaining), 0)::int as n from lots where customer_id = ${id} and not pending`);
    expect(left!.n).toBe(0);
  });
});
