/**
 * customer_order_stats (kept by ingest's write statement) always equals the aggregate of the
 * customer's orders, whatever mix of orders and refunds arrives, alone or in batches, replayed or
 * refused; and rule conditions read their lifetime metrics from it.
 */
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rows } from "../src/db/connect.ts";
import { testApi, type TestApi } from "./harness.ts";

type Step =
  | { kind: "order"; customer: number; amount: number }
  | { kind: "refund"; order: number; amount: number }
  | { kind: "batch"; steps: ({ kind: "order"; customer: number; amount: number } | { kind: "refund"; order: number; amount: number })[] }
  | { kind: "replay" };

const orderStep = fc.record({ kind: fc.constant("order" as const), customer: fc.integer({ min: 0, max: 3 }), amount: fc.integer({ min: 100, max: 50_000 }) });
const refundStep = fc.record({ kind: fc.constant("refund" as const), order: fc.nat(), amount: fc.integer({ min: 1, max: 60_000 }) });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: orderStep },
  { weight: 3, arbitrary: refundStep },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), steps: fc.array(fc.oneof(orderStep, refundStep), { minLength: 1, maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "replay" as const }) },
);

describe("customer order aggregates", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(() => api.close());

  const mismatches = () =>
    rows<{ customer_id: string }>(
      api.ctx.db,
      sql`with o as (select customer_id, count(*)::int as n, sum(total - refunded_amount)::bigint as spend, min(placed_at) as first_at, max(placed_at) as last_at
                       from orders where program_id = ${api.programId} group by customer_id)
          select coalesce(o.customer_id, s.customer_id) as customer_id
            from o full join (select * from customer_order_stats where program_id = ${api.programId}) s on s.customer_id = o.customer_id
           where o.n is distinct from s.orders or o.spend is distinct from s.spend or o.first_at is distinct from s.first_at or o.last_at is distinct from s.last_at`,
    );

  it("equal the orders' own aggregate after random orders, partial and full refunds, batches and replays", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        run++;
        const orders: string[] = [];
        let n = 0;
        let last: Record<string, unknown> | null = null;
        const event = (s: { kind: "order"; customer: number; amount: number } | { kind: "refund"; order: number; amount: number }) => {
          n++;
          if (s.kind === "order") {
            const orderId = `r${run}-o${n}`;
            orders.push(orderId);
            return { id: `r${run}-e${n}`, type: "order.completed", customerId: `c${s.customer}`, occurredAt: new Date(Date.UTC(2026, 10, 1 + (n % 20))).toISOString(), data: { orderId, currency: "USD", lines: [{ sku: "A", quantity: 1, unitPrice: s.amount }] } };
          }
          // A refund of an order of this run (or of one that does not exist: refused, no change), possibly more than is left (refused too).
          const orderId = orders.length > 0 ? orders[s.order % orders.length]! : "none";
          const customer = orders.length > 0 ? `c${(s.order % 4)}` : "c0";
          return { id: `r${run}-e${n}`, type: "order.refunded", customerId: customer, data: { orderId, refundId: `r${run}-rf${n}`, amount: s.amount } };
        };
        for (const s of steps) {
          if (s.kind === "replay") {
            if (last) await api.call("POST", "/v1/events", last);
          } else if (s.kind === "batch") {
            await api.call("POST", "/v1/events/batch", { events: s.steps.map(event) });
          } else {
            last = event(s);
            await api.call("POST", "/v1/events", last);
          }
        }
        expect(await mismatches()).toEqual([]);
      }),
      { numRuns: 25 },
    );
    const [stats] = await rows<{ n: number; refunded: number }>(api.ctx.db, sql`select count(*)::int as n, (select count(*)::int from orders where program_id = ${api.programId} and refunded_amount > 0) as refunded from customer_order_stats where program_id = ${api.programId}`);
    // The runs did record orders for several customers and did refund some of them.
    expect(stats!.n).toBeGreaterThan(1);
    expect(stats!.refunded).toBeGreaterThan(0);
  });

  it("a rule on lifetime spend sees refunds and earlier orders", async () => {
    const rule = await api.call("POST", "/v1/rules", { name: "Big spender", trigger: { event: "order.completed" }, condition: "customer.metrics.lifetimeSpend >= 10000 && customer.metrics.lifetimeOrders >= 2", effect: { kind: "fixed", points: 500 } });
    expect(rule.status).toBe(201);
    const order = (id: string, amount: number) => api.call("POST", "/v1/events", { id, type: "order.completed", customerId: "spender", data: { orderId: id, currency: "USD", lines: [{ sku: "A", quantity: 1, unitPrice: amount }] } });
    const names = (r: { body: { effects: { awards?: { name: string }[] } } }) => (r.body.effects.awards ?? []).map((a) => a.name);
    expect(names(await order("sp-1", 8_000))).not.toContain("Big spender"); // no earlier orders
    expect(names(await order("sp-2", 3_000))).not.toContain("Big spender"); // one earlier order, 8,000 spent
    expect(names(await order("sp-3", 1_000))).toContain("Big spender"); // 11,000 over two orders
    const refund = await api.call("POST", "/v1/events", { id: "sp-rf", type: "order.refunded", customerId: "spender", data: { orderId: "sp-1", refundId: "sp-rf", amount: 8_000 } });
    expect(refund.status).toBe(200);
    expect(names(await order("sp-4", 1_000))).not.toContain("Big spender"); // 5,000 left after the refund
  });
});
