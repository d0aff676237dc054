import { sql, type SQL } from "drizzle-orm";
import { CounterBook, counterKey, splitCounterKey, type CounterTotals } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { sqlState } from "../../db/tx.ts";

const split = (key: string) => {
  const [ruleId, scope, period] = splitCounterKey(key);
  return { ruleId, scope, period };
};

/**
 * Whether a counter key is a rule's global budget (`rule|*|lifetime`) rather than a customer's
 * counter: its scope (between the first and the last "|", as splitCounterKey reads it) is "*".
 * Read in place: ingest asks this of every key of a batch, and splitting each one made three
 * strings, an array and an object per key (a megabyte per batch of 1,000 with three limited rules).
 */
export const isBudgetKey = (key: string): boolean => {
  const a = key.indexOf("|");
  return a >= 0 && key.lastIndexOf("|") === a + 2 && key.charCodeAt(a + 1) === 42; // "*"
};

export type CounterRow = { rule_id: string; scope: string; period: string; awards: number; points: number };

/**
 * The counter rows behind `parts` that exist, locked when asked (the budgets), each looked up by its
 * primary key (byKey). Joined instead, the planner chose from statistics gathered while rule_counters
 * was small: for a batch's customer counters a hash join over every counter of the program (18,846
 * rows, 33 of the rules statement's 99 ms for a batch of 1,000), and for a single event's budget row a
 * generic plan with a bitmap scan of them all (1.4 of the statement's 2 ms, growing with the table),
 * both under EXPLAIN ANALYZE (bench/README.md). Locks are taken in key order: `parts` is sorted, and
 * the keys are visited in their order.
 */
function rowsSelect(programId: string, parts: ReturnType<typeof split>[], lock: boolean): SQL {
  return sql`select c.rule_id, c.scope, c.period, c.awards, c.points::float8 as points
          from unnest(${textArray(parts.map((p) => p.ruleId))}, ${textArray(parts.map((p) => p.scope))}, ${textArray(parts.map((p) => p.period))}) as x(rule_id, scope, period)
          cross join ${byKey(programId, sql`x.scope`, lock)} c`;
}

/**
 * The counter row of key `x` (rule_id, period) and `scope`, by its primary key whatever the statistics
 * say: a lateral subquery with a LIMIT is never flattened into a join, so it runs once per key.
 */
function byKey(programId: string, scope: SQL, lock = false): SQL {
  return sql`lateral (select r.rule_id, r.scope, r.period, r.awards, r.points from rule_counters r
                       where r.program_id = ${programId} and r.rule_id = x.rule_id and r.scope = ${scope} and r.period = x.period limit 1 ${lock ? sql`for update` : sql``})`;
}

function readRows(ex: Executor, programId: string, parts: ReturnType<typeof split>[], lock: boolean): Promise<CounterRow[]> {
  return rows<CounterRow>(ex, rowsSelect(programId, parts, lock));
}

function toBook(found: CounterRow[]): CounterBook {
  const book = new CounterBook();
  for (const r of found) book.load(counterKey(r.rule_id, r.scope, r.period), { awards: Number(r.awards), points: Number(r.points) });
  return book;
}

/** Reads counters without locking (estimates: a checkout's "points this order would earn"). */
export async function readCounters(ex: Executor, programId: string, keys: Iterable<string>): Promise<CounterBook> {
  const parts = [...new Set(keys)].map(split);
  return toBook(parts.length === 0 ? [] : await readRows(ex, programId, parts, false));
}

/**
 * The reads of `lockCounters` as selects, so that a caller can run them inside a statement of its own
 * (ingest reads them with the customers' facts, in one round trip): `customer` reads the customers'
 * counters, `budgets` reads and locks the budgets' rows. Hand what they returned to `counterBook`.
 * `lockBudgets: false` reads the budgets without a lock: the caller then writes them with `budgetCte`,
 * whose guard fails the transaction if another spent the budget meanwhile.
 */
export function counterSelects(programId: string, keys: Iterable<string>, lockBudgets = true): { customer: SQL | null; budgets: SQL | null; globalKeys: number; finish: (ex: Executor, customer: CounterRow[], budgets: CounterRow[]) => Promise<CounterBook> } {
  const sorted = [...new Set(keys)].sort();
  const customer = sorted.map(split).filter((p) => p.scope !== "*");
  const global = sorted.map(split).filter((p) => p.scope === "*");
  return {
    customer: customer.length > 0 ? rowsSelect(programId, customer, false) : null,
    budgets: global.length > 0 ? rowsSelect(programId, global, lockBudgets) : null,
    globalKeys: global.length,
    finish: async (ex, found, locked) => {
      const have = new Set(locked.map((r) => r.rule_id));
      if (global.some((p) => !have.has(p.ruleId))) {
        // A budget's row exists after its first award, so lock first and create only what is missing.
        await ex.execute(sql`insert into rule_counters (program_id, rule_id, scope, period, awards, points)
          select ${programId}, x.rule_id, '*', 'lifetime', 0, 0 from unnest(${textArray(global.map((p) => p.ruleId))}) as x(rule_id) order by 2
          on conflict do nothing`);
        locked = await readRows(ex, programId, global, lockBudgets);
      }
      return toBook([...found, ...locked]);
    },
  };
}

/** The customers' counters behind `rule|<external id>|period` keys, read by the store's customer ids (scope is the internal id). */
export function customerCountersByExternalId(programId: string, keys: readonly string[]): SQL | null {
  if (keys.length === 0) return null;
  const parts = keys.map(split);
  // Each key's customer id is looked up first, then the counter by its whole primary key (byKey).
  return sql`select c.rule_id, c.scope, c.period, c.awards, c.points::float8 as points
          from unnest(${textArray(parts.map((p) => p.ruleId))}, ${textArray(parts.map((p) => p.scope))}, ${textArray(parts.map((p) => p.period))}) as x(rule_id, external_id, period)
          cross join ${byKey(programId, sql`(select id from customers where program_id = ${programId} and external_id = x.external_id)`)} c`;
}

