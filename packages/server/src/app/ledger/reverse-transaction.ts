import { sql } from "drizzle-orm";
import { applyPlan, domainError, EXPIRED, err, isMoneyAsset, ok, planReversal, type Asset, type DomainError, type Posting, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor, type Tx } from "../../db/connect.ts";
import { LedgerWrites, loadHoldings } from "../../db/ledger-repo.ts";
import { textArray } from "../../db/sql-arrays.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "./settle-holdings.ts";
import { getTransaction, type TransactionView } from "./read-ledger.ts";

/** Transactions that are corrected by something else, not by a reversal. */
const NOT_REVERSIBLE: Record<string, string> = {
  reversal: "A reversal cannot itself be reversed; record a new adjustment instead.",
  release: "A release only moves a customer's own value from pending to available.",
  expiry: "Expired value is restored with a credit adjustment, which gets a new expiry date.",
  refund: "A refund clawback is corrected by the store's order events, not by a reversal.",
  redemption: "Cancel the redemption instead (POST /v1/redemptions/{id}/cancel): that returns the points and the stock.",
  // Stamp cards (docs/stamps.md): the reward of a completed card stays given, so its stamps stay spent.
  stamp_completion: "A completed stamp card's reward was given; its stamps stay spent.",
  // Wallets (docs/wallet.md): these move money that a payout or a checkout keeps track of.
  payment: "Roll the checkout back instead (POST /v1/carts/rollback): that refunds every payment of the order.",
  payment_refund: "A checkout rollback is final; record a wallet adjustment instead.",
  payout: "Reject the payout instead (POST /v1/payouts/{id}/reject): that returns the money to the cash balance.",
  payout_paid: "A paid payout left the program; record a wallet adjustment instead.",
  payout_returned: "A rejected payout is final; the customer may ask for a new one.",
};

/**
 * Reverses a transaction with a new one whose postings mirror it; the original is never changed,
 * and the database lets a transaction be reversed only once. Taking back value the customer has
 * already spent fails with INSUFFICIENT_POINTS unless `force`, which records a clawback. The part of a
 * credit that has expired is not taken back (expiry already took it; metadata.expired says how much),
 * and a credit that expired whole is REVERSAL_NOT_ALLOWED with `details.expired`.
 *
 * Errors: TRANSACTION_NOT_FOUND, ALREADY_REVERSED, REVERSAL_NOT_ALLOWED, INSUFFICIENT_POINTS (INSUFFICIENT_FUNDS for
 * wallet money).
 */
export async function reverseTransaction(
  ctx: AppContext,
  tx: Tx,
  program: Program,
  transactionId: string,
  input: { reason: string; actor: string; force: boolean },
): Promise<Result<TransactionView, DomainError>> {
  const found = await getTransaction(tx, program.id, transactionId);
  if (!found.ok) return found;
  const original = found.value;
  const why = NOT_REVERSIBLE[original.type];
  if (why) return err(domainError("REVERSAL_NOT_ALLOWED", `A ${original.type} transaction cannot be reversed. ${why}`, { type: original.type }));
  if (!original.customerId) return err(domainError("REVERSAL_NOT_ALLOWED", "Only customer transactions can be reversed."));
  const now = ctx.clock.now();
  const postings: Posting[] = original.postings.map((p) => ({ source: p.source, destination: p.destination, asset: p.asset as Posting["asset"], amount: p.amount, lotId: p.lotId }));
  // The balance the transaction moved: points, or a wallet asset (bonus, cash, a gift card's money).
  const assets = [...new Set(postings.map((p) => p.asset))];
  if (assets.length !== 1) return err(domainError("REVERSAL_NOT_ALLOWED", "Only a transaction that moves one asset can be reversed.", { assets }));
  // An order's earn and its refunds share one account of what was earned (orders.points_* for points,
  // order_earnings for bonus and cash): lock the order first (the order ingest locks in), refuse once
  // refunds have taken some back, and count this credit as taken back after, so a later refund takes
  // at most the rest. An order may have several credits (`order-credit:2:{id}` for a rule's own expiry).
  const earned = original.type === "earn" && (original.reference?.startsWith("order:") || original.reference?.startsWith("order-credit:")) ? await lockOrderEarning(tx, program.id, orderIdOf(original), assets[0]!) : null;
  const holdings = await loadHoldings(tx, program.id, [original.customerId], assets[0]!, now, { lots: true, alsoLotIds: postings.flatMap((p) => (p.lotId ? [p.lotId] : [])) });
  // Checked under the balance lock: a concurrent reversal of the same transaction waits here, then sees this row.
  const [already] = await rows<{ id: string }>(tx, sql`select id from ledger_transactions where reverses_id = ${transactionId}`);
  if (already) return err(domainError("ALREADY_REVERSED", `Transaction ${transactionId} was already reversed by ${already.id}.`, { reversalId: already.id }));
  if (earned?.refundsTook) {
    return err(domainError("REVERSAL_NOT_ALLOWED", `This order has refunds that already took ${assets[0]} back; correct it with its refund events or an adjustment.`, { reference: original.reference }));
  }
  let h = holdings.get(original.customerId)!;
  const writes = new LedgerWrites(program.id);
  const settled = settleInto(ctx, writes, h, now);
  // Settling drops emptied lots, but a reversal may refill the ones the original transaction named: keep them.
  h = { ...settled, lots: [...settled.lots, ...h.lots.filter((l) => l.remaining === 0 && !settled.lots.some((x) => x.id === l.id))] };
  const expired = await expiredFromCredit(tx, program.id, original.customerId, assets[0]!, postings, writes);
  const expiredTotal = [...expired.values()].reduce((a, n) => a + n, 0);
  const plan = planReversal(h, postings, input.force, expired);
  if (!plan.ok && plan.error.code === "INSUFFICIENT_POINTS" && isMoneyAsset(h.asset)) return err(domainError("INSUFFICIENT_FUNDS", plan.error.message, { asset: h.asset, ...plan.error.details }));
  if (!plan.ok) return plan;
  if (plan.value.postings.length === 0) {
    return err(domainError("REVERSAL_NOT_ALLOWED", `All ${expiredTotal} of this credit expired: expiry already took it back from the customer, so there is nothing left to reverse.`, { expired: expiredTotal }));
  }
  const id = ctx.ids.next("txn");
  writes.add(
    { id, type: "reversal", customerId: original.customerId, reference: null, reversesId: transactionId, source: { kind: "reversal", actor: input.actor }, metadata: { reason: input.reason, actor: input.actor, reversedType: original.type, ...(expiredTotal > 0 ? { expired: expiredTotal } : {}) }, effectiveAt: now },
    plan.value,
    applyPlan(h, plan.value),
  );
  await writes.flush(tx, now);
  if (earned) await markTakenBack(tx, earned, (original.changes[assets[0]!]?.available ?? 0) + (original.changes[assets[0]!]?.pending ?? 0));
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: "transaction.reversed", target: transactionId, reason: input.reason, data: { reversalId: id, force: input.force } });
  const view = await getTransaction(tx, program.id, id);
  return view.ok ? ok(view.value) : err(domainError("INTERNAL", "The reversal was written but could not be read back."));
}

