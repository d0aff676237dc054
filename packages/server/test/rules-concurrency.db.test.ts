import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { dbKind, orderEvent, concurrentApi, type TestApi } from "./harness.ts";

// Limits and budgets under real concurrency: PGlite runs one transaction at a time, so PostgreSQL only.
describe.skipIf(dbKind() !== "postgres")("rule limits under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a), { earning: { enabled: false, points: 1, per: 100, rounding: "floor" } });

  it("50 concurrent events for one customer against a 'max 3 per day' rule: exactly 3 awards", async () => {
    const r = await api.call("POST", "/v1/rules", { name: "Three a day", trigger: { event: "custom", name: "checkin" }, effect: { kind: "fixed", points: 10 }, limits: [{ per: "day", maxAwards: 3 }] });
    expect(r.status).toBe(201);
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => api.call("POST", "/v1/events", { id: `chk-${i}`, type: "custom", name: "checkin", customerId: "daily", data: {} })));
    expect(rs.filter((x) => x.status !== 200)).toHaveLength(0);
    expect(rs.filter((x) => x.body.effects.pointsEarned === 10)).toHaveLength(3);
    expect((await api.call("GET", "/v1/customers/daily/balances")).body.available).toBe(30);
    const [n] = await rows<{ n: number }>(api.ctx.db, sql`select count(*)::int as n from ledger_transactions where program_id = ${api.programId} and source->>'ruleId' = ${r.body.id}`);
    expect(n!.n).toBe(3);
  });

  it("a global budget is never overspent by 8 producers", async () => {
    const r = await api.call("POST", "/v1/rules", { name: "Launch budget", trigger: { event: "order.completed" }, effect: { kind: "per_amount", points: 1, per: 100 }, budget: { points: 5_000 } });
    expect(r.status).toBe(201);
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, p) => {
        for (let i = 0; i < 60; i++) {
          const res = await api.call("POST", "/v1/events", orderEvent(`b-${p}-${i}`, `buyer-${(p * 13 + i) % 40}`, `ob-${p}-${i}`, 1_000 + ((p * 31 + i * 17) % 9_000)));
          statuses.push(res.status);
        }
      }),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    const [spent] = await rows<{ points: number; n: number }>(
      api.ctx.db,
      sql`select coalesce(sum(p.amount), 0)::int as points, count(distinct t.id)::int as n from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
           where t.program_id = ${api.programId} and t.source->>'ruleId' = ${r.body.id}`,
    );
    // 480 orders of 10 to 100 dollars would give far more than 5,000 points: the budget runs out exactly.
    expect(spent!.points).toBe(5_000);
    const [counter] = await rows<{ points: number }>(api.ctx.db, sql`select points::int as points from rule_counters where rule_id = ${r.body.id} and scope = '*'`);
    expect(counter!.points).toBe(5_000);
  });
});
