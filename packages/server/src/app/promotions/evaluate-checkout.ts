import { domainError, err, evaluateCart, ok, type CartEvaluation, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { loadCheckoutState, type CheckoutInput, type CheckoutState } from "./checkout-state.ts";

export interface CheckoutEvaluation extends CartEvaluation {
  /** The store's customer id, when the cart was priced for a member. */
  customerId: string | null;
  guest: boolean;
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
    usage: state.usage, earn: state.earn, trace: state.trace,
  });
  return { ...ev, customerId: state.customerRowId ? state.customer.id : null, guest: state.customerRowId === null };
}

/**
 * Prices a cart (no writes): every campaign that applies, the new totals, the gift lines, the refused
 * codes with typed reasons, the points the order would earn and a trace. Prices come from the request's
 * lines; a client cannot send a discount or a total, they are always computed here.
 *
 * Errors: CURRENCY_MISMATCH.
 */
export async function evaluateCheckout(ctx: AppContext, ex: Executor, program: Program, input: CheckoutInput): Promise<Result<CheckoutEvaluation, DomainError>> {
  const bad = checkCurrency(program, input);
  if (bad) return err(bad);
  const state = await loadCheckoutState(ctx, ex, program, input, { lock: false });
  return ok(evaluateState(ctx, program, state));
}
