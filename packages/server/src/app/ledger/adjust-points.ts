import { applyPlan, domainError, err, expiresAt, ok, planCredit, planDebit, WORLD, type DomainError, type ExpiryPolicy, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { LedgerWrites, loadHoldings } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "./settle-holdings.ts";
import { getTransaction, type TransactionView } from "./read-ledger.ts";

export interface AdjustmentInput {
  /** Positive credits, negative debits. Never zero. */
  amount: number;
  reason: string;
  actor: string;
  /** Overrides the program's expiry for a credit. */
  expiry?: ExpiryPolicy | undefined;
}

/**
 * A manual credit or debit with a reason and an actor, recorded in the audit log. A debit cannot
 * take a balance below zero. Credits are available at once (no pending period).
 *
 * Errors: CUSTOMER_NOT_FOUND (an erased customer has no external id any more), INSUFFICIENT_POINTS.
 */
export async function adjustPoints(ctx: AppContext, tx: Tx, program: Program, externalId: string, input: AdjustmentInput): Promise<Result<TransactionView, DomainError>> {
  const found = await getCustomer(tx, program.id, externalId);
  if (!found.ok) return found;
  const customer = found.value;
  const now = ctx.clock.now();
  // Only the lots this adjustment can touch: a debit's spend order up to its amount (ledger-repo.ts).
  const holdings = await loadHoldings(tx, program.id, [customer.id], "points", now, { lots: { spend: Math.max(0, -input.amount) } });
  const writes = new LedgerWrites(program.id);
  const h = settleInto(ctx, writes, holdings.get(customer.id)!, now);
  let plan;
  if (input.amount > 0) {
    plan = planCredit(h, { amount: input.amount, lotId: ctx.ids.next("lot"), effectiveAt: now, pendingUntil: null, expiresAt: expiresAt(input.expiry ?? program.ledgerPolicy.expiry, now, program.timeZone), now });
  } else {
    const debit = planDebit(h, { amount: -input.amount, destination: WORLD, onShortfall: "reject" });
    if (!debit.ok) return debit;
    plan = debit.value;
  }
  const id = ctx.ids.next("txn");
  writes.add({ id, type: "adjustment", customerId: customer.id, reference: null, reversesId: null, source: { kind: "manual", actor: input.actor }, metadata: { reason: input.reason, actor: input.actor }, effectiveAt: now }, plan, applyPlan(h, plan));
  await writes.flush(tx, now);
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: "points.adjusted", target: customer.id, reason: input.reason, data: { amount: input.amount, transactionId: id } });
  const view = await getTransaction(tx, program.id, id);
  return view.ok ? ok(view.value) : err(domainError("INTERNAL", "The adjustment was written but could not be read back."));
}
