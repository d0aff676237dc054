import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { countTrips, dbKind, orderEvent, concurrentApi, type TestApi } from "./harness.ts";

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

  it("reads the rules' state in the claim's round trip: two round trips for an order of a known customer, and limits, budgets and facts still hold under 40 concurrent orders", async () => {
    const rules = [
      { name: "Twice a day", trigger: { event: "order.completed" }, effect: { kind: "fixed", points: 7 }, limits: [{ per: "day", maxAwards: 2 }] },
      { name: "Third order on", trigger: { event: "order.completed" }, condition: "customer.metrics.lifetimeOrders >= 2", effect: { kind: "fixed", points: 100 } },
      { name: "Small budget", trigger: { event: "order.completed" }, effect: { kind: "fixed", points: 3 }, budget: { points: 30 } },
    ];
    const ids: string[] = [];
    for (const body of rules) {
      const r = await api.call("POST", "/v1/rules", body);
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    // A customer with a points balance already: the claim locks it, so the rule state comes with the claim.
    const first = await api.call("POST", "/v1/events", orderEvent("known-0", "known", "ok-0", 500));
    expect(first.status).toBe(200);
    const one = await countTrips(() => api.call("POST", "/v1/events", orderEvent("known-1", "known", "ok-1", 500)));
    expect(one.value.status).toBe(200);
    // The API key's lookup aside (the test app does not cache keys): BEGIN (with its plan mode, a small
    // group's generic plans) with the claim and the rules' state, then the write with COMMIT.
    const ingest = one.trips.filter((t) => !t.includes("api_keys"));
    expect(ingest).toHaveLength(2);
    expect(ingest[0]).toMatch(/^BEGIN \+ SET LOCAL \+ with ik \+ with /);
    // The budget spent goes last, just before COMMIT (rule-counters.ts, budgetStatement).
    expect(ingest[1]).toBe("with lt + with rbud0 + COMMIT");
    // Its first order earned "Twice a day" and the budget; the second too, and no "Third order on" yet (one order before it).
    expect(one.value.body.effects.awards.map((a: { name: string }) => a.name).sort()).toEqual(["Small budget", "Twice a day"]);

    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => api.call("POST", "/v1/events", orderEvent(`known-c${i}`, "known", `ok-c${i}`, 500))));
    expect(rs.filter((x) => x.status !== 200)).toHaveLength(0);
    // What each rule gave, from the answers (several rules' awards share a ledger transaction).
    const byRule = new Map<string, { n: number; points: number }>();
    for (const res of [first, one.value, ...rs]) {
      for (const a of res.body.effects.awards as { ruleId: string; points: number }[]) {
        const g = byRule.get(a.ruleId) ?? { n: 0, points: 0 };
        byRule.set(a.ruleId, { n: g.n + 1, points: g.points + a.points });
      }
    }
    expect((await api.call("GET", "/v1/customers/known/balances")).body.available).toBe([...byRule.values()].reduce((n, g) => n + g.points, 0));
    expect(byRule.get(ids[0]!)?.n).toBe(2); // the daily limit: two awards in all, both before the 40
    expect(byRule.get(ids[2]!)?.points).toBe(30); // the budget: exactly spent (3 × 10), never overrun
    // Every order from the third on meets "lifetimeOrders >= 2": the 40 concurrent ones each saw at least the two before them.
    expect(byRule.get(ids[1]!)?.n).toBe(40);
  });
  it("a budget spent by another transaction between ingest's read and its write: the event is decided again with the budget locked, and the budget is never overrun", async () => {
    const r = await api.call("POST", "/v1/rules", { name: "Race budget", trigger: { event: "custom", name: "race" }, effect: { kind: "fixed", points: 3 }, budget: { points: 10 } });
    expect(r.status).toBe(201);
    const race = (n: number) => api.call("POST", "/v1/events", { id: `race-${n}`, type: "custom", name: "race", customerId: "racer", data: {} });
    expect((await race(0)).body.effects.pointsEarned).toBe(3);
    // Another transaction holds the budget's row while the next event is decided (its read does not wait for it)...
    let spendAndCommit!: () => void;
    const go = new Promise<void>((res) => (spendAndCommit = res));
    let holding!: () => void;
    const held = new Promise<void>((res) => (holding = res));
    const other = api.ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from rule_counters where rule_id = ${r.body.id} and scope = '*' for update`);
      holding();
      await go;
      // ...and spends 6 of the 7 points left before it commits.
      await tx.execute(sql`update rule_counters set points = points + 6, awards = awards + 2 where rule_id = ${r.body.id} and scope = '*'`);
    });
    await held;
    const pending = race(1);
    let waiting = 0;
    try {
      // Ingest has decided (3 points, from the 7 it read) and waits on the row at its budget write (bounded: 10 s).
      for (let i = 0; i < 200 && waiting === 0; i++) {
        const [w] = await rows<{ n: number }>(api.ctx.db, sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%rbud%'`);
        waiting = w!.n;
        if (waiting === 0) await new Promise((res) => setTimeout(res, 50));
      }
    } finally {
      spendAndCommit();
    }
    await other;
    expect(waiting).toBe(1);
    const second = await pending;
    expect(second.status).toBe(200);
    // Decided again with the row locked: 1 point was left.
    expect(second.body.effects.pointsEarned).toBe(1);
    const [counter] = await rows<{ points: number; awards: number }>(api.ctx.db, sql`select points::int as points, awards from rule_counters where rule_id = ${r.body.id} and scope = '*'`);
    expect(counter).toEqual({ points: 10, awards: 4 });
    expect((await api.call("GET", "/v1/customers/racer/balances")).body.available).toBe(4);
    const third = await race(2);
    expect(third.body.effects.pointsEarned ?? 0, JSON.stringify(third.body)).toBe(0);
  });
});
