import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows } from "../src/db/connect.ts";
import { dbKind, concurrentApi, type TestApi } from "./harness.ts";

// Campaign writes racing each other: PostgreSQL only (PGlite runs one transaction at a time).
describe.skipIf(dbKind() !== "postgres")("campaign writes under concurrency on PostgreSQL", () => {
  let api: TestApi;
  concurrentApi((a) => (api = a), { currency: "USD" });

  const effects = [{ kind: "order_fixed", amount: 100 }];

  it("a code claimed at once by 10 new campaigns and 10 bulk imports, 20 times over: each time exactly one gets it, the others CODE_TAKEN", async () => {
    const pools = await Promise.all(Array.from({ length: 10 }, (_, i) => api.call("POST", "/v1/campaigns", { name: `Pool ${i}`, kind: "bulk_codes", effects })));
    for (let round = 0; round < 20; round++) {
      const code = `RACE${round}X`;
      // Interleaved, so creates and imports reach the database side by side.
      const attempts = await Promise.all(
        pools.flatMap((p, i) => [
          api.call("POST", "/v1/campaigns", { name: `Race ${round}.${i}`, kind: "code", code: code.toLowerCase(), effects }),
          api.call("POST", `/v1/campaigns/${p.body.id}/codes`, { codes: [code] }),
        ]),
      );
      const won = attempts.filter((r) => r.status === 201 || (r.status === 200 && r.body.added === 1));
      const taken = attempts.filter((r) => r.status === 409 && r.body.code === "CODE_TAKEN");
      expect(won, `round ${round}`).toHaveLength(1);
      expect(taken, `round ${round}`).toHaveLength(19);
      const [holders] = await rows<{ n: number }>(
        api.ctx.db,
        sql`select (select count(*) from campaigns where program_id = ${api.programId} and code = ${code}) + (select count(*) from campaign_codes where program_id = ${api.programId} and code = ${code}) as n`,
      );
      expect(Number(holders!.n), `round ${round}`).toBe(1);
    }
  });

  it("four generations of 2,000 codes into one campaign at once: 8,000 distinct codes, and campaigns_version moved once per write", async () => {
    const c = await api.call("POST", "/v1/campaigns", { name: "Many", kind: "bulk_codes", effects });
    const version = async () => Number((await rows<{ v: number }>(api.ctx.db, sql`select campaigns_version::int as v from programs where id = ${api.programId}`))[0]!.v);
    const before = await version();
    const rs = await Promise.all(Array.from({ length: 4 }, () => api.call("POST", `/v1/campaigns/${c.body.id}/codes/generate`, { count: 2_000 })));
    expect(rs.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(rs.map((r) => r.body.codes.total).sort()).toEqual([2_000, 4_000, 6_000, 8_000]);
    const [n] = await rows<{ n: number; d: number }>(api.ctx.db, sql`select count(*)::int as n, count(distinct code)::int as d from campaign_codes where campaign_id = ${c.body.id}`);
    expect(n).toEqual({ n: 8_000, d: 8_000 });
    expect(await version()).toBe(before + 4);
  });
});
