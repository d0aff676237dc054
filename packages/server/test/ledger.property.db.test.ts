import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { testApi, type TestApi } from "./harness.ts";

/**
 * Acceptance: random sequences of earn, partial and full refund, adjustment, reversal and expiry,
 * through the HTTP API on a real database, 1,000 runs. After each run:
 * - every transaction's postings net to zero per asset, and all balances (system accounts included) sum to zero;
 * - the stored customer balances equal the balances derived from the postings;
 * - no customer's available balance is negative unless a clawback (a posting without a lot) made it so;
 * - lots agree with balances (pending lots = pending; available lots = max(0, available)), remaining within [0, amount].
 */
type Cmd =
  | { kind: "earn"; amount: number; daysAgo: number }
  | { kind: "refund"; order: number; mode: "part" | "full" | "line"; amount: number }
  | { kind: "adjust"; amount: number }
  | { kind: "reverse"; txn: number; force: boolean }
  | { kind: "advance"; days: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("earn" as const), amount: fc.integer({ min: 0, max: 50_000 }), daysAgo: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("refund" as const), order: fc.nat(20), mode: fc.constantFrom("part" as const, "full" as const, "line" as const), amount: fc.integer({ min: 1, max: 30_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("adjust" as const), amount: fc.integer({ min: -600, max: 600 }).filter((n) => n !== 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reverse" as const), txn: fc.nat(20), force: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 45 }) }) },
);

describe("ledger invariants under random sequences (property, 1,000 runs)", () => {
  let api: TestApi;
  let run = 0;
  beforeAll(async () => {
    // Pending for 3 days, expiry 20 days after earning, negative balances allowed through clawbacks.
    api = await testApi({ program: { ledgerPolicy: { pendingDays: 3, expiry: { kind: "days", days: 20 }, clawback: "allow_negative" } } });
  });
  afterAll(() => api.close());

  async function play(customer: string, cmds: Cmd[]) {
    const orders: { id: string; lines: number }[] = [];
    const txns: string[] = [];
    let n = 0;
    for (const c of cmds) {
      n++;
      if (c.kind === "earn") {
        const orderId = `${customer}-o${n}`;
        const qty = 1 + (c.amount % 3);
        const r = await api.call("POST", "/v1/events", {
          id: `${customer}-e${n}`,
          type: "order.completed",
          customerId: customer,
          occurredAt: new Date(api.clock.now().getTime() - c.daysAgo * 86_400_000).toISOString(),
          data: { orderId, currency: "USD", lines: [{ sku: "L", quantity: qty, unitPrice: c.amount }], shipping: 300 },
        });
        expect(r.status).toBe(200);
        orders.push({ id: orderId, lines: qty });
        if (r.body.effects.transactionId) txns.push(r.body.effects.transactionId);
      } else if (c.kind === "refund" && orders.length > 0) {
        const o = orders[c.order % orders.length]!;
        const data = c.mode === "full" ? {} : c.mode === "line" ? { lines: [{ sku: "L", quantity: 1 }] } : { amount: c.amount };
        const r = await api.call("POST", "/v1/events", { id: `${customer}-r${n}`, type: "order.refunded", customerId: customer, data: { orderId: o.id, refundId: `${customer}-rf${n}`, ...data } });
        expect([200, 422]).toContain(r.status);
        if (r.status === 422) expect(["REFUND_EXCEEDS_ORDER", "REFUND_LINE_UNKNOWN"]).toContain(r.body.code);
      } else if (c.kind === "adjust") {
        const r = await api.call("POST", `/v1/customers/${customer}/adjustments`, { amount: c.amount, reason: "property" });
        if (r.status === 404) continue; // no customer yet: nothing has happened to it
        expect([201, 422]).toContain(r.status);
        if (r.status === 422) expect(r.body.code).toBe("INSUFFICIENT_POINTS");
        else txns.push(r.body.id);
      } else if (c.kind === "reverse" && txns.length > 0) {
        const r = await api.call("POST", `/v1/transactions/${txns[c.txn % txns.length]}/reverse`, { reason: "property", force: c.force });
        expect([201, 409, 422]).toContain(r.status);
        if (r.status !== 201) expect(["ALREADY_REVERSED", "INSUFFICIENT_POINTS", "REVERSAL_NOT_ALLOWED"]).toContain(r.body.code);
      } else if (c.kind === "advance") {
        api.clock.set(new Date(api.clock.now().getTime() + c.days * 86_400_000));
        const r = await api.call("POST", "/v1/ledger/settle");
        expect(r.status).toBe(200);
      }
    }
  }

  async function checkInvariants(customer: string) {
    const db = api.ctx.db;
    // Postings net to zero per transaction and asset (signed entries per account).
    const [unbalanced] = await rows<{ n: number }>(
      db,
      sql`select count(*)::int as n from (
            select transaction_id, asset, sum(delta) as s from (
              select transaction_id, asset, -amount as delta from ledger_postings
              union all select transaction_id, asset, amount from ledger_postings) x
            group by transaction_id, asset having sum(delta) <> 0) y`,
    );
    expect(unbalanced!.n).toBe(0);
    // Balances derived from postings, system accounts included, sum to zero per asset.
    const sums = await rows<{ asset: string; s: number }>(
      db,
      sql`select asset, sum(b)::float8 as s from (
            select destination as account, asset, sum(amount) as b from ledger_postings group by 1, 2
            union all select source, asset, -sum(amount) from ledger_postings group by 1, 2) x group by asset`,
    );
    for (const s of sums) expect(s.s).toBe(0);
    // This customer: stored balances = derived balances; negative only through a clawback; lots agree.
    const [c] = await rows<{ id: string }>(db, sql`select id from customers where program_id = ${api.programId} and external_id = ${customer}`);
    if (!c) return;
    const a = `customer:${c.id}:available`;
    const p = `customer:${c.id}:pending`;
    const [x] = await rows<{ available: number; pending: number; d_avail: number; d_pend: number; lot_avail: number; lot_pend: number; clawbacks: number; bad_lots: number }>(
      db,
      sql`select
            (select available::float8 from account_balances where customer_id = ${c.id}) as available,
            (select pending::float8 from account_balances where customer_id = ${c.id}) as pending,
            (select coalesce(sum(case when destination = ${a} then amount else -amount end), 0)::float8 from ledger_postings where source = ${a} or destination = ${a}) as d_avail,
            (select coalesce(sum(case when destination = ${p} then amount else -amount end), 0)::float8 from ledger_postings where source = ${p} or destination = ${p}) as d_pend,
            (select coalesce(sum(remaining), 0)::float8 from lots where customer_id = ${c.id} and not pending) as lot_avail,
            (select coalesce(sum(remaining), 0)::float8 from lots where customer_id = ${c.id} and pending) as lot_pend,
            (select count(*)::int from ledger_postings where source = ${a} and lot_id is null) as clawbacks,
            (select count(*)::int from lots where customer_id = ${c.id} and (remaining < 0 or remaining > amount)) as bad_lots`,
    );
    expect(x!.available ?? 0).toBe(x!.d_avail);
    expect(x!.pending ?? 0).toBe(x!.d_pend);
    expect(x!.d_pend).toBeGreaterThanOrEqual(0);
    if (x!.clawbacks === 0) expect(x!.d_avail).toBeGreaterThanOrEqual(0);
    expect(x!.lot_pend).toBe(x!.d_pend);
    expect(x!.lot_avail).toBe(Math.max(0, x!.d_avail));
    expect(x!.bad_lots).toBe(0);
  }

  it("holds for 1,000 random sequences", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 12 }), async (cmds) => {
        const customer = `prop-${run++}`;
        await play(customer, cmds);
        await checkInvariants(customer);
      }),
      { numRuns: 1000, seed: 20261123, endOnFailure: true },
    );
  }, 900_000);
});
