import { and, eq, ne, sql } from "drizzle-orm";
import {
  applyPlan, cashPendingUntil, compileCondition, DAY_MS, expiresAt, planCredit, walletPolicy, type RewardConfig, domainError, EMPTY_ORDER, err, formatCode, ok, periodKey, planDebit, REDEEMED, runCondition, celVariables,
  type DomainError, type Holdings, type Result,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { redemptions, rewards } from "../../db/schema.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf, loadLotsToSpend } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { loadCustomerFacts } from "../rules/rule-facts.ts";
import { AT_CHECKOUT, toRedemption, type Redemption } from "./reward.ts";


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
  // A wallet credit also writes the wallet: both balances are locked in one statement (the lock-order
  // rule, db/ledger-repo.ts), before the reward row, as every ledger writer does. The kind never
  // changes; the asset is read again under the lock below.
  const [peek] = await tx.select({ kind: rewards.kind, config: rewards.config }).from(rewards).where(and(eq(rewards.programId, program.id), eq(rewards.id, rewardId)));
  const creditAsset = peek?.kind === "wallet_credit" ? (peek.config as RewardConfig).asset ?? null : null;
  const keys = [{ customerId: customer.id, asset: "points" as const }, ...(creditAsset ? [{ customerId: customer.id, asset: creditAsset }] : [])];
  const holdings = await loadHoldingsOf(tx, program.id, keys, now, { lots: false });
  const [reward] = await tx.select().from(rewards).where(and(eq(rewards.programId, program.id), eq(rewards.id, rewardId))).for("update");
  if (!reward || reward.status === "archived") return err(domainError("REWARD_NOT_FOUND", `No reward "${rewardId}" in this program.`, { rewardId }));
  // The lots, under the balance locks taken above: of the points, only those spending the cost can
  // touch; of a wallet credited, only those due to settle (ledger-repo.ts, loadLotsToSpend).
  for (const k of keys) holdings.get(holdingKey(k.customerId, k.asset))!.lots = await loadLotsToSpend(tx, program.id, k.customerId, k.asset, now, k.asset === "points" ? reward.cost : 0);
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
  const config = reward.config as RewardConfig;
  let credit: WalletCredit | null = null;
  if (reward.kind === "wallet_credit") {
    const wallet = config.asset ? holdings.get(holdingKey(customer.id, config.asset)) : undefined;
    if (!wallet) return unavailable("This reward was changed while it was being redeemed; try again.");
    credit = {
      holdings: wallet,
      amount: config.amount ?? 0,
      pendingUntil: config.asset === "cash" ? cashPendingUntil(walletPolicy(program.wallet), now) : null,
      expiresAt: config.expiry ? expiresAt(config.expiry, now, program.timeZone) : null,
    };
  }
  const issued = await debitAndIssue(ctx, tx, program, customer.id, holdings.get(holdingKey(customer.id, "points"))!, {
    rewardId: reward.id,
    reward: { name: reward.name, kind: reward.kind, config: reward.config, minOrder: reward.minOrder },
    points: reward.cost,
    code: AT_CHECKOUT.has(reward.kind) ? ctx.secrets.rewardCode() : null,
    partnerCode,
    fulfilment: reward.kind === "physical_gift" ? "pending" : null,
    expiresAt: reward.validDays ? new Date(now.getTime() + reward.validDays * DAY_MS) : null,
    actor,
    credit,
  });
  if (!issued.ok) return issued;
  const { id, row } = issued.value;
  await tx.update(rewards).set({ issued: sql`${rewards.issued} + 1` }).where(eq(rewards.id, reward.id));
  if (partnerCode !== null) await tx.execute(sql`update reward_pool_codes set redemption_id = ${id} where reward_id = ${reward.id} and code = ${partnerCode}`);
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "reward.redeemed", target: customer.id, reason: null, data: { rewardId: reward.id, redemptionId: id, points: reward.cost } });
  return ok(toRedemption(row!, externalId, now, formatCode));
}

/** A wallet credit bought with points: credited in the redemption's own ledger transaction. */
export interface WalletCredit {
  /** The customer's bonus or cash holdings, locked. */
  holdings: Holdings;
  amount: number;
  pendingUntil: Date | null;
  expiresAt: Date | null;
}

/**
 * The writing half of a redemption, once everything is checked: debits the points (available lots,
 * soonest-expiring first, to `redeemed`) and records the redemption. `holdings` must be locked.
 * With `credit`, the same ledger transaction credits the wallet (one transaction, two assets, each
 * balanced on its own) and the redemption is `used` at once: the customer already has what they bought.
 * Error: INSUFFICIENT_POINTS (nothing written).
 */
export async function debitAndIssue(
  ctx: AppContext,
  tx: Tx,
  program: Program,
  customerId: string,
  holdings: Holdings,
  x: { rewardId: string; reward: Record<string, unknown>; points: number; code: string | null; partnerCode: string | null; fulfilment: string | null; expiresAt: Date | null; actor: string; credit?: WalletCredit | null },
): Promise<Result<{ id: string; row: typeof redemptions.$inferSelect }, DomainError>> {
  const now = ctx.clock.now();
  const writes = new LedgerWrites(program.id);
  const h = settleInto(ctx, writes, holdings, now);
  const debit = planDebit(h, { amount: x.points, destination: REDEEMED, onShortfall: "reject" });
  if (!debit.ok) return debit;
  const id = ctx.ids.next("red");
  const txnId = ctx.ids.next("txn");
  const afters = [applyPlan(h, debit.value)];
  let plan = debit.value;
  if (x.credit) {
    const w = settleInto(ctx, writes, x.credit.holdings, now);
    const credit = planCredit(w, { amount: x.credit.amount, lotId: ctx.ids.next("lot"), effectiveAt: now, pendingUntil: x.credit.pendingUntil, expiresAt: x.credit.expiresAt, now });
    plan = { ...plan, postings: [...plan.postings, ...credit.postings], newLots: [...plan.newLots, ...credit.newLots], lotUpdates: [...plan.lotUpdates, ...credit.lotUpdates] };
    afters.push(applyPlan(w, credit));
  }
  writes.add(
    { id: txnId, type: "redemption", customerId, reference: `redemption:${id}`, reversesId: null, source: { kind: "reward", rewardId: x.rewardId, name: x.reward.name }, metadata: { rewardId: x.rewardId, redemptionId: id, actor: x.actor }, effectiveAt: now },
    plan,
    afters,
  );
  await writes.flush(tx, now);
  const [row] = await tx
    .insert(redemptions)
    .values({
      id, programId: program.id, customerId, rewardId: x.rewardId, reward: x.reward, points: x.points, status: x.credit ? "used" : "issued", code: x.code, partnerCode: x.partnerCode,
      fulfilment: x.fulfilment, transactionId: txnId, returnTransactionId: null, usedOrderId: null, usedAt: x.credit ? now : null, expiresAt: x.expiresAt, createdAt: now, updatedAt: now,
    })
    .returning();
  return ok({ id, row: row! });
}
