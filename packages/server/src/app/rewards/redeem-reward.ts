import { and, eq, ne, sql } from "drizzle-orm";
import {
  applyPlan, compileCondition, DAY_MS, domainError, EMPTY_ORDER, err, formatCode, ok, periodKey, planDebit, REDEEMED, runCondition, celVariables,
  type DomainError, type Holdings, type Result,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { redemptions, rewards } from "../../db/schema.ts";
import { LedgerWrites, loadHoldings } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { loadCustomerFacts } from "../rules/rule-facts.ts";
import { toRedemption, type Redemption } from "./reward.ts";

const AT_CHECKOUT = new Set(["fixed_discount", "percent_discount", "free_product", "free_shipping"]);

/**
 * Buys a reward with points, in one transaction: the customer's balance row is locked (so their
 * redemptions run one at a time), then the reward's row (so stock is never oversold), then a partner
 * code is drawn with SKIP LOCKED (so concurrent redemptions never get the same one). Only then is
 * anything written: the points are debited from available lots, soonest-expiring first, to the
 * `redeemed` account, and the redemption is recorded with its code or fulfilment status.
 *
 * Errors: CUSTOMER_NOT_FOUND, REWARD_NOT_FOUND, REWARD_NOT_AVAILABLE (disabled, outside its dates, the
 * customer does not meet its condition, the customer is blocked), REWARD_LIMIT_REACHED,
 * REWARD_OUT_OF_STOCK, INSUFFICIENT_POINTS.
 */
export async function redeemReward(ctx: AppContext, tx: Tx, program: Program, externalId: string, rewardId: string, actor: string): Promise<Result<Redemption, DomainError>> {
  const found = await getCustomer(tx, program.id, externalId);
  if (!found.ok) return found;
  const customer = found.value;
  const now = ctx.clock.now();
  const holdings = await loadHoldings(tx, program.id, [customer.id], "points", now, { lots: true });
  const [reward] = await tx.select().from(rewards).where(and(eq(rewards.programId, program.id), eq(rewards.id, rewardId))).for("update");
  if (!reward || reward.status === "archived") return err(domainError("REWARD_NOT_FOUND", `No reward "${rewardId}" in this program.`, { rewardId }));
  const unavailable = (why: string) => err(domainError("REWARD_NOT_AVAILABLE", why, { rewardId }));
  if (reward.status !== "enabled") return unavailable("This reward is not offered at the moment.");
  if (reward.activeFrom && now < reward.activeFrom) return unavailable(`This reward is offered from ${reward.activeFrom.toISOString()}.`);
  if (reward.activeTo && now >= reward.activeTo) return unavailable(`This reward was offered until ${reward.activeTo.toISOString()}.`);
  if (customer.status !== "active") return unavailable("This customer cannot redeem rewards (blocked).");
  if (reward.condition) {
    const compiled = compileCondition(reward.condition);
    const facts = await loadCustomerFacts(tx, program.id, [customer.id], now, program.timeZone);
    const input = { event: { id: "", type: "reward.redeem", name: "", occurredAt: now, data: {} }, order: EMPTY_ORDER, customer: facts.get(customer.id)!, now, timeZone: program.timeZone };
    const outcome = compiled.ok ? runCondition(compiled.value, input, celVariables(input)) : { error: compiled.error.message };
    if (!("matched" in outcome) || !outcome.matched) return unavailable("This customer does not meet the reward's condition.");
  }
  const limit = reward.perCustomer as { max: number; per: "day" | "week" | "month" | "year" | "lifetime" } | null;
  if (limit) {
    // Counted under the customer's balance lock, so two concurrent redemptions cannot both pass.
    const earlier = await tx.select({ at: redemptions.createdAt }).from(redemptions)
      .where(and(eq(redemptions.programId, program.id), eq(redemptions.customerId, customer.id), eq(redemptions.rewardId, reward.id), ne(redemptions.status, "cancelled")));
    const current = periodKey(limit.per, now, program.timeZone);
    const used = earlier.filter((r) => periodKey(limit.per, r.at, program.timeZone) === current).length;
    if (used >= limit.max) return err(domainError("REWARD_LIMIT_REACHED", `This customer has redeemed this reward ${used} time(s) this ${limit.per}; the limit is ${limit.max}.`, { rewardId, limit: limit.max, per: limit.per }));
  }
  if (reward.stock !== null && reward.issued >= reward.stock) return err(domainError("REWARD_OUT_OF_STOCK", "This reward is out of stock.", { rewardId }));
  let partnerCode: string | null = null;
  if (reward.kind === "partner_coupon") {
    const [free] = await rows<{ code: string }>(
      tx,
      sql`select code from reward_pool_codes where reward_id = ${reward.id} and redemption_id is null order by code limit 1 for update skip locked`,
    );
    if (!free) return err(domainError("REWARD_OUT_OF_STOCK", "This reward's codes have all been handed out.", { rewardId }));
    partnerCode = free.code;
  }
  const issued = await debitAndIssue(ctx, tx, program, customer.id, holdings.get(customer.id)!, {
    rewardId: reward.id,
    reward: { name: reward.name, kind: reward.kind, config: reward.config, minOrder: reward.minOrder },
    points: reward.cost,
    code: AT_CHECKOUT.has(reward.kind) ? ctx.secrets.rewardCode() : null,
    partnerCode,
    fulfilment: reward.kind === "physical_gift" ? "pending" : null,
    expiresAt: reward.validDays ? new Date(now.getTime() + reward.validDays * DAY_MS) : null,
    actor,
  });
  if (!issued.ok) return issued;
  const { id, row } = issued.value;
  await tx.update(rewards).set({ issued: sql`${rewards.issued} + 1` }).where(eq(rewards.id, reward.id));
  if (partnerCode !== null) await tx.execute(sql`update reward_pool_codes set redemption_id = ${id} where reward_id = ${reward.id} and code = ${partnerCode}`);
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "reward.redeemed", target: customer.id, reason: null, data: { rewardId: reward.id, redemptionId: id, points: reward.cost } });
  return ok(toRedemption(row!, externalId, now, formatCode));
}

