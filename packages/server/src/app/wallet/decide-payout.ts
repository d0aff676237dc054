import { sql } from "drizzle-orm";
import { applyPlan, err, payoutTransition, planPayoutPaid, planReversal, type DomainError, type PayoutAction, type Posting, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { getTransaction } from "../ledger/read-ledger.ts";
import { getPayout, selectPayouts, type PayoutRow, type PayoutView } from "./payout.ts";

/**
 * Moves a payout along: `approve` (pending → approved: no money moves), `pay` (approved → paid: the
 * hold goes to `world`, the money has left for the customer's bank), `reject` (pending or approved →
 * rejected: the hold goes back to the customer's cash balance, into the lots it came from, so it
 * keeps its expiry). The payout row is locked first, so of two concurrent decisions one applies and
 * the other sees the new status.
 *
 * Errors: PAYOUT_NOT_FOUND, PAYOUT_STATE_CONFLICT.
 */
export async function decidePayout(ctx: AppContext, tx: Tx, program: Program, payoutId: string, action: PayoutAction, input: { reason?: string | undefined; actor: string }): Promise<Result<PayoutView, DomainError>> {
  const [row] = await rows<PayoutRow>(tx, selectPayouts(sql`p.program_id = ${program.id} and p.id = ${payoutId}`, sql`for update of p`));
  if (!row) return getPayout(tx, program.id, program.currency, payoutId);
  const next = payoutTransition(row.status, action);
  if (!next.ok) return err({ ...next.error, details: { ...next.error.details, payoutId } });
  const now = ctx.clock.now();
  const at = now.toISOString();
  let settleTxn: string | null = null;
  if (action !== "approve") {
    const writes = new LedgerWrites(program.id);
    settleTxn = ctx.ids.next("txn");
    const meta = { customerId: row.customer_id, source: { kind: "payout", payoutId, actor: input.actor }, metadata: { payoutId, actor: input.actor, ...(input.reason ? { reason: input.reason } : {}) }, effectiveAt: now };
    if (action === "pay") {
      // The hold account has no balance row: nothing to lock, the customer's balances do not change.
      writes.add({ ...meta, id: settleTxn, type: "payout_paid", reference: `payout:${payoutId}:paid`, reversesId: null }, planPayoutPaid(Number(row.amount), payoutId), null);
    } else {
      const hold = await getTransaction(tx, program.id, row.transaction_id);
      if (!hold.ok) throw new Error(`payout ${payoutId}: its hold transaction ${row.transaction_id} is missing`);
      const postings: Posting[] = hold.value.postings.map((p) => ({ source: p.source, destination: p.destination, asset: "cash", amount: p.amount, lotId: p.lotId }));
      const holdings = await loadHoldingsOf(tx, program.id, [{ customerId: row.customer_id, asset: "cash" }], now, { lots: true, alsoLotIds: postings.flatMap((p) => (p.lotId ? [p.lotId] : [])) });
      const loaded = holdings.get(holdingKey(row.customer_id, "cash"))!;
      const settled = settleInto(ctx, writes, loaded, now);
      // Settling drops emptied lots; the return refills the ones the hold took from: keep them.
      const h = { ...settled, lots: [...settled.lots, ...loaded.lots.filter((l) => l.remaining === 0 && !settled.lots.some((x) => x.id === l.id))] };
      // Putting money back never falls short: a failure here is a bug, not a refusal.
      const back = planReversal(h, postings, false);
      if (!back.ok) throw new Error(`payout ${payoutId}: returning the hold failed: ${back.error.message}`);
      const plan = back.value;
      writes.add({ ...meta, id: settleTxn, type: "payout_returned", reference: `payout:${payoutId}:returned`, reversesId: row.transaction_id }, plan, applyPlan(h, plan));
    }
    await writes.flush(tx, now);
  }
  await tx.execute(sql`update payouts set status = ${next.value},
      decided_at = ${action === "pay" ? sql`decided_at` : sql`${at}::timestamptz`},
      paid_at = ${action === "pay" ? sql`${at}::timestamptz` : sql`paid_at`},
      settle_transaction_id = ${settleTxn ?? sql`settle_transaction_id`},
      reason = ${input.reason ?? sql`reason`}
    where id = ${payoutId} and program_id = ${program.id}`);
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: `payout.${next.value}`, target: payoutId, reason: input.reason ?? null, data: { amount: Number(row.amount), settleTransactionId: settleTxn } });
  return getPayout(tx, program.id, program.currency, payoutId);
}
