import { sql } from "drizzle-orm";
import { err, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import type { Program } from "../programs/program.ts";
import { loadCheckoutState, type CheckoutInput } from "./checkout-state.ts";
import { checkCurrency, evaluateState, type CheckoutEvaluation } from "./evaluate-checkout.ts";

export interface CheckoutReservation extends CheckoutEvaluation {
  sessionId: string;
  expiresAt: string;
  /** The campaigns (and bulk codes) held for this session. */
  reservations: { campaignId: string; code: string | null }[];
}

/**
 * Prices the cart and holds, for the checkout session, one use of every applied campaign that has
 * limits (with what it takes of the campaign's money and points budgets) and of every single-use code
 * it applied with, until `ttlSeconds` from now. The limited
 * campaigns and the codes are locked while it counts, and other sessions' live holds count as used,
 * so there are never more holds than uses left. Asking again for the same session replaces its holds;
 * completing the order ends them.
 *
 * Errors: CURRENCY_MISMATCH.
 */
export async function reserveCheckout(ctx: AppContext, tx: Tx, program: Program, input: CheckoutInput & { sessionId: string; ttlSeconds: number }): Promise<Result<CheckoutReservation, DomainError>> {
  const bad = checkCurrency(program, input);
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const state = await loadCheckoutState(ctx, tx, program, input, { lock: true });
  const ev = evaluateState(ctx, program, state);
  await tx.execute(sql`update campaign_reservations set ended_at = ${now.toISOString()}::timestamptz where program_id = ${program.id} and session_id = ${input.sessionId} and ended_at is null`);
  const expires = new Date(now.getTime() + input.ttlSeconds * 1000);
  const held = ev.applied
    .map((a) => ({ campaignId: a.campaignId, code: a.code !== null && state.bulkCodes.get(a.code) === a.campaignId ? a.code : null, money: a.discount + a.shippingDiscount, points: a.bonusPoints }))
    .filter((h) => state.limited.has(h.campaignId) || h.code !== null);
  for (const h of held) {
    // What the use takes of the campaign's budgets is held too, as a completion will count it.
    await tx.execute(sql`insert into campaign_reservations (id, program_id, session_id, campaign_id, code, customer_keys, money, points, expires_at, created_at)
      values (${ctx.ids.next("rsv")}, ${program.id}, ${input.sessionId}, ${h.campaignId}, ${h.code}, ${textArray(state.customerKeys)}, ${h.money}, ${h.points}, ${expires.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)`);
  }
  return ok({ ...ev, sessionId: input.sessionId, expiresAt: expires.toISOString(), reservations: held.map((h) => ({ campaignId: h.campaignId, code: h.code })) });
}

/** Ends a session's holds (the customer left the checkout). Returns how many were live. */
export async function releaseCheckout(ctx: AppContext, tx: Tx, program: Program, sessionId: string): Promise<{ released: number }> {
  const now = ctx.clock.now().toISOString();
  const r = await tx.execute(sql`update campaign_reservations set ended_at = ${now}::timestamptz where program_id = ${program.id} and session_id = ${sessionId} and ended_at is null and expires_at > ${now}::timestamptz`);
  return { released: (r as unknown as { rowCount?: number; affectedRows?: number }).rowCount ?? (r as unknown as { affectedRows?: number }).affectedRows ?? 0 };
}
