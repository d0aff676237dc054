import { sql, type SQL } from "drizzle-orm";
import { levelOf, noTier, type TierChangeKind, type TierDecision, type TierScheme, type TierState } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";

/** A customer's stored tier, with the level resolved against the current scheme. */
export interface StoredTier {
  customerId: string;
  state: TierState;
  source: string;
  reason: string | null;
  /** Whether a row exists (a customer who never had a tier has none). */
  exists: boolean;
}

/**
 * Loads (and with `lock`, locks) the tier rows of these customers, sorted, after their balances:
 * every path that takes both takes the balances first. Customers without a row get "no tier".
 */
export async function loadTiers(ex: Executor, programId: string, scheme: TierScheme, customerIds: readonly string[], now: Date, lock: boolean): Promise<Map<string, StoredTier>> {
  const ids = [...new Set(customerIds)].sort();
  const out = new Map<string, StoredTier>();
  if (ids.length === 0) return out;
  const rs = await rows<{ customer_id: string; tier: string | null; since: string | Date; review_at: string | Date | null; source: string; reason: string | null }>(
    ex,
    sql`select customer_id, tier, since, review_at, source, reason from customer_tiers
         where program_id = ${programId} and customer_id = any(${textArray(ids)}) order by customer_id ${lock ? sql`for update` : sql``}`,
  );
  for (const r of rs) {
    // A level the scheme no longer has (the scheme refuses such changes while customers hold it) reads as none.
    const level = levelOf(scheme, r.tier) ?? -1;
    out.set(r.customer_id, { customerId: r.customer_id, state: { level, since: new Date(r.since), reviewAt: r.review_at === null ? null : new Date(r.review_at) }, source: r.source, reason: r.reason, exists: true });
  }
  for (const id of ids) if (!out.has(id)) out.set(id, { customerId: id, state: noTier(now), source: "earned", reason: null, exists: false });
  return out;
}

/** One decided change, ready to be written. */
export interface TierWrite {
  id: string;
  customerId: string;
  decision: TierDecision;
  source: "earned" | "manual" | "import";
  reason: string | null;
  occurredAt: Date;
}

/** The rows of `writes` as data-modifying CTEs: the customer's current tier (upserted) and the history. */
export function tierCtes(programId: string, scheme: TierScheme, writes: readonly TierWrite[], now: Date): SQL | null {
  if (writes.length === 0) return null;
  const key = (level: number) => (level < 0 ? null : scheme.levels[level]!.key);
  // The last change of a customer wins for the current row; every change goes to the history.
  const last = new Map<string, TierWrite>();
  for (const w of writes) last.set(w.customerId, w);
  const current = [...last.values()].map((w) => ({
    customer_id: w.customerId, tier: key(w.decision.state.level), since: w.decision.state.since.toISOString(), review_at: w.decision.state.reviewAt?.toISOString() ?? null, source: w.source, reason: w.reason,
  }));
  const history = writes.map((w) => ({
    id: w.id, customer_id: w.customerId, from_tier: key(w.decision.from), to_tier: key(w.decision.to), kind: w.decision.kind satisfies TierChangeKind, reason: w.reason, metric: w.decision.metric, occurred_at: w.occurredAt.toISOString(),
  }));
  const at = now.toISOString();
  return sql`tcu as (
      insert into customer_tiers (program_id, customer_id, tier, since, review_at, source, reason, updated_at)
      select ${programId}, x.customer_id, x.tier, x.since, x.review_at, x.source, x.reason, ${at}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(current)}::jsonb) as x(customer_id text, tier text, since timestamptz, review_at timestamptz, source text, reason text)
      on conflict (program_id, customer_id) do update set tier = excluded.tier, since = excluded.since, review_at = excluded.review_at, source = excluded.source, reason = excluded.reason, updated_at = excluded.updated_at),
    tch as (
      insert into tier_changes (id, program_id, customer_id, from_tier, to_tier, kind, reason, metric, occurred_at, recorded_at)
      select x.id, ${programId}, x.customer_id, x.from_tier, x.to_tier, x.kind, x.reason, x.metric, x.occurred_at, ${at}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(history)}::jsonb) as x(id text, customer_id text, from_tier text, to_tier text, kind text, reason text, metric bigint, occurred_at timestamptz))`;
}

/** The business key of a level's entry gift: once per customer and level, ever (unique in the ledger). */
export const giftReference = (customerId: string, levelKey: string) => `tier-gift:${customerId}:${levelKey}`;

/**
 * The levels these customers reached before (earned, set by hand or imported), as gift references:
 * a level's entry gift is given the first time a customer reaches it, never again.
 */
export async function reachedBefore(ex: Executor, programId: string, customerIds: readonly string[]): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set();
  const rs = await rows<{ customer_id: string; to_tier: string }>(
    ex,
    sql`select distinct customer_id, to_tier from tier_changes where program_id = ${programId} and customer_id = any(${textArray([...new Set(customerIds)])}) and to_tier is not null`,
  );
  return new Set(rs.map((r) => giftReference(r.customer_id, r.to_tier)));
}
