import { domainError, err, evaluateCart, ok, type CartEvaluation, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { loadCheckoutState, type CheckoutInput, type CheckoutState } from "./checkout-state.ts";
import { evaluatePayments, type CheckoutPayments } from "../wallet/checkout-payments.ts";

export interface CheckoutEvaluation extends CartEvaluation {
  /** The store's customer id, when the cart was priced for a member. */
  customerId: string | null;
  guest: boolean;
  /** With `payments` in the request: what gift cards, bonus and cash pay of the total, and what is left to pay. */
  payments?: CheckoutPayments;
}

/** Error: CURRENCY_MISMATCH. */
export function checkCurrency(program: Program, input: CheckoutInput): DomainError | null {
  if (input.currency !== undefined && input.currency !== program.currency) {
    return domainError("CURRENCY_MISMATCH", `This program's currency is ${program.currency}; the cart is in ${input.currency}.`, { expected: program.currency, got: input.currency });
  }
  return null;
}

/** Runs the pure evaluation over a loaded state. */
export function evaluateState(ctx: AppContext, program: Program, state: CheckoutState): CheckoutEvaluation {
  const ev = evaluateCart({
    cart: state.cart, customer: state.customer, now: ctx.clock.now(), timeZone: program.timeZone, guard: program.marginGuard, automatic: state.automatic, codes: state.codes,
    usage: state.usage, anonymous: state.customerKeys.length === 0, earn: state.earn, trace: state.trace, otherAudiences: state.otherAudiences,
  });
  return { ...ev, customerId: state.customerRowId ? state.customer.id : null, guest: state.customerRowId === null };
}

/**
 * Prices a cart (no writes): every campaign that applies, the new totals, the gift lines, the refused
 * codes with typed reasons, the points the order would earn and a trace. Prices come from the request's
 * lines; a client cannot send a discount or a total, they are always computed here. With `payments`,
 * also how the total would be paid from gift cards, bonus and cash (docs/wallet.md).
 *
 * Errors: CURRENCY_MISMATCH.
 */
export async function evaluateCheckout(ctx: AppContext, ex: Executor, program: Program, input: CheckoutInput): Promise<Result<CheckoutEvaluation, DomainError>> {
  const bad = checkCurrency(program, input);
  if (bad) return err(bad);
  const state = await loadCheckoutState(ctx, ex, program, input, { lock: false });
  const ev = evaluateState(ctx, program, state);
  if (!input.payments) return ok(ev);
  const payments = await evaluatePayments(ctx, ex, program, { customerRowId: state.customerRowId, total: ev.total, request: input.payments, giftCardPurchase: input.lines.some((l) => l.giftCard === true) });
  return ok({ ...ev, payments });
}
