import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { dbKind, concurrentApi, ok, orderEvent, type TestApi } from "./harness.ts";

// PGlite is one connection, so its transactions never overlap: real concurrency needs PostgreSQL.
describe.skipIf(dbKind() !== "postgres")("concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a));

  it("20 concurrent debits of 100 from a balance of 100: exactly 1 succeeds, 19 INSUFFICIENT_POINTS, no 5xx", async () => {
    await api.call("PUT", "/v1/customers/spender", {});
    await api.call("POST", "/v1/customers/spender/adjustments", { amount: 100, reason: "seed" });
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => api.call("POST", "/v1/customers/spender/adjustments", { amount: -100, reason: `debit ${i}` })));
    expect(rs.filter((r) => r.status === 201)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 422 && r.body.code === "INSUFFICIENT_POINTS")).toHaveLength(19);
    expect(rs.filter((r) => r.status >= 500)).toHaveLength(0);
    expect((await api.call("GET", "/v1/customers/spender/balances")).body.available).toBe(0);
  });

  it("8 producers × 5,000 distinct orders: exactly 40,000 earn transactions and balances equal the model", async () => {
    const producers = 8;
    const perProducer = 5000;
    const customers = 500;
    const model = new Map<string, number>();
    const amountOf = (p: number, i: number) => 100 + ((p * 7919 + i * 104729) % 20_000);
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let i = 0; i < perProducer; i++) {
          // Producers share customers over time (each customer gets orders from every producer), and
          // now and then two hit the same balance row at once.
          const customer = `c-${(i * producers + p * 7) % customers}`;
          const amount = amountOf(p, i);
          const r = await api.call("POST", "/v1/events", {
            id: `p${p}-e${i}`,
            type: "order.completed",
            customerId: customer,
            data: { orderId: `p${p}-o${i}`, currency: "USD", lines: [{ sku: "X", quantity: 1, unitPrice: amount }] },
          });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 200) model.set(customer, (model.get(customer) ?? 0) + Math.floor(amount / 100));
        }
      }),
    );
    expect(Object.fromEntries(statuses)).toEqual({ 200: producers * perProducer });
    const [t] = await rows<{ n: number }>(api.ctx.db, sql`select count(*)::int as n from ledger_transactions where type = 'earn'`);
    expect(t!.n).toBe(producers * perProducer);
    const balances = await rows<{ external_id: string; available: number }>(
      api.ctx.db,
      sql`select c.external_id, b.available::int as available from account_balances b join customers c on c.id = b.customer_id where c.external_id like 'c-%'`,
    );
    expect(Object.fromEntries(balances.map((b) => [b.external_id, b.available]))).toEqual(Object.fromEntries(model));
    // The ledger balances: what world issued, net of what came back to it, is what customers hold.
    const [w] = await rows<{ issued: number; held: number }>(
      api.ctx.db,
      sql`select (select coalesce(sum(case when source = 'world' then amount else -amount end), 0)::bigint
                    from ledger_postings where source = 'world' or destination = 'world')::float8 as issued,
                 (select coalesce(sum(available + pending), 0)::bigint from account_balances)::float8 as held`,
    );
    expect(w!.issued).toBe(w!.held);
  }, 600_000);
  it("a batch goes on for the customers no one holds and takes a held customer's events once that transaction commits", async () => {
    for (const c of ["held", "free-1", "free-2"]) await ok(api.call("POST", "/v1/events", orderEvent(`seed-${c}`, c, `seed-${c}`, 1000)));
    // Another transaction holds "held"'s points balance (as a concurrent batch would) until `release`.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = api.ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from account_balances b join customers c on c.id = b.customer_id
                            where c.program_id = ${api.programId} and c.external_id = 'held' and b.asset = 'points' for update`);
      locked();
      await released;
    });
    await isLocked;
    const events = [
      orderEvent("b-held-1", "held", "b-held-1", 500),
      orderEvent("b-free-1", "free-1", "b-free-1", 700),
      orderEvent("b-held-2", "held", "b-held-2", 300),
      orderEvent("b-free-2", "free-2", "b-free-2", 900),
      orderEvent("b-held-1", "held", "b-held-1", 500), // a duplicate of a deferred event answers as its replay
    ];
    const batch = api.call("POST", "/v1/events/batch", { events });
    const stored = async () =>
      (await rows<{ external_id: string }>(api.ctx.db, sql`select external_id from events where program_id = ${api.programId} and external_id like 'b-%' order by external_id`)).map((r) => r.external_id);
    // The free customers' events commit while "held" is still held (bounded wait: 10 s).
    let seen: string[] = [];
    try {
      for (let i = 0; i < 200 && seen.length < 2; i++) {
        seen = await stored();
        if (seen.length < 2) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      release(); // also when the wait fails, so the batch and the suite finish
    }
    await holder;
    expect(seen).toEqual(["b-free-1", "b-free-2"]);
    const body = await ok(batch);
    expect(body.results.map((r: { id: string; status: string; replayed: boolean }) => [r.id, r.status, r.replayed])).toEqual([
      ["b-held-1", "accepted", false], ["b-free-1", "accepted", false], ["b-held-2", "accepted", false], ["b-free-2", "accepted", false], ["b-held-1", "accepted", true],
    ]);
    expect(body.results[4].eventId).toBe(body.results[0].eventId);
    expect(await stored()).toEqual(["b-free-1", "b-free-2", "b-held-1", "b-held-2"]);
    expect((await api.call("GET", "/v1/customers/held/balances")).body.available).toBe(10 + 5 + 3);
    // Sent again, every event replays its first answer: the ids given back in the first transaction were taken again by the second.
    const again = await ok(api.call("POST", "/v1/events/batch", { events }));
    expect(again.results.map((r: { replayed: boolean }) => r.replayed)).toEqual([true, true, true, true, true]);
    expect(again.results.map((r: { eventId: string }) => r.eventId)).toEqual(body.results.map((r: { eventId: string }) => r.eventId));
  }, 60_000);
});
