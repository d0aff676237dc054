import { sql } from "drizzle-orm";
import { domainError, err, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import type { Program } from "../programs/program.ts";
import { reverseTransaction } from "../ledger/reverse-transaction.ts";
import type { CheckoutCompletion } from "./complete-checkout.ts";
import { refundCheckoutPayments } from "../wallet/checkout-payments.ts";

/**
 * Undoes an order's promotions, once: every campaign's uses, budgets and per-customer counters, the
 * codes' uses, the bonus points (reversed; a spent balance goes negative through a clawback) and the
 * follow-up codes (voided, spent or not), and refunds the wallet payments (gift cards, bonus, cash) into the lots they
 * came from. The completion row is locked first, so of two concurrent rollbacks one
 * takes effect and the other finds it done (`effect: "already_rolled_back"`).
 *
 * Errors: ORDER_NOT_FOUND.
 */
export async function rollbackCheckout(ctx: AppContext, tx: Tx, program: Program, orderId: string, input: { reason: string; actor: string }): Promise<Result<CheckoutCompletion & { effect: "rolled_back" | "already_rolled_back" }, DomainError>> {
  const [row] = await rows<{ result: CheckoutCompletion | string; rolled_back_at: Date | string | null }>(
    tx,
    sql`select result, rolled_back_at from cart_completions where program_id = ${program.id} and order_id = ${orderId} for update`,
  );
  if (!row) return err(domainError("ORDER_NOT_FOUND", `No completed checkout for order "${orderId}".`, { orderId }));
  const result = typeof row.result === "string" ? (JSON.parse(row.result) as CheckoutCompletion) : row.result;
  if (row.rolled_back_at !== null) return ok({ ...result, effect: "already_rolled_back" });
  const now = ctx.clock.now();

  const reds = await rows<{ id: string; campaign_id: string; code: string | null; customer_keys: string[]; period: string | null; discount: number; points: number; transaction_id: string | null; counted: boolean }>(
    tx,
    sql`select id, campaign_id, code, customer_keys, period, discount::float8 as discount, points::float8 as points, transaction_id, counted
          from campaign_redemptions where program_id = ${program.id} and order_id = ${orderId} and status = 'applied' order by campaign_id`,
  );
  // Same lock order as a completion: codes, then campaigns, then counters, then balances.
  // A code is given back to the campaign it was used with: a reusable code freed by archiving may
  // since be another campaign's bulk code, whose uses are not this order's to give back.
  const used = reds.flatMap((r) => (r.code ? [{ code: r.code, campaign_id: r.campaign_id }] : [])).sort((a, b) => (a.code < b.code ? -1 : 1));
  if (used.length) {
    await tx.execute(sql`update campaign_codes k set used = k.used - 1 from jsonb_to_recordset(${JSON.stringify(used)}::jsonb) as x(code text, campaign_id text)
      where k.program_id = ${program.id} and k.code = x.code and k.campaign_id = x.campaign_id and k.used > 0`);
  }
  // Only limited campaigns keep counters (complete-checkout.ts), and `counted` says which did.
  for (const r of reds.filter((x) => x.counted)) {
    await tx.execute(sql`update campaigns set redeemed = redeemed - 1, budget_money_used = budget_money_used - ${r.discount}, budget_points_used = budget_points_used - ${r.points} where id = ${r.campaign_id}`);
  }
  for (const r of reds.filter((x) => x.counted && x.period !== null)) {
    await tx.execute(sql`update campaign_counters set used = used - 1 where campaign_id = ${r.campaign_id} and customer_key = any(${textArray(r.customer_keys)}) and period = ${r.period} and used > 0`);
  }
  // Wallet payments come back (gift card money to its card). Every balance this rollback touches, the
  // bonus points' included, is locked here in one statement; the reversals below re-lock rows this
  // transaction already holds.
  let payments = result.payments;
  if (payments?.transactions?.length) {
    const pointsTxns = reds.flatMap((r) => (r.transaction_id ? [r.transaction_id] : []));
    const holders = pointsTxns.length
      ? await rows<{ customer_id: string }>(tx, sql`select distinct customer_id from ledger_transactions where program_id = ${program.id} and id = any(${textArray(pointsTxns)})`)
      : [];
    const refunded = await refundCheckoutPayments(ctx, tx, program, payments, { orderId, reason: input.reason, actor: input.actor, alsoLock: holders.map((h) => ({ customerId: h.customer_id, asset: "points" as const })) });
    await refunded.writes.flush(tx, now);
    payments = refunded.payments;
  }
  for (const r of reds) {
    if (!r.transaction_id) continue;
    const rev = await reverseTransaction(ctx, tx, program, r.transaction_id, { reason: `promotion rolled back: ${input.reason}`, actor: input.actor, force: true });
    // Reversed already, or expired whole (expiry took the points back): nothing is left to take back.
    const nothingLeft = !rev.ok && (rev.error.code === "ALREADY_REVERSED" || (rev.error.code === "REVERSAL_NOT_ALLOWED" && rev.error.details?.expired !== undefined));
    if (!rev.ok && !nothingLeft) throw new Error(`rollback of ${orderId}: ${rev.error.message}`);
  }
  const followUps = result.followUpCodes.map((f) => f.code);
  if (followUps.length) {
    // Spent ones too: the order that spent one keeps its discount, but if that order is rolled back
    // later, the use it gives back must not revive a credit whose own order was cancelled.
    await tx.execute(sql`update campaign_codes set expires_at = least(coalesce(expires_at, ${now.toISOString()}::timestamptz), ${now.toISOString()}::timestamptz)
                          where program_id = ${program.id} and code = any(${textArray(followUps)})`);
  }
  await tx.execute(sql`update campaign_redemptions set status = 'rolled_back', rolled_back_at = ${now.toISOString()}::timestamptz where program_id = ${program.id} and order_id = ${orderId} and status = 'applied'`);
  const after: CheckoutCompletion = { ...result, ...(payments ? { payments } : {}), status: "rolled_back", rolledBackAt: now.toISOString() };
  await tx.execute(sql`update cart_completions set rolled_back_at = ${now.toISOString()}::timestamptz, result = ${JSON.stringify(after)}::jsonb where program_id = ${program.id} and order_id = ${orderId}`);
  return ok({ ...after, effect: "rolled_back" });
}