/** A book from rows read earlier (`customer`) and budget rows locked earlier, creating and locking missing budget rows (see counterSelects). */
export function bookOf(ex: Executor, programId: string, budgetKeys: Iterable<string>, customer: CounterRow[], budgets: CounterRow[], lockBudgets = true): Promise<CounterBook> {
  return counterSelects(programId, budgetKeys, lockBudgets).finish(ex, customer, budgets);
}

/**
 * Reads the limit and budget counters behind `keys` into a book.
 *
 * - A customer's counters (`rule|cus_…|period`) are read without a row lock: ingest has already locked
 *   that customer's balance row, and every award to the customer happens under that lock, so no other
 *   transaction can change them until this one commits. Missing rows count as zero and are created by
 *   the batch's write (`counterCte`). The read must be a statement that starts after that lock is
 *   held: an earlier snapshot could miss an award committed just before.
 * - A rule's global budget (`rule|*|lifetime`) is shared by every customer, so its row is created if
 *   missing and locked (in key order, after the balances), so two transactions never both spend the
 *   last of a budget.
 */
export async function lockCounters(ex: Executor, programId: string, keys: Iterable<string>): Promise<CounterBook> {
  const q = counterSelects(programId, keys);
  const found = q.customer ? await rows<CounterRow>(ex, q.customer) : [];
  const locked = q.budgets ? await rows<CounterRow>(ex, q.budgets) : [];
  return q.finish(ex, found, locked);
}

/**
 * The counters the batch changed, as a CTE for the batch's write statement (`rc as (…)`), or null.
 * `name`: another CTE name, for a second book in the same statement (stamp card limits use `stamp_rc`).
 */
export function counterCte(programId: string, book: CounterBook | null, name: "rc" | "stamp_rc" = "rc", opts: { withoutBudgets?: boolean } = {}): SQL | null {
  const touched = (book?.touchedKeys() ?? []).filter((k) => !opts.withoutBudgets || !isBudgetKey(k));
  if (!book || touched.length === 0) return null;
  const rowsOut = touched.map((k) => {
    const { ruleId, scope, period } = split(k);
    return { rule_id: ruleId, scope, period, ...book.get(k) };
  });
  return sql`${sql.raw(name)} as (
    insert into rule_counters (program_id, rule_id, scope, period, awards, points)
    select ${programId}, x.rule_id, x.scope, x.period, x.awards, x.points
      from jsonb_to_recordset(${JSON.stringify(rowsOut)}::jsonb) as x(rule_id text, scope text, period text, awards int, points bigint)
    on conflict (program_id, rule_id, scope, period) do update set awards = excluded.awards, points = excluded.points)`;
}

/**
 * What the batch spent of the rules' global budgets, as one statement to run after the batch's write,
 * just before COMMIT: each budget row gains what was spent since `base` (the totals the book read) only
 * where its points stay within `max`, and `patron_budget_check` (migration 0018) fails the statement,
 * and so the transaction, when a row was not updated: another transaction spent part of the budget
 * after this one read it. So the row is held from this statement to COMMIT, not for the whole
 * transaction. Null when the batch spent no budget.
 */
export function budgetStatement(programId: string, book: CounterBook | null, base: ReadonlyMap<string, CounterTotals>, max: (ruleId: string) => number): SQL | null {
  const spent: { rule_id: string; awards: number; points: number; max: number }[] = [];
  for (const k of book?.touchedKeys() ?? []) {
    if (!isBudgetKey(k)) continue;
    const { ruleId } = split(k);
    const now = book!.get(k);
    const was = base.get(k) ?? { awards: 0, points: 0 };
    if (now.awards > was.awards) spent.push({ rule_id: ruleId, awards: now.awards - was.awards, points: now.points - was.points, max: max(ruleId) });
  }
  if (spent.length === 0) return null;
  // In rule order, as the locked read takes them. One UPDATE per budget, each by its whole primary key:
  // joined to a recordset instead, the generic plan of a small group of single events updated the
  // row in 2.8 ms (query-timing.mjs), a third of the group's transaction.
  spent.sort((a, b) => (a.rule_id < b.rule_id ? -1 : 1));
  const updates = spent.map((x, i) => sql`${sql.raw(`rbud${i}`)} as (
    update rule_counters set awards = awards + ${x.awards}::int, points = points + ${x.points}::bigint
     where program_id = ${programId} and rule_id = ${x.rule_id} and scope = '*' and period = 'lifetime' and points + ${x.points}::bigint <= ${x.max}::bigint
    returning 1)`);
  const updated = sql.join(spent.map((_, i) => sql`(select count(*) from ${sql.raw(`rbud${i}`)})`), sql` + `);
  return sql`with ${sql.join(updates, sql`, `)} select patron_budget_check(${spent.length}::int, ${updated})`;
}

/**
 * Runs `run` (an ingest transaction) with the rules' budgets read unlocked (`budgetStatement`) and, if
 * another transaction spent part of a budget between this one's read and its write (PB001, from
 * patron_budget_check), once more with the budget rows locked from the start: then nothing can come between.
 */
export async function withBudgetRetry<T>(run: (lockBudgets: boolean) => Promise<T>): Promise<T> {
  try {
    return await run(false);
  } catch (e) {
    if (sqlState(e) !== "PB001") throw e;
    return run(true);
  }
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
