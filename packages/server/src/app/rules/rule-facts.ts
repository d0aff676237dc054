import { sql, type SQL } from "drizzle-orm";
import { DAY_MS, localDate, startOfLocalDay, type CelCustomer, type CelMetrics } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";

/**
 * What conditions know about customers: the profile and order metrics (before the event being
 * evaluated), in one query for a batch. Spend is what was paid minus what was refunded; "this month"
 * is the program's calendar month of `now`.
 */
export async function loadCustomerFacts(ex: Executor, programId: string, customerIds: readonly string[], now: Date, timeZone: string): Promise<Map<string, CelCustomer>> {
  if (customerIds.length === 0) return new Map();
  return factsWhere(ex, programId, customersWithIds(customerIds), now, timeZone);
}

/** One customer's facts by the store's id (a checkout), keyed by the internal id; erased customers are not found. */
export async function loadCustomerFactsByExternalId(ex: Executor, programId: string, externalId: string, now: Date, timeZone: string): Promise<Map<string, CelCustomer>> {
  return factsWhere(ex, programId, sql`c.external_id = ${externalId} and c.status <> 'erased'`, now, timeZone);
}

async function factsWhere(ex: Executor, programId: string, which: SQL, now: Date, timeZone: string): Promise<Map<string, CelCustomer>> {
  return toFacts(await rows<FactsRow>(ex, factsSelect(programId, which, now, timeZone)), now);
}

/** A row of `factsSelect` (also as JSON, when another statement aggregates it: timestamps are then strings). */
export interface FactsRow {
  id: string; external_id: string; email: string | null; phone: string | null; name: string | null; birthday: string | null; status: string;
  tags: string[]; attributes: Record<string, unknown> | string; tier: string | null; n: number; spend: number; first_at: string | Date | null; last_at: string | Date | null; month_n: number; month_spend: number;
}

/**
 * The customers' facts as one select (`which` filters `customers c`), for a statement of its own or a
 * CTE of a larger one. `month: false` leaves this month's metrics at 0 without counting them: ingest
 * passes it when no condition of the batch reads them (CompiledCondition.readsMonth), as counting is
 * an index range over each customer's orders of the month (43 of the rules statement's 99 ms for a
 * batch of 1,000 under EXPLAIN ANALYZE, bench/README.md).
 */
export function factsSelect(programId: string, which: SQL, now: Date, timeZone: string, opts: { month?: boolean } = {}): SQL {
  const today = localDate(now, timeZone);
  const monthStart = startOfLocalDay({ year: today.year, month: today.month, day: 1 }, timeZone);
  // Lifetime figures from the customer's aggregate row (kept by ingest, write-batch.ts); this month's
  // from this month's orders only (an index range): the cost does not grow with the customer's history.
  const month = opts.month === false
    ? sql`(select 0 as month_n, 0::float8 as month_spend)`
    : sql`lateral (
            select count(*)::int as month_n, coalesce(sum(o.total - o.refunded_amount), 0)::float8 as month_spend
              from orders o where o.program_id = c.program_id and o.customer_id = c.id and o.placed_at >= ${monthStart.toISOString()}::timestamptz)`;
  return sql`select c.id, c.external_id, c.email, c.phone, c.name, c.birthday::text as birthday, c.status, c.tags, c.attributes, ct.tier,
               coalesce(s.orders, 0) as n, coalesce(s.spend, 0)::float8 as spend, s.first_at, s.last_at, m.month_n, m.month_spend
          from customers c
          left join customer_order_stats s on s.program_id = c.program_id and s.customer_id = c.id
          cross join ${month} m
          left join customer_tiers ct on ct.program_id = c.program_id and ct.customer_id = c.id
         where c.program_id = ${programId} and ${which}`;
}

/** `which` for the customers with these internal ids. */
export const customersWithIds = (customerIds: readonly string[]): SQL => sql`c.id = any(${textArray([...new Set(customerIds)])})`;

export function toFacts(rs: readonly FactsRow[], now: Date): Map<string, CelCustomer> {
  const days = (v: string | Date | null) => (v === null ? -1 : Math.floor((now.getTime() - new Date(v).getTime()) / DAY_MS));
  return new Map(
    rs.map((r) => [
      r.id,
      {
        id: r.external_id, email: r.email ?? "", phone: r.phone ?? "", name: r.name ?? "", birthday: r.birthday ?? "", status: r.status, tier: r.tier ?? "",
        tags: r.tags ?? [], attributes: (typeof r.attributes === "string" ? JSON.parse(r.attributes) : r.attributes) ?? {},
        metrics: {
          lifetimeOrders: Number(r.n), lifetimeSpend: Number(r.spend), daysSinceFirstOrder: days(r.first_at), daysSinceLastOrder: days(r.last_at),
          ordersThisMonth: Number(r.month_n), spendThisMonth: Number(r.month_spend),
        } satisfies CelMetrics,
      },
    ]),
  );
}

/** After an order of this batch is accepted, later events of the batch see it in the metrics. */
export function countOrder(c: CelCustomer, total: number): void {
  const m = c.metrics;
  m.lifetimeOrders += 1;
  m.lifetimeSpend += total;
  m.ordersThisMonth += 1;
  m.spendThisMonth += total;
  if (m.daysSinceFirstOrder < 0) m.daysSinceFirstOrder = 0;
  m.daysSinceLastOrder = 0;
}
