import { applyRate, DAY_MS, domainError, err, formatCode, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { loadHoldings } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { debitAndIssue } from "./redeem-reward.ts";
import { toRedemption, type Redemption } from "./reward.ts";

/** The redemptions of pay-with-points name this instead of a catalogue reward. */
export const PAY_WITH_POINTS = "pay_with_points";

/**
 * Points as money off an order, at the program's `payWithPoints` rate: the points are debited now and
 * a one-off code for the money is issued, which the order then carries (`data.codes`) like any reward
 * code. Cancelling it gives the points back; refunding the order in full too.
 *
 * Errors: CUSTOMER_NOT_FOUND, REWARD_NOT_AVAILABLE (the program does not offer it, the customer is
 * blocked), POINTS_AMOUNT_INVALID (under the minimum, over the maximum, not a multiple of the step,
 * more than the order), INSUFFICIENT_POINTS.
 */
export async function payWithPoints(ctx: AppContext, tx: Tx, program: Program, externalId: string, input: { points: number; orderTotal?: number | undefined }, actor: string): Promise<Result<Redemption, DomainError>> {
  const setting = program.payWithPoints;
  if (!setting) return err(domainError("REWARD_NOT_AVAILABLE", "This program does not offer paying with points; set payWithPoints on the program.", { rewardId: PAY_WITH_POINTS }));
  const { points } = input;
  const invalid = (message: string) => err(domainError("POINTS_AMOUNT_INVALID", message, { points, minPoints: setting.minPoints, maxPoints: setting.maxPoints, step: setting.step }));
  if (points < setting.minPoints) return invalid(`At least ${setting.minPoints} points per order.`);
  if (points > setting.maxPoints) return invalid(`At most ${setting.maxPoints} points per order.`);
  if (points % setting.step !== 0) return invalid(`Points are spent in steps of ${setting.step}.`);
  const amount = applyRate(points, setting.money, setting.points, "floor");
  if (input.orderTotal !== undefined && amount > input.orderTotal) return invalid(`${points} points are ${amount} off, more than the order's ${input.orderTotal}.`);
  const found = await getCustomer(tx, program.id, externalId);
  if (!found.ok) return found;
  if (found.value.status !== "active") return err(domainError("REWARD_NOT_AVAILABLE", "This customer cannot redeem rewards (blocked).", { rewardId: PAY_WITH_POINTS }));
  const now = ctx.clock.now();
  const holdings = await loadHoldings(tx, program.id, [found.value.id], "points", now, { lots: { spend: points } });
  const issued = await debitAndIssue(ctx, tx, program, found.value.id, holdings.get(found.value.id)!, {
    rewardId: PAY_WITH_POINTS,
    reward: { name: `${points} ${program.pointsPlural} off`, kind: "fixed_discount", config: { amount }, minOrder: null },
    points,
    code: ctx.secrets.rewardCode(),
    partnerCode: null,
    fulfilment: null,
    expiresAt: new Date(now.getTime() + setting.validDays * DAY_MS),
    actor,
  });
  if (!issued.ok) return issued;
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "points.paid", target: found.value.id, reason: null, data: { points, amount, redemptionId: issued.value.id } });
  return ok(toRedemption(issued.value.row, externalId, now, formatCode));
}
