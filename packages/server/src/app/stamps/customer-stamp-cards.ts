import { sql } from "drizzle-orm";
import { ok, type DomainError, type Result, type StampCardDefinition, type StampReward } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { getCustomer } from "../customers/find-customer.ts";
import type { StampCardStatus } from "./stamp-card.ts";

/** One card as a customer sees it. */
export interface CustomerStampCard {
  cardId: string;
  name: string;
  status: StampCardStatus;
  stamps: number;
  needed: number;
  size: number;
  completions: number;
  expiringSoonest: { stamps: number; at: string } | null;
  lastCompletion: { sequence: number; completedAt: string; transactionId: string; redemptionId: string | null } | null;
  reward: StampReward;
}

const iso = (v: string | Date) => (v instanceof Date ? v : new Date(v)).toISOString();

/**
 * A customer's stamp cards: every card that is not archived, with the stamps on it now (read from its
 * lots, so stamps past their date count as gone even before the settlement job has run), what is
 * still needed, the completions so far, the stamps that expire first and the last completion.
 * Error: CUSTOMER_NOT_FOUND.
 */
export async function customerStampCards(ex: Executor, programId: string, externalId: string, now: Date): Promise<Result<CustomerStampCard[], DomainError>> {
  const found = await getCustomer(ex, programId, externalId);
  if (!found.ok) return found;
  const customerId = found.value.id;
  const at = now.toISOString();
  const rs = await rows<{
    id: string; status: string; definition: unknown; stamps: number; soonest: string | Date | null; soonest_stamps: number | null; completions: number;
    last_sequence: number | null; last_at: string | Date | null; last_txn: string | null; last_redemption: string | null;
  }>(
    ex,
    sql`select c.id, c.status, c.definition,
               coalesce(l.stamps, 0)::float8 as stamps, l.soonest, s.soonest_stamps::float8 as soonest_stamps,
               coalesce(d.n, 0)::int as completions, d.last_sequence, d.last_at, d.last_txn, d.last_redemption
          from stamp_cards c
          left join lateral (
            select sum(remaining) as stamps, min(expires_at) as soonest
              from lots
             where program_id = ${programId} and customer_id = ${customerId} and asset = 'stamps:' || c.id and remaining > 0
               and (expires_at is null or expires_at > ${at}::timestamptz)
          ) l on true
          left join lateral (
            select sum(remaining) as soonest_stamps
              from lots
             where program_id = ${programId} and customer_id = ${customerId} and asset = 'stamps:' || c.id and remaining > 0 and expires_at = l.soonest
          ) s on true
          left join lateral (
            select count(*) as n, max(sequence) as last_sequence,
                   (array_agg(completed_at order by sequence desc))[1] as last_at,
                   (array_agg(transaction_id order by sequence desc))[1] as last_txn,
                   (array_agg(redemption_id order by sequence desc))[1] as last_redemption
              from stamp_completions where program_id = ${programId} and card_id = c.id and customer_id = ${customerId}
          ) d on true
         where c.program_id = ${programId} and c.status <> 'archived'
         order by c.created_at, c.id`,
  );
  return ok(
    rs.map((r) => {
      const def = (typeof r.definition === "string" ? JSON.parse(r.definition) : r.definition) as StampCardDefinition;
      const stamps = Number(r.stamps);
      return {
        cardId: r.id,
        name: def.name,
        status: r.status as StampCardStatus,
        stamps,
        needed: Math.max(0, def.stamps - stamps),
        size: def.stamps,
        completions: Number(r.completions),
        expiringSoonest: r.soonest !== null && r.soonest_stamps !== null ? { stamps: Number(r.soonest_stamps), at: iso(r.soonest) } : null,
        lastCompletion: r.last_sequence !== null && r.last_at !== null ? { sequence: Number(r.last_sequence), completedAt: iso(r.last_at), transactionId: r.last_txn!, redemptionId: r.last_redemption } : null,
        reward: def.reward,
      };
    }),
  );
}
