import { sql } from "drizzle-orm";
import type { StampPer } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";

/**
 * What an order's stamps on a card were, as a later refund needs them (StampBatch.applyRefund): kept
 * in the stamp credit's ledger metadata, read back by the credit's business key.
 */
export interface OrderCredit {
  cardId: string;
  customerId: string;
  lotId: string;
  given: number;
  per: StampPer;
  maxPerOrder: number | null;
  lines: number[];
}

/** The business key of an order's stamps on a card, unique per program forever. */
export const creditReference = (cardId: string, orderExternalId: string) => `stamps:${cardId}:order:${orderExternalId}`;

/**
 * The stamp credits of orders recorded before (on any of `cardIds`), with the store's order id of
 * each. Credits are immutable, so no lock is needed.
 */
export async function readOrderCredits(ex: Executor, programId: string, cardIds: Iterable<string>, orderExternalIds: readonly string[]): Promise<(OrderCredit & { orderId: string })[]> {
  const cards = [...cardIds];
  const refs = [...new Set(orderExternalIds.flatMap((o) => cards.map((cardId) => creditReference(cardId, o))))];
  const rs = await rows<{ customer_id: string; metadata: unknown; lot_id: string; amount: number }>(
    ex,
    sql`select t.customer_id, t.metadata, p.lot_id, p.amount::float8 as amount
          from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
         where t.program_id = ${programId} and t.reference = any(${textArray(refs)}) and p.lot_id is not null`,
  );
  return rs.map((r) => {
    const m = (typeof r.metadata === "string" ? JSON.parse(r.metadata) : r.metadata) as { cardId: string; orderId: string; per: StampPer; maxPerOrder: number | null; lines: number[] };
    return { orderId: m.orderId, cardId: m.cardId, customerId: r.customer_id, lotId: r.lot_id, given: Number(r.amount), per: m.per, maxPerOrder: m.maxPerOrder, lines: m.lines };
  });
}
