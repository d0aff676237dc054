import { sql, type SQL } from "drizzle-orm";
import { CounterBook, type CelCustomer } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { customersWithIds, factsSelect, toFacts, type FactsRow } from "./rule-facts.ts";
import { counterSelects, customerCountersByExternalId, isBudgetKey, type CounterRow } from "./rule-counters.ts";

/**
 * What an ingest batch's rules need once its balances are locked, in one statement: the facts of the
 * customers whose conditions read them (rule-facts.ts; this month's metrics only when `month`), their limit counters, and the rules' budget
 * rows, locked unless `lockBudgets` is false (rule-counters.ts). The statement must start after the balance locks are held: its
 * snapshot must be taken after them (see lockCounters).
 */

/** One row of the rule-state statement: every part as a json array. */
export interface RuleStateRow {
  f: FactsRow[];
  /** Whether the facts in `f` count this month's orders (factsSelect's `month`). */
  m: boolean;
  c: CounterRow[];
  b: CounterRow[];
}

function stateStatement(parts: { f: SQL | null; c: SQL | null; b: SQL | null }, month: boolean): SQL | null {
  const ctes = (["f", "c", "b"] as const).filter((name) => parts[name] !== null);
  if (ctes.length === 0) return null;
  const agg = (name: "f" | "c" | "b") => (parts[name] ? sql`(select coalesce(json_agg(${sql.raw(name)}), '[]'::json) from ${sql.raw(name)})` : sql`'[]'::json`);
  return sql`with ${sql.join(ctes.map((name) => sql`${sql.raw(name)} as (${parts[name]})`), sql`, `)}
        select ${agg("f")} as f, ${sql.raw(month ? "true" : "false")} as m, ${agg("c")} as c, ${agg("b")} as b`;
}

export async function readRuleState(
  ex: Executor,
  programId: string,
  x: { factsFor: readonly string[]; month: boolean; counterKeys: Iterable<string>; now: Date; timeZone: string; lockBudgets?: boolean },
): Promise<{ facts: Map<string, CelCustomer>; counters: CounterBook }> {
  const counters = counterSelects(programId, x.counterKeys, x.lockBudgets ?? true);
  const statement = stateStatement({
    f: x.factsFor.length > 0 ? factsSelect(programId, customersWithIds(x.factsFor), x.now, x.timeZone, { month: x.month }) : null,
    c: counters.customer,
    b: counters.budgets,
  }, x.month);
  if (statement === null) return { facts: new Map(), counters: new CounterBook() };
  const [r] = await rows<RuleStateRow>(ex, statement);
  return { facts: toFacts(r!.f, x.now), counters: await counters.finish(ex, r!.c, r!.b) };
}

/**
 * The same statement for customers named by the store's ids (`rule|<external id>|period` keys), for
 * ingest to send in the round trip of its first statement, before it knows the internal ids
 * (claim-events.ts). What it reads is valid only for customers whose balance that first statement
 * locked (event-rules.ts decides); budget rows are locked for every key given, unless `lockBudgets` is
 * false (see budgetStatement).
 */
export function prefetchStatement(programId: string, x: { factsFor: readonly string[]; month: boolean; counterKeys: Iterable<string>; now: Date; timeZone: string; lockBudgets?: boolean }): SQL | null {
  const keys = [...new Set(x.counterKeys)];
  return stateStatement({
    f: x.factsFor.length > 0 ? factsSelect(programId, sql`c.external_id = any(${textArray([...new Set(x.factsFor)])})`, x.now, x.timeZone, { month: x.month }) : null,
    c: customerCountersByExternalId(programId, keys.filter((k) => !isBudgetKey(k))),
    b: counterSelects(programId, keys.filter(isBudgetKey), x.lockBudgets ?? true).budgets,
  }, x.month);
}
