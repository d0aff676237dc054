import { sql } from "drizzle-orm";
import { applyPlan, DAY_MS, domainError, err, expiresAt, normalizePromoCode, ok, pendingUntil, periodKey, planCredit, type DomainError, type Holdings, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { holdingKey, LedgerWrites, loadHoldings } from "../../db/ledger-repo.ts";
import { requestHash } from "../json.ts";
import type { Program } from "../programs/program.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { loadCheckoutState, type CheckoutInput } from "./checkout-state.ts";
import { checkCurrency, evaluateState, type CheckoutEvaluation } from "./evaluate-checkout.ts";
import { issuePersonalCode } from "./campaign-codes.ts";
import { payAtCheckout, type CheckoutPayments } from "../wallet/checkout-payments.ts";

export interface CheckoutCompletion extends CheckoutEvaluation {
  orderId: string;
  status: "completed" | "rolled_back";
  redemptions: { id: string; campaignId: string; code: string | null; discount: number; points: number; transactionId: string | null }[];
  followUpCodes: { campaignId: string; code: string; value: number | null; expiresAt: string }[];
  /** Codes drawn from partner pools (reward_pool_codes, marked with `order:{orderId}`). */
  partnerCodes: { campaignId: string; rewardId: string; code: string }[];
  completedAt: string;
  rolledBackAt?: string | null;
}

/**
 * The typed codes as the order's identity sees them: normalised, each once, sorted. The price never
 * depends on their order or on how they were typed, so a retry that lists them otherwise is the same
 * cart, not ORDER_CONFLICT.
 */
function codeSet(codes: readonly string[] | undefined): string[] | undefined {
  const set = new Set((codes ?? []).map((c) => normalizePromoCode(c) ?? c.trim()).filter((c) => c.length > 0));
  return set.size ? [...set].sort() : undefined;
}

/**
 * Records an order's promotions, atomically: the cart is priced again under the locks of the limited
 * campaigns and the typed codes (never the client's totals), then every applied campaign's counters,
 * the customer's per-period counters, the code's uses, the bonus points and the follow-up codes are
 * written in this transaction. The order id is the business key: the same order again returns the
 * first result (`replayed`), a different cart for it is ORDER_CONFLICT. The checkout session's
 * reservations end here. With `expectedTotal` (what the customer was shown), a cart that now prices
 * differently records nothing. With `payments`, the gift cards, bonus and cash pay their part of the
 * total in the same transaction (app/wallet/checkout-payments.ts); the store charges `amountDue`.
 *
 * Errors: CURRENCY_MISMATCH, ORDER_CONFLICT, CART_TOTAL_CHANGED, GIFT_CARD_NOT_FOUND,
 * GIFT_CARD_NOT_USABLE, INSUFFICIENT_FUNDS.
 */
export async function completeCheckout(ctx: AppContext, tx: Tx, program: Program, input: CheckoutInput & { orderId: string; expectedTotal?: number | undefined }): Promise<Result<CheckoutCompletion & { replayed: boolean }, DomainError>> {
  const bad = checkCurrency(program, input);
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const hash = requestHash({ ...input, sessionId: undefined, codes: codeSet(input.codes) });
  // What completions recorded before codes were hashed as a set: a retry of one of those still matches.
  const asTyped = requestHash({ ...input, sessionId: undefined });
  // Claim the order first: a concurrent completion of the same order waits here, then sees ours.
  const claimed = await rows<{ order_id: string }>(
    tx,
    sql`insert into cart_completions (program_id, order_id, request_hash, result, created_at) values (${program.id}, ${input.orderId}, ${hash}, '{}'::jsonb, ${now.toISOString()}::timestamptz)
        on conflict do nothing returning order_id`,
  );
  if (claimed.length === 0) {
    const [prior] = await rows<{ request_hash: string; result: CheckoutCompletion | string }>(tx, sql`select request_hash, result from cart_completions where program_id = ${program.id} and order_id = ${input.orderId}`);
    if (prior!.request_hash !== hash && prior!.request_hash !== asTyped) return err(domainError("ORDER_CONFLICT", `Order "${input.orderId}" was completed with a different cart.`, { orderId: input.orderId }));
    const result = typeof prior!.result === "string" ? (JSON.parse(prior!.result) as CheckoutCompletion) : prior!.result;
    return ok({ ...result, replayed: true });
  }

  const state = await loadCheckoutState(ctx, tx, program, input, { lock: true });
  const ev = evaluateState(ctx, program, state);
  if (input.expectedTotal !== undefined && ev.total !== input.expectedTotal) {
    // The price shown to the customer no longer holds (a code was used up meanwhile, a campaign
    // ended): record nothing, not even the claim, so the store can price again and retry.
    await tx.execute(sql`delete from cart_completions where program_id = ${program.id} and order_id = ${input.orderId}`);
    return err(domainError("CART_TOTAL_CHANGED", `The cart now totals ${ev.total}, not the expected ${input.expectedTotal}; nothing was recorded.`, { expected: input.expectedTotal, total: ev.total, refused: ev.refused }));
  }

  const txnByCampaign = new Map<string, string>();
  const givers = ev.applied.filter((a) => a.bonusPoints > 0);
  const pointsKeys = state.customerRowId && givers.length ? [{ customerId: state.customerRowId, asset: "points" as const }] : [];
  // Wallet payments (gift cards, bonus, cash), decided under the balance locks, which are taken with
  // the bonus points' balance in one statement. A payment that cannot be made records nothing.
  let paid: { payments: CheckoutPayments; holdings: Map<string, Holdings>; writes: LedgerWrites } | null = null;
  if (input.payments) {
    const r = await payAtCheckout(ctx, tx, program, {
      customerRowId: state.customerRowId, orderId: input.orderId, total: ev.total, request: input.payments, giftCardPurchase: input.lines.some((l) => l.giftCard === true), alsoLock: pointsKeys,
    });
    if (!r.ok) {
      await tx.execute(sql`delete from cart_completions where program_id = ${program.id} and order_id = ${input.orderId}`);
      return r;
    }
    paid = r.value;
  }

  // Bonus points, one ledger credit per campaign that gives some (members only).
  const writes = paid?.writes ?? new LedgerWrites(program.id);
  if (state.customerRowId && givers.length) {
    const locked = paid ? paid.holdings.get(holdingKey(state.customerRowId, "points"))! : (await loadHoldings(tx, program.id, [state.customerRowId], "points", now, { lots: { spend: 0 } })).get(state.customerRowId)!;
    let h = settleInto(ctx, writes, locked, now);
    const policy = program.ledgerPolicy;
    for (const a of givers) {
      const plan = planCredit(h, { amount: a.bonusPoints, lotId: ctx.ids.next("lot"), effectiveAt: now, pendingUntil: pendingUntil(policy.pendingDays, now), expiresAt: expiresAt(policy.expiry, now, program.timeZone), now });
      const id = ctx.ids.next("txn");
      h = applyPlan(h, plan);
      writes.add(
        { id, type: "earn", customerId: state.customerRowId, reference: `promotion:${input.orderId}:${a.campaignId}`, reversesId: null, source: { kind: "promotion", campaignId: a.campaignId, version: a.version, name: a.name }, metadata: { orderId: input.orderId }, effectiveAt: now },
        plan,
        h,
      );
      txnByCampaign.set(a.campaignId, id);
    }
  }
  await writes.flush(tx, now);

  const redemptions: CheckoutCompletion["redemptions"] = [];
  const redemptionRows = ev.applied.map((a) => {
    const per = state.limited.get(a.campaignId)?.def.limits.perCustomer;
    const r = {
      id: ctx.ids.next("prd"), campaign_id: a.campaignId, campaign_version: a.version, code: a.code, discount: a.discount + a.shippingDiscount, points: a.bonusPoints,
      transaction_id: txnByCampaign.get(a.campaignId) ?? null, period: per ? periodKey(per.per, now, program.timeZone) : null, counted: state.limited.has(a.campaignId),
    };
    redemptions.push({ id: r.id, campaignId: r.campaign_id, code: r.code, discount: r.discount, points: r.points, transactionId: r.transaction_id });
    return r;
  });
  if (redemptionRows.length) {
    await tx.execute(sql`insert into campaign_redemptions (id, program_id, campaign_id, campaign_version, code, order_id, customer_id, customer_keys, period, discount, points, transaction_id, counted, status, created_at)
      select x.id, ${program.id}, x.campaign_id, x.campaign_version, x.code, ${input.orderId}, ${state.customerRowId}, ${textArray(state.customerKeys)}, x.period, x.discount, x.points, x.transaction_id, x.counted, 'applied', ${now.toISOString()}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(redemptionRows)}::jsonb) as x(id text, campaign_id text, campaign_version int, code text, discount bigint, points bigint, transaction_id text, period text, counted boolean)`);
    // Counters of limited campaigns: their rows are locked (checkout-state.ts), so these cannot overrun.
    const counted = redemptionRows.filter((r) => r.counted).sort((a, b) => (a.campaign_id < b.campaign_id ? -1 : 1));
    for (const r of counted) {
      await tx.execute(sql`update campaigns set redeemed = redeemed + 1, budget_money_used = budget_money_used + ${r.discount}, budget_points_used = budget_points_used + ${r.points} where id = ${r.campaign_id}`);
    }
    const perCustomer = counted.filter((r) => r.period !== null);
    if (perCustomer.length && state.customerKeys.length) {
      const keys = perCustomer.flatMap((r) => state.customerKeys.map((k) => ({ campaign_id: r.campaign_id, customer_key: k, period: r.period! })));
      await tx.execute(sql`insert into campaign_counters (campaign_id, customer_key, period, used)
        select x.campaign_id, x.customer_key, x.period, 1 from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as x(campaign_id text, customer_key text, period text) order by 1, 2, 3
        on conflict (campaign_id, customer_key, period) do update set used = campaign_counters.used + 1`);
    }
    const bulk = redemptionRows.filter((r) => r.code !== null && state.bulkCodes.get(r.code) === r.campaign_id).map((r) => r.code!);
    if (bulk.length) await tx.execute(sql`update campaign_codes set used = used + 1 where program_id = ${program.id} and code = any(${textArray(bulk)})`);
  }
  if (input.sessionId) {
    await tx.execute(sql`update campaign_reservations set ended_at = ${now.toISOString()}::timestamptz where program_id = ${program.id} and session_id = ${input.sessionId} and ended_at is null`);
  }

  // Follow-up codes (personal codes of a bulk_codes campaign) and partner codes, issued now.
  const followUpCodes: CheckoutCompletion["followUpCodes"] = [];
  const partnerCodes: CheckoutCompletion["partnerCodes"] = [];
  for (const a of ev.applied) {
    for (const f of a.followUps) {
      const expires = new Date(now.getTime() + f.validDays * DAY_MS);
      const code = ctx.secrets.rewardCode();
      const issued = await issuePersonalCode(tx, { programId: program.id, campaignId: f.campaignId, code, customerId: state.customerRowId, value: f.value, expiresAt: expires, now });
      if (issued) followUpCodes.push({ campaignId: f.campaignId, code, value: f.value, expiresAt: expires.toISOString() });
      else ev.trace.push(`follow-up code of ${f.campaignId} not issued: it is not a live bulk_codes campaign`);
    }
    for (const p of a.partnerCodes) {
      // One free code of the pool, taken under its row lock; SKIP LOCKED lets concurrent orders take different ones.
      const [drawn] = await rows<{ code: string }>(
        tx,
        sql`update reward_pool_codes set redemption_id = ${`order:${input.orderId}`}
             where (reward_id, code) = (select reward_id, code from reward_pool_codes where reward_id = ${p.rewardId} and redemption_id is null order by code limit 1 for update skip locked)
             returning code`,
      );
      if (drawn) partnerCodes.push({ campaignId: a.campaignId, rewardId: p.rewardId, code: drawn.code });
      else ev.trace.push(`partner code of ${p.rewardId} not issued: its pool is empty`);
    }
  }

  const result: CheckoutCompletion = { ...ev, ...(paid ? { payments: paid.payments } : {}), orderId: input.orderId, status: "completed", redemptions, followUpCodes, partnerCodes, completedAt: now.toISOString(), rolledBackAt: null };
  await tx.execute(sql`update cart_completions set result = ${JSON.stringify(result)}::jsonb where program_id = ${program.id} and order_id = ${input.orderId}`);
  return ok({ ...result, replayed: false });
}
