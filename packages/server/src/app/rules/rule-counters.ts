import { sql, type SQL } from "drizzle-orm";
import { CounterBook } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";

const split = (key: string) => {
  const [ruleId, scope, period] = key.split("|") as [string, string, string];
  return { ruleId, scope, period };
};

/**
 * Locks the limit and budget counters behind `keys` (creating missing rows at zero) in key order,
 * after the balances: every transaction takes balances, then counters, each sorted, so none can
 * deadlock another, and two events can never both see the last allowed award.
 */
export async function lockCounters(ex: Executor, programId: string, keys: Iterable<string>): Promise<CounterBook> {
  const book = new CounterBook();
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return book;
  const parts = sorted.map(split);
  const lock = () =>
    rows<{ rule_id: string; scope: string; period: string; awards: number; points: number }>(
      ex,
      sql`select c.rule_id, c.scope, c.period, c.awards, c.points::float8 as points
            from unnest(${textArray(parts.map((p) => p.ruleId))}, ${textArray(parts.map((p) => p.scope))}, ${textArray(parts.map((p) => p.period))}) as x(rule_id, scope, period)
            join rule_counters c on c.program_id = ${programId} and c.rule_id = x.rule_id and c.scope = x.scope and c.period = x.period
           order by c.rule_id, c.scope, c.period for update of c`,
    );
  // Rows for new periods are the common case (a daily limit meets a new day), so create first, then lock:
  // two statements whatever is missing.
  await ex.execute(sql`insert into rule_counters (program_id, rule_id, scope, period, awards, points)
    select ${programId}, x.rule_id, x.scope, x.period, 0, 0
      from unnest(${textArray(parts.map((p) => p.ruleId))}, ${textArray(parts.map((p) => p.scope))}, ${textArray(parts.map((p) => p.period))}) as x(rule_id, scope, period)
     order by 2, 3, 4
    on conflict do nothing`);
  const rs = await lock();
  for (const r of rs) book.values.set(`${r.rule_id}|${r.scope}|${r.period}`, { awards: Number(r.awards), points: Number(r.points) });
  return book;
}

/** The counters the batch changed, as a CTE for the batch's write statement (`rc as (…)`), or null. */
export function counterCte(programId: string, book: CounterBook | null): SQL | null {
  if (!book || book.touched.size === 0) return null;
  const rowsOut = [...book.touched].map((k) => {
    const { ruleId, scope, period } = split(k);
    return { rule_id: ruleId, scope, period, ...book.get(k) };
  });
  return sql`rc as (
    update rule_counters set awards = x.awards, points = x.points
      from jsonb_to_recordset(${JSON.stringify(rowsOut)}::jsonb) as x(rule_id text, scope text, period text, awards int, points bigint)
     where rule_counters.program_id = ${programId} and rule_counters.rule_id = x.rule_id and rule_counters.scope = x.scope and rule_counters.period = x.period)`;
}

/** Run-time failures of the batch, counted per rule version (`rf2 as (…)`), or null. */
export function failureCte(programId: string, failures: { ruleId: string; version: number; error: string }[], at: Date): SQL | null {
  if (failures.length === 0) return null;
  const byVersion = new Map<string, { rule_id: string; version: number; n: number; last_error: string }>();
  for (const f of failures) {
    const k = `${f.ruleId}|${f.version}`;
    const v = byVersion.get(k) ?? { rule_id: f.ruleId, version: f.version, n: 0, last_error: f.error };
    v.n += 1;
    v.last_error = f.error.slice(0, 1000);
    byVersion.set(k, v);
  }
  return sql`rfail as (
    insert into rule_failures (program_id, rule_id, version, failures, last_error, last_at)
    select ${programId}, x.rule_id, x.version, x.n, x.last_error, ${at.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify([...byVersion.values()])}::jsonb) as x(rule_id text, version int, n int, last_error text)
    on conflict (rule_id, version) do update set failures = rule_failures.failures + excluded.failures, last_error = excluded.last_error, last_at = excluded.last_at)`;
}
