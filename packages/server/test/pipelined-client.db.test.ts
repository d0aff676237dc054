/**
 * PostgreSQL only: the pipelined client (src/db/pipelined-client.ts) sends BEGIN with a transaction's
 * first statement and a deferred statement with COMMIT. What comes back must be exactly what the
 * parameters held, a failure must leave nothing applied and the connection clean, and the round
 * trips must really be fewer.
 */
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres, rows, type Database } from "../src/db/connect.ts";
import { inTransaction } from "../src/db/tx.ts";
import { executeAtCommit, preferGenericPlans } from "../src/db/pipelined-client.ts";
import { textArray } from "../src/db/sql-arrays.ts";
import { countTrips, dbKind, testDatabaseUrl } from "./harness.ts";

describe.skipIf(dbKind() !== "postgres")("pipelined PostgreSQL client", () => {
  let database: Database;
  beforeAll(async () => {
    database = await openPostgres({ url: await testDatabaseUrl(), pool: 2 });
    await database.db.execute(sql`create table pipeline_probe (k text primary key, v text not null)`);
  });
  afterAll(() => database?.close());

  it("reads back every string exactly as sent, through BEGIN with the first statement", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom("a", "'", "\\", '"', "$1", "--", "/*", "é", "\n", "😀", "{", "}", ","), maxLength: 30 }), async (s) => {
        const got = await inTransaction(database.db, async (tx) => rows<{ v: string; j: unknown; a: string[] }>(tx, sql`select ${s}::text as v, ${JSON.stringify({ s })}::jsonb as j, array[${s}]::text[] as a`));
        expect(got).toEqual([{ v: s, j: { s }, a: [s] }]);
      }),
      { numRuns: 300 },
    );
  });

  it("takes two round trips for two statements when the second goes with COMMIT", async () => {
    const { trips } = await countTrips(() =>
      inTransaction(database.db, async (tx) => {
        await tx.execute(sql`select 1`);
        await executeAtCommit(tx, sql`insert into pipeline_probe (k, v) values (${"two-trips"}, ${"it's"})`);
      }),
    );
    expect(trips).toEqual(["BEGIN + select 1", "insert into + COMMIT"]);
    expect(await rows(database.db, sql`select v from pipeline_probe where k = 'two-trips'`)).toEqual([{ v: "it's" }]);
  });

  it("a statement failing at COMMIT applies nothing, reaches the caller with its code, and leaves the connection usable", async () => {
    await database.db.execute(sql`insert into pipeline_probe (k, v) values ('taken', 'first')`);
    const attempt = inTransaction(database.db, async (tx) => {
      await tx.execute(sql`insert into pipeline_probe (k, v) values ('before', 'x')`);
      // A unique violation is retried by inTransaction; a not-null violation is not.
      await executeAtCommit(tx, sql`insert into pipeline_probe (k, v) values (${"taken-2"}, ${null})`);
    });
    await expect(attempt).rejects.toMatchObject({ cause: { code: "23502" } });
    expect(await rows(database.db, sql`select k from pipeline_probe where k in ('before', 'taken-2') order by k`)).toEqual([]);
    // Both pooled connections still work and are outside any transaction.
    for (let i = 0; i < 4; i++) {
      expect(await inTransaction(database.db, (tx) => rows<{ t: boolean }>(tx, sql`select pg_current_xact_id_if_assigned() is null as t`))).toEqual([{ t: true }]);
    }
  });

  it("prepares a statement with parameters once per connection and reuses it", async () => {
    const seen = await inTransaction(database.db, async (tx) => {
      for (let i = 0; i < 8; i++) await tx.execute(sql`select v from pipeline_probe where k = ${`p-${i}`}`);
      return rows<{ name: string; calls: number }>(tx, sql`select name, generic_plans + custom_plans as calls from pg_prepared_statements where statement like '%from pipeline_probe where k = $1%'`);
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.name).toMatch(/^patron_\d+$/);
    expect(seen[0]!.calls).toBe(8);
  });

  it("prepares a call with big parameters (a batch) apart from the same text with small ones, so a batch's plan never serves one event", async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `big-key-${i}`);
    const seen = await inTransaction(database.db, async (tx) => {
      for (const some of [keys, keys.slice(0, 2), keys, keys.slice(0, 3)]) await tx.execute(sql`select count(*) from pipeline_probe where k = any(${textArray(some)}) and v <> 'both'`);
      return rows<{ name: string; calls: number }>(tx, sql`select name, generic_plans + custom_plans as calls from pg_prepared_statements where statement like '%from pipeline_probe where k = any%' order by name`);
    });
    expect(seen).toHaveLength(2);
    expect(seen.map((r) => [r.name.endsWith("_big"), r.calls]).sort()).toEqual([[false, 2], [true, 2]]);
  });

  it("a first statement that fails rolls back and the next transaction starts clean", async () => {
    await expect(inTransaction(database.db, (tx) => tx.execute(sql`select 1 / ${0}::int`))).rejects.toMatchObject({ cause: { code: "22012" } });
    const got = await inTransaction(database.db, async (tx) => {
      await tx.execute(sql`insert into pipeline_probe (k, v) values ('after-failure', 'ok')`);
      return rows<{ v: string }>(tx, sql`select v from pipeline_probe where k = 'after-failure'`);
    });
    expect(got).toEqual([{ v: "ok" }]);
  });

  it("preferGenericPlans: every statement of that transaction runs under generic plans, set with BEGIN in the same round trip; the next transaction is back to PostgreSQL's choice", async () => {
    const mode = (tx: Parameters<Parameters<typeof inTransaction>[1]>[0], x: string) => rows<{ m: string }>(tx, sql`select current_setting('plan_cache_mode') as m, length(${x}::text) as n`);
    const { value, trips } = await countTrips(() =>
      inTransaction(database.db, async (tx) => {
        preferGenericPlans(tx);
        const first = await mode(tx, "small");
        const second = await mode(tx, "x".repeat(20_000));
        await executeAtCommit(tx, sql`insert into pipeline_probe (k, v) values (${"generic-plans"}, ${"ok"})`);
        return [first[0]!.m, second[0]!.m];
      }),
    );
    expect(value).toEqual(["force_generic_plan", "force_generic_plan"]);
    expect(trips).toEqual(["BEGIN + SET LOCAL + select current_setting('plan_cache_mode')", "select current_setting('plan_cache_mode')", "insert into + COMMIT"]);
    // Asked for once the transaction has sent something, it changes nothing.
    const late = await inTransaction(database.db, async (tx) => {
      await tx.execute(sql`select 1`);
      preferGenericPlans(tx);
      return mode(tx, "late");
    });
    expect(late[0]!.m).toBe("auto");
    for (let i = 0; i < 3; i++) expect((await inTransaction(database.db, (tx) => mode(tx, "later")))[0]!.m).toBe("auto");
  });
});
