import { sql, type SQL } from "drizzle-orm";
import { CounterBook, type CelCustomer } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { customersWithIds, factsSelect, toFacts, type FactsRow } from "./rule-facts.ts";
import { counterSelects, type CounterRow } from "./rule-counters.ts";

/**
 * What an ingest batch's rules need once its balances are locked, in one round trip: the facts of the
 * customers whose conditions read them (rule-facts.ts), their limit counters, and the rules' budget
 * rows, locked (rule-counters.ts). Run it as a statement of its own after the balance locks: its
 * snapshot must be taken after them (see lockCounters).
 */
export async function readRuleState(
  ex: Executor,
  programId: string,
  x: { factsFor: readonly string[]; counterKeys: Iterable<string>; now: Date; timeZone: string },
): Promise<{ facts: Map<string, CelCustomer>; counters: CounterBook }> {
  const counters = counterSelects(programId, x.counterKeys);
  const ctes: { name: "f" | "c" | "b"; query: SQL }[] = [];
  if (x.factsFor.length > 0) ctes.push({ name: "f", query: factsSelect(programId, customersWithIds(x.factsFor), x.now, x.timeZone) });
  if (counters.customer) ctes.push({ name: "c", query: counters.customer });
  if (counters.budgets) ctes.push({ name: "b", query: counters.budgets });
  if (ctes.length === 0) return { facts: new Map(), counters: new CounterBook() };
  const has = (name: string) => ctes.some((c) => c.name === name);
  const agg = (name: string) => (has(name) ? sql`(select coalesce(json_agg(${sql.raw(name)}), '[]'::json) from ${sql.raw(name)})` : sql`'[]'::json`);
  const [r] = await rows<{ f: FactsRow[]; c: CounterRow[]; b: CounterRow[] }>(
    ex,
    sql`with ${sql.join(ctes.map((c) => sql`${sql.raw(c.name)} as (${c.query})`), sql`, `)}
        select ${agg("f")} as f, ${agg("c")} as c, ${agg("b")} as b`,
  );
  return { facts: toFacts(r!.f, x.now), counters: await counters.finish(ex, r!.c, r!.b) };
}
