import { sql } from "drizzle-orm";
import { applyPlan, checkPayoutAmount, domainError, err, planPayoutHold, walletPolicy, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { getPayout, type PayoutView } from "./payout.ts";

/**
 * A customer asks for `amount` of their cash balance to be paid out. In one transaction, under the
 * cash balance's lock: the policy's limits are checked, the amount moves from the available cash
 * (held cash cannot be withdrawn) to the payout's hold account `payout:{id}`, and the payout is
 * recorded `pending`. The bonus balance is never touched: only cash can be paid out.
 *
 * Errors: CUSTOMER_NOT_FOUND, PAYOUT_INVALID (payouts off, under the minimum, over the maximum, a
 * blocked customer), INSUFFICIENT_FUNDS.
 */
export async function requestPayout(ctx: AppContext, tx: Tx, program: Program, externalId: string, input: { amount: number; actor: string }): Promise<Result<PayoutView, DomainError>> {
  const policy = walletPolicy(program.wallet);
  const bad = checkPayoutAmount(policy, input.amount);
  if (bad) return err(bad);
  const found = await getCustomer(tx, program.id, externalId);
  if (!found.ok) return found;
  const customer = found.value;
  if (customer.status !== "active") return err(domainError("PAYOUT_INVALID", `A ${customer.status} customer cannot ask for a payout.`, { status: customer.status }));
  const now = ctx.clock.now();
  const holdings = await loadHoldingsOf(tx, program.id, [{ customerId: customer.id, asset: "cash" }], now, { lots: true });
  const writes = new LedgerWrites(program.id);
  const h = settleInto(ctx, writes, holdings.get(holdingKey(customer.id, "cash"))!, now);
  const payoutId = ctx.ids.next("pyt");
  const plan = planPayoutHold(h, input.amount, payoutId);
  if (!plan.ok) return plan;
  const txnId = ctx.ids.next("txn");
  writes.add(
    { id: txnId, type: "payout", customerId: customer.id, reference: `payout:${payoutId}`, reversesId: null, source: { kind: "payout", payoutId, actor: input.actor }, metadata: { payoutId, actor: input.actor }, effectiveAt: now },
    plan.value,
    applyPlan(h, plan.value),
  );
  await writes.flush(tx, now);
  await tx.execute(sql`insert into payouts (id, program_id, customer_id, amount, status, transaction_id, requested_at)
    values (${payoutId}, ${program.id}, ${customer.id}, ${input.amount}, 'pending', ${txnId}, ${now.toISOString()}::timestamptz)`);
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: "payout.requested", target: payoutId, reason: null, data: { customerId: customer.id, amount: input.amount, transactionId: txnId } });
  return getPayout(tx, program.id, program.currency, payoutId);
}