/**
 * The writing half of a redemption, once everything is checked: debits the points (available lots,
 * soonest-expiring first, to `redeemed`) and records the redemption. `holdings` must be locked.
 * Error: INSUFFICIENT_POINTS (nothing written).
 */
export async function debitAndIssue(
  ctx: AppContext,
  tx: Tx,
  program: Program,
  customerId: string,
  holdings: Holdings,
  x: { rewardId: string; reward: Record<string, unknown>; points: number; code: string | null; partnerCode: string | null; fulfilment: string | null; expiresAt: Date | null; actor: string },
): Promise<Result<{ id: string; row: typeof redemptions.$inferSelect }, DomainError>> {
  const now = ctx.clock.now();
  const writes = new LedgerWrites(program.id);
  const h = settleInto(ctx, writes, holdings, now);
  const debit = planDebit(h, { amount: x.points, destination: REDEEMED, onShortfall: "reject" });
  if (!debit.ok) return debit;
  const id = ctx.ids.next("red");
  const txnId = ctx.ids.next("txn");
  writes.add(
    { id: txnId, type: "redemption", customerId, reference: `redemption:${id}`, reversesId: null, source: { kind: "reward", rewardId: x.rewardId, name: x.reward.name }, metadata: { rewardId: x.rewardId, redemptionId: id, actor: x.actor }, effectiveAt: now },
    debit.value,
    applyPlan(h, debit.value),
  );
  await writes.flush(tx, now);
  const [row] = await tx
    .insert(redemptions)
    .values({
      id, programId: program.id, customerId, rewardId: x.rewardId, reward: x.reward, points: x.points, status: "issued", code: x.code, partnerCode: x.partnerCode,
      fulfilment: x.fulfilment, transactionId: txnId, returnTransactionId: null, usedOrderId: null, usedAt: null, expiresAt: x.expiresAt, createdAt: now, updatedAt: now,
    })
    .returning();
  return ok({ id, row: row! });
}
