import { err, ok, type Result } from "../result.ts";
import { domainError, type DomainError } from "../errors.ts";
import { WORLD } from "../ledger/accounts.ts";
import { planDebit } from "../ledger/plan.ts";
import { emptyPlan, type Holdings, type Plan } from "../ledger/types.ts";

export const PAYOUT_STATUSES = ["pending", "approved", "paid", "rejected"] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];
export const PAYOUT_ACTIONS = ["approve", "pay", "reject"] as const;
export type PayoutAction = (typeof PAYOUT_ACTIONS)[number];

/**
 * The system account that holds a payout's money between the request and its end: the amount left
 * the customer's cash balance when it was asked for, so it can neither be spent nor asked for twice.
 */
export const payoutHoldAccount = (payoutId: string) => `payout:${payoutId}`;

const NEXT: Record<PayoutAction, { from: readonly PayoutStatus[]; to: PayoutStatus }> = {
  approve: { from: ["pending"], to: "approved" },
  pay: { from: ["approved"], to: "paid" },
  reject: { from: ["pending", "approved"], to: "rejected" },
};

/**
 * The payout state machine: pending → approved → paid, and pending or approved → rejected. Paid and
 * rejected are final.
 *
 * Errors: PAYOUT_STATE_CONFLICT (the action does not apply to the payout's status).
 *
 * @example payoutTransition("pending", "pay") // err PAYOUT_STATE_CONFLICT: approve it first
 */
export function payoutTransition(from: PayoutStatus, action: PayoutAction): Result<PayoutStatus, DomainError> {
  const rule = NEXT[action];
  if (rule.from.includes(from)) return ok(rule.to);
  const hint = action === "pay" && from === "pending" ? " Approve it first." : from === "paid" || from === "rejected" ? ` A ${from} payout is final.` : "";
  return err(domainError("PAYOUT_STATE_CONFLICT", `A ${from} payout cannot be ${PAST[action]}.${hint}`, { status: from, action, allowedFrom: [...rule.from] }));
}

const PAST: Record<PayoutAction, string> = { approve: "approved", pay: "paid", reject: "rejected" };

/**
 * A debit of a wallet balance (bonus, cash or a gift card): available lots, soonest-expiring first,
 * never below zero. The same as `planDebit` with the wallet's error.
 *
 * Errors: INSUFFICIENT_FUNDS (`details.asset`, `available`, `required`).
 */
export function planWalletDebit(h: Holdings, amount: number, destination: string): Result<Plan, DomainError> {
  const r = planDebit(h, { amount, destination, onShortfall: "reject" });
  if (r.ok) return r;
  const have = Math.max(0, h.available);
  return err(domainError("INSUFFICIENT_FUNDS", `The ${h.asset} balance has ${have} available; ${amount} is needed.`, { asset: h.asset, available: have, required: amount }));
}

/**
 * A payout request: the amount leaves the customer's available cash for the payout's hold account.
 * Only cash: the bonus balance is never paid out, so a payout of any other asset is refused here too.
 *
 * Errors: PAYOUT_INVALID (not the cash balance), INSUFFICIENT_FUNDS.
 */
export function planPayoutHold(h: Holdings, amount: number, payoutId: string): Result<Plan, DomainError> {
  if (h.asset !== "cash") return err(domainError("PAYOUT_INVALID", `Only the cash balance can be paid out, not ${h.asset}.`, { asset: h.asset }));
  return planWalletDebit(h, amount, payoutHoldAccount(payoutId));
}

/** A paid payout: its hold goes to `world` (the money left the program for the customer's bank). */
export function planPayoutPaid(amount: number, payoutId: string): Plan {
  const plan = emptyPlan();
  plan.postings.push({ source: payoutHoldAccount(payoutId), destination: WORLD, asset: "cash", amount, lotId: null });
  return plan;
}