/**
 * Per lot the credit `postings` made, how much expiry has removed from it: the expiry transactions
 * already written, and the one this request's settlement is about to write (in `pending`). A reversal
 * does not take that part back again (planReversal). Found through the customer's transactions, which
 * are indexed, rather than by lot id, which postings are not.
 */
async function expiredFromCredit(ex: Executor, programId: string, customerId: string, asset: Asset, postings: readonly Posting[], pending: LedgerWrites): Promise<Map<string, number>> {
  const lotIds = [...new Set(postings.flatMap((p) => (p.lotId && p.destination.startsWith("customer:") ? [p.lotId] : [])))];
  const out = new Map<string, number>();
  if (lotIds.length === 0) return out;
  const add = (lotId: string, n: number) => out.set(lotId, (out.get(lotId) ?? 0) + n);
  const written = await rows<{ lot_id: string; amount: number }>(
    ex,
    sql`select p.lot_id, sum(p.amount)::float8 as amount
          from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
         where t.program_id = ${programId} and t.customer_id = ${customerId} and t.type = 'expiry'
           and p.destination = ${EXPIRED} and p.asset = ${asset} and p.lot_id = any(${textArray(lotIds)})
         group by p.lot_id`,
  );
  for (const r of written) add(r.lot_id, Number(r.amount));
  for (const p of pending.postings) if (p.destination === EXPIRED && p.asset === asset && p.lot_id && lotIds.includes(p.lot_id)) add(p.lot_id, p.amount);
  return out;
}

/** The store's id of the order an `order:…` earn was for (rules' credits say it in their metadata, which further credits, `order-credit:{n}:{id}`, always have). */
const orderIdOf = (t: TransactionView): string => (typeof t.metadata.orderId === "string" ? t.metadata.orderId : t.reference!.slice("order:".length));

interface OrderEarningLock {
  orderId: string;
  asset: Asset;
  /** Whether a refund of the order took some of `asset` back (shortfalls included). */
  refundsTook: boolean;
}

/**
 * Locks the order (and its row of what it earned in `asset`), or null: no such order, or it earned none of that asset.
 * Refunds are told by the refunds' own records: the order's clawed-back total also counts reversals of its credits,
 * so reversing one of two credits read as "has refunds" and the other could not be reversed.
 */
async function lockOrderEarning(ex: Executor, programId: string, externalId: string, asset: Asset): Promise<OrderEarningLock | null> {
  const took = asset === "points"
    ? sql`exists (select 1 from refunds r where r.order_id = o.id and r.points_clawed_back + r.shortfall > 0)`
    : sql`exists (select 1 from refunds r where r.order_id = o.id and r.wallet_clawed_back -> ${asset} is not null)`;
  const [o] = await rows<{ id: string; took: boolean }>(
    ex,
    asset === "points"
      ? sql`select o.id, ${took} as took from orders o where o.program_id = ${programId} and o.external_id = ${externalId} for update`
      : sql`select o.id, ${took} as took from orders o join order_earnings e on e.order_id = o.id and e.asset = ${asset}
             where o.program_id = ${programId} and o.external_id = ${externalId} for update of o, e`,
  );
  return o ? { orderId: o.id, asset, refundsTook: o.took === true || String(o.took) === "true" } : null;
}

/**
 * Counts the reversed credit as taken back. It was the order's whole earning: reversing a rule's second
 * credit (40 of 140) marked all 140 taken back, and a full refund then took none of the other 100.
 */
async function markTakenBack(ex: Executor, e: OrderEarningLock, amount: number): Promise<void> {
  await ex.execute(
    e.asset === "points"
      ? sql`update orders set points_clawed_back = least(points_earned, points_clawed_back + ${amount}) where id = ${e.orderId}`
      : sql`update order_earnings set clawed_back = least(earned, clawed_back + ${amount}) where order_id = ${e.orderId} and asset = ${e.asset}`,
  );
}
