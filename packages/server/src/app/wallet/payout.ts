import { sql, type SQL } from "drizzle-orm";
import { domainError, err, ok, type DomainError, type PayoutStatus, type Result } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";

/** A payout request as the API shows it. */
export interface PayoutView {
  id: string;
  /** The store's id of the customer (null once erased). */
  customerId: string | null;
  amount: number;
  currency: string;
  status: PayoutStatus;
  /** The ledger transaction that moved the amount from the cash balance to the payout's hold. */
  transactionId: string;
  /** The transaction that paid it out (to `world`) or returned it (to the cash balance). */
  settleTransactionId: string | null;
  reason: string | null;
  requestedAt: string;
  decidedAt: string | null;
  paidAt: string | null;
}

export interface PayoutRow {
  id: string;
  customer_id: string;
  external_id: string | null;
  amount: number;
  status: PayoutStatus;
  transaction_id: string;
  settle_transaction_id: string | null;
  reason: string | null;
  requested_at: string | Date;
  decided_at: string | Date | null;
  paid_at: string | Date | null;
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

export function toPayoutView(r: PayoutRow, currency: string): PayoutView {
  return {
    id: r.id, customerId: r.external_id, amount: Number(r.amount), currency, status: r.status, transactionId: r.transaction_id, settleTransactionId: r.settle_transaction_id,
    reason: r.reason, requestedAt: iso(r.requested_at)!, decidedAt: iso(r.decided_at), paidAt: iso(r.paid_at),
  };
}

export const selectPayouts = (where: SQL, tail: SQL = sql``) => sql`
  select p.id, p.customer_id, c.external_id, p.amount::float8 as amount, p.status, p.transaction_id, p.settle_transaction_id, p.reason, p.requested_at, p.decided_at, p.paid_at
    from payouts p left join customers c on c.id = p.customer_id
   where ${where} ${tail}`;

/** Errors: PAYOUT_NOT_FOUND. */
export async function getPayout(ex: Executor, programId: string, currency: string, payoutId: string): Promise<Result<PayoutView, DomainError>> {
  const [r] = await rows<PayoutRow>(ex, selectPayouts(sql`p.program_id = ${programId} and p.id = ${payoutId}`));
  return r ? ok(toPayoutView(r, currency)) : err(domainError("PAYOUT_NOT_FOUND", `No payout ${payoutId} in this program.`, { payoutId }));
}

/**
 * Payout requests, newest first, a page at a time: all, one status (`pending` is the queue to
 * approve), or one customer's (internal id).
 *
 * Errors: INVALID_CURSOR.
 */
export async function listPayouts(
  ex: Executor,
  programId: string,
  currency: string,
  q: { limit: number; cursor?: string | undefined; status?: PayoutStatus | undefined; customerId?: string | undefined },
): Promise<Result<{ data: PayoutView[]; nextCursor: string | null }, DomainError>> {
  const conds: SQL[] = [sql`p.program_id = ${programId}`];
  if (q.cursor !== undefined) {
    const before = decodeCursor(q.cursor, "pyt");
    if (!before) return err(domainError("INVALID_CURSOR", "The cursor is not one this API returned; start again without it."));
    conds.push(sql`p.id < ${before}`);
  }
  if (q.status) conds.push(sql`p.status = ${q.status}`);
  if (q.customerId) conds.push(sql`p.customer_id = ${q.customerId}`);
  const rs = await rows<PayoutRow>(ex, selectPayouts(sql.join(conds, sql` and `), sql`order by p.id desc limit ${q.limit + 1}`));
  const page = rs.slice(0, q.limit).map((r) => toPayoutView(r, currency));
  return ok({ data: page, nextCursor: rs.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null });
}
