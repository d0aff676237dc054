import { applyPlan, cashPendingUntil, domainError, err, expiresAt, ok, planCredit, planWalletDebit, walletPolicy, WORLD, type DomainError, type ExpiryPolicy, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { getTransaction, type TransactionView } from "../ledger/read-ledger.ts";
import type { WalletAsset } from "./read-wallet.ts";

export interface WalletAdjustmentInput {
  asset: WalletAsset;
  /** Minor units: positive credits, negative debits. Never zero. */
  amount: number;
  reason: string;
  actor: string;
  /** When a credit expires; absent: never (wallet money does not follow the points' expiry). */
  expiry?: ExpiryPolicy | undefined;
}

/**
 * A manual credit or debit of a customer's bonus or cash balance, with a reason and an actor, in the
 * audit log. A debit never takes a balance below zero. A bonus credit is available at once; a cash
 * credit is held for the wallet's `payouts.holdDays` like every cash credit.
 *
 * Errors: CUSTOMER_NOT_FOUND, INSUFFICIENT_FUNDS.
 */
export async function adjustWallet(ctx: AppContext, tx: Tx, program: Program, externalId: string, input: WalletAdjustmentInput): Promise<Result<TransactionView, DomainError>> {
  const found = await getCustomer(tx, program.id, externalId);
  if (!found.ok) return found;
  const customer = found.value;
  const now = ctx.clock.now();
  const holdings = await loadHoldingsOf(tx, program.id, [{ customerId: customer.id, asset: input.asset }], now, { lots: true });
  const writes = new LedgerWrites(program.id);
  const h = settleInto(ctx, writes, holdings.get(holdingKey(customer.id, input.asset))!, now);
  let plan;
  if (input.amount > 0) {
    const until = input.asset === "cash" ? cashPendingUntil(walletPolicy(program.wallet), now) : null;
    plan = planCredit(h, { amount: input.amount, lotId: ctx.ids.next("lot"), effectiveAt: now, pendingUntil: until, expiresAt: input.expiry ? expiresAt(input.expiry, now, program.timeZone) : null, now });
  } else {
    const debit = planWalletDebit(h, -input.amount, WORLD);
    if (!debit.ok) return debit;
    plan = debit.value;
  }
  const id = ctx.ids.next("txn");
  writes.add(
    { id, type: "adjustment", customerId: customer.id, reference: null, reversesId: null, source: { kind: "manual", actor: input.actor }, metadata: { reason: input.reason, actor: input.actor, asset: input.asset }, effectiveAt: now },
    plan,
    applyPlan(h, plan),
  );
  await writes.flush(tx, now);
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: "wallet.adjusted", target: customer.id, reason: input.reason, data: { asset: input.asset, amount: input.amount, transactionId: id } });
  const view = await getTransaction(tx, program.id, id);
  return view.ok ? ok(view.value) : err(domainError("INTERNAL", "The adjustment was written but could not be read back."));
}
