import { sql } from "drizzle-orm";
import type { TierBasis } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";

/** One measure: a customer's basis over [from, to) (from null: since the beginning). */
export interface Measure {
  customerId: string;
  from: Date | null;
  to: Date;
}

/**
 * Measures the tier basis for many (customer, window) pairs in one statement, in the order given.
 * - spend: order totals minus refunds, by when the order was placed;
 * - visits: orders placed, except those refunded in full;
 * - points: points credited by earning (rules, campaigns' bonus points) minus what refunds clawed
 *   back, by effective date. Tier entry gifts are left out, so a gift never lifts a customer further;
 * - referrals: the referrer's conversions on the referral ladder (rewarded, not cancelled by a refund
 *   of the friend's order), by when they converted.
 */
export async function measureMany(ex: Executor, programId: string, basis: TierBasis, measures: readonly Measure[]): Promise<number[]> {
  if (measures.length === 0) return [];
  const items = JSON.stringify(measures.map((m, i) => ({ i, c: m.customerId, f: m.from?.toISOString() ?? null, t: m.to.toISOString() })));
  const lateral =
    basis === "spend"
      ? sql`select coalesce(sum(o.total - o.refunded_amount), 0) as v from orders o
             where o.program_id = ${programId} and o.customer_id = x.c and (x.f is null or o.placed_at >= x.f) and o.placed_at < x.t`
      : basis === "visits"
        ? sql`select count(*) as v from orders o
               where o.program_id = ${programId} and o.customer_id = x.c and (x.f is null or o.placed_at >= x.f) and o.placed_at < x.t
                 and o.refunded_amount < o.total`
        : basis === "referrals"
          ? sql`select count(*) as v from referral_rewards w
                 where w.program_id = ${programId} and w.referrer_id = x.c and w.kind = 'conversion' and w.status <> 'cancelled'
                   and (x.f is null or w.created_at >= x.f) and w.created_at < x.t`
          : sql`select coalesce(sum(case when t.type = 'refund' then -p.amount else p.amount end), 0) as v
                from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
               where t.program_id = ${programId} and t.customer_id = x.c and t.type in ('earn', 'refund') and p.asset = 'points'
                 and coalesce(t.source->>'kind', '') <> 'tier_gift'
                 and (x.f is null or t.effective_at >= x.f) and t.effective_at < x.t`;
  const rs = await rows<{ i: number; v: number }>(
    ex,
    sql`select x.i, m.v::float8 as v
          from jsonb_to_recordset(${items}::jsonb) as x(i int, c text, f timestamptz, t timestamptz)
          cross join lateral (${lateral}) m
         order by x.i`,
  );
  return rs.map((r) => Number(r.v));
}
