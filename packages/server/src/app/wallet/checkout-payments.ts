import { sql } from "drizzle-orm";
import {
  applyPlan, checkPaymentSplit, err, giftCardRefusal, normalizeGiftCardCode, ok, planReversal, planWalletDebit, splitPayment, walletPolicy, WORLD, type Asset,
  type DomainError, type GiftCardSource, type GiftCardStatus, type Holdings, type PaymentRequest, type PaymentSplit, type Posting, type Result,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor, type Tx } from "../../db/connect.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf, type HoldingKey } from "../../db/ledger-repo.ts";
import { textArray } from "../../db/sql-arrays.ts";
import type { Program } from "../programs/program.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { giftCardNotFound } from "../gift-cards/gift-card.ts";
import { readHoldings } from "./wallet-holdings.ts";

/** One ledger transaction of a checkout's wallet payment, and its refund once the checkout is rolled back. */
export interface PaymentTransaction {
  source: "gift_card" | "bonus" | "cash";
  giftCardId: string | null;
  code: string | null;
  amount: number;
  transactionId: string;
  refundTransactionId: string | null;
}

/** What the wallet pays for a checkout; a completion adds the ledger transactions that paid it. */
export interface CheckoutPayments extends PaymentSplit {
  transactions?: PaymentTransaction[];
}

interface CardRow {
  id: string;
  code: string;
  status: GiftCardStatus;
  expires_at: string | Date | null;
}

/** The typed codes, normalised and without repeats, in the order given (an unusable one keeps its typed form). */
function typedCodes(request: PaymentRequest): { typed: string; code: string | null }[] {
  const seen = new Set<string>();
  const out: { typed: string; code: string | null }[] = [];
  for (const typed of request.giftCards ?? []) {
    const code = normalizeGiftCardCode(typed);
    const key = code ?? typed.trim();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ typed: typed.trim(), code });
  }
  return out;
}

async function loadCards(ex: Executor, programId: string, codes: string[], lock: boolean): Promise<Map<string, CardRow>> {
  if (codes.length === 0) return new Map();
  const rs = await rows<CardRow>(
    ex,
    sql`select id, code, status, expires_at from gift_cards where program_id = ${programId} and code = any(${textArray(codes)}) order by id ${lock ? sql`for update` : sql``}`,
  );
  return new Map(rs.map((r) => [r.code, r]));
}

/** The balances a payment request reaches: the customer's bonus and cash (members only), each found card's money. */
function paymentKeys(customerRowId: string | null, request: PaymentRequest, cards: Map<string, CardRow>): HoldingKey[] {
  const keys: HoldingKey[] = [];
  if (customerRowId && request.bonus !== undefined) keys.push({ customerId: customerRowId, asset: "bonus" });
  if (customerRowId && request.cash !== undefined) keys.push({ customerId: customerRowId, asset: "cash" });
  for (const c of cards.values()) keys.push({ customerId: c.id, asset: "gift_card" });
  return keys;
}

function split(program: Program, x: { customerRowId: string | null; total: number; request: PaymentRequest; giftCardPurchase: boolean }, cards: Map<string, CardRow>, holdings: Map<string, Holdings>, now: Date) {
  const balance = (customerId: string, asset: Asset) => Math.max(0, holdings.get(holdingKey(customerId, asset))?.available ?? 0);
  const giftCards: GiftCardSource[] = typedCodes(x.request).map(({ typed, code }) => {
    const card = code === null ? undefined : cards.get(code);
    if (!card) return { code: code ?? typed, giftCardId: null, available: 0, refusal: giftCardNotFound(typed) };
    const refusal = giftCardRefusal({ code: card.code, status: card.status, expiresAt: card.expires_at === null ? null : new Date(card.expires_at) }, now);
    return { code: card.code, giftCardId: card.id, available: refusal ? 0 : balance(card.id, "gift_card"), refusal };
  });
  const sources = { giftCards, bonus: x.customerRowId ? balance(x.customerRowId, "bonus") : 0, cash: x.customerRowId ? balance(x.customerRowId, "cash") : 0 };
  return { sources, split: splitPayment({ total: x.total, request: x.request, sources, policy: walletPolicy(program.wallet), giftCardPurchase: x.giftCardPurchase }) };
}

/**
 * What the wallet would pay for a priced cart (no writes, no locks): gift cards first, then bonus,
 * then cash (core `splitPayment`), with each card that cannot pay and each number a balance does
 * not cover shown, not refused: the completion refuses them.
 */
export async function evaluatePayments(ctx: AppContext, ex: Executor, program: Program, x: { customerRowId: string | null; total: number; request: PaymentRequest; giftCardPurchase: boolean }): Promise<CheckoutPayments> {
  const now = ctx.clock.now();
  const cards = await loadCards(ex, program.id, typedCodes(x.request).flatMap((t) => (t.code ? [t.code] : [])), false);
  const holdings = await readHoldings(ex, program.id, paymentKeys(x.customerRowId, x.request, cards), now);
  return split(program, x, cards, holdings, now).split;
}

/**
 * Takes a checkout's wallet payments, inside the completion's transaction: the gift cards' rows are
 * locked (id order), then every balance the payments touch and `alsoLock` (the bonus points' balance)
 * in one statement; the split is decided on the locked balances and each source that pays gets a
 * `payment` transaction to `world`. Nothing is written to the database here: the caller flushes
 * `writes` with its own, or records nothing when this refuses.
 *
 * Errors: GIFT_CARD_NOT_FOUND, GIFT_CARD_NOT_USABLE (disabled, expired, or paying for a gift card),
 * INSUFFICIENT_FUNDS (a number asked of a balance that no longer covers it).
 */
export async function payAtCheckout(
  ctx: AppContext,
  tx: Tx,
  program: Program,
  x: { customerRowId: string | null; orderId: string; total: number; request: PaymentRequest; giftCardPurchase: boolean; alsoLock: HoldingKey[] },
): Promise<Result<{ payments: CheckoutPayments; holdings: Map<string, Holdings>; writes: LedgerWrites }, DomainError>> {
  const now = ctx.clock.now();
  const cards = await loadCards(tx, program.id, typedCodes(x.request).flatMap((t) => (t.code ? [t.code] : [])), true);
  const keys = paymentKeys(x.customerRowId, x.request, cards);
  const holdings = await loadHoldingsOf(tx, program.id, [...keys, ...x.alsoLock], now, { lots: true });
  const writes = new LedgerWrites(program.id);
  // Expired money must not pay: settle what is due first.
  for (const k of keys) holdings.set(holdingKey(k.customerId, k.asset), settleInto(ctx, writes, holdings.get(holdingKey(k.customerId, k.asset))!, now));
  const { sources, split: s } = split(program, x, cards, holdings, now);
  const refused = checkPaymentSplit(s, sources);
  if (refused) return err(refused);
  const transactions: PaymentTransaction[] = [];
  const debit = (holder: string, asset: Asset, amount: number, t: Omit<PaymentTransaction, "transactionId" | "refundTransactionId" | "amount">): DomainError | null => {
    if (amount <= 0) return null;
    const key = holdingKey(holder, asset);
    const h = holdings.get(key)!;
    const plan = planWalletDebit(h, amount, WORLD);
    if (!plan.ok) return plan.error;
    const id = ctx.ids.next("txn");
    const after = applyPlan(h, plan.value);
    const reference = `checkout:${x.orderId}:${asset === "gift_card" ? `gift_card:${holder}` : asset}`;
    writes.add({ id, type: "payment", customerId: holder, reference, reversesId: null, source: { kind: "checkout", orderId: x.orderId }, metadata: { orderId: x.orderId, ...(t.code ? { code: t.code } : {}) }, effectiveAt: now }, plan.value, after);
    holdings.set(key, after);
    transactions.push({ ...t, amount, transactionId: id, refundTransactionId: null });
    return null;
  };
  for (const g of s.giftCards) {
    const bad = g.giftCardId ? debit(g.giftCardId, "gift_card", g.amount, { source: "gift_card", giftCardId: g.giftCardId, code: g.code }) : null;
    if (bad) return err(bad);
  }
  for (const asset of ["bonus", "cash"] as const) {
    const p = s[asset];
    const bad = p && x.customerRowId ? debit(x.customerRowId, asset, p.amount, { source: asset, giftCardId: null, code: null }) : null;
    if (bad) return err(bad);
  }
  return ok({ payments: { ...s, transactions }, holdings, writes });
}

/**
 * Refunds a rolled-back checkout's wallet payments: each payment transaction is reversed into the
 * lots it took from (so bonus keeps its expiry and gift card money goes back to its card). Every
 * balance involved, with `alsoLock`, is locked in one statement. Written through the caller's flush.
 */
export async function refundCheckoutPayments(
  ctx: AppContext,
  tx: Tx,
  program: Program,
  payments: CheckoutPayments,
  x: { orderId: string; reason: string; actor: string; alsoLock: HoldingKey[] },
): Promise<{ payments: CheckoutPayments; writes: LedgerWrites }> {
  const now = ctx.clock.now();
  const writes = new LedgerWrites(program.id);
  const open = (payments.transactions ?? []).filter((t) => t.refundTransactionId === null);
  const txns = open.length
    ? await rows<{ id: string; customer_id: string; postings: { source: string; destination: string; asset: Asset; amount: number; lotId: string | null }[] | string }>(
        tx,
        sql`select t.id, t.customer_id,
                   (select json_agg(json_build_object('source', p.source, 'destination', p.destination, 'asset', p.asset, 'amount', p.amount, 'lotId', p.lot_id) order by p.id)
                      from ledger_postings p where p.transaction_id = t.id) as postings
              from ledger_transactions t where t.program_id = ${program.id} and t.id = any(${textArray(open.map((t) => t.transactionId))})`,
      )
    : [];
  const byId = new Map(txns.map((t) => [t.id, { customerId: t.customer_id, postings: (typeof t.postings === "string" ? JSON.parse(t.postings) : t.postings) as Posting[] }]));
  const keys: HoldingKey[] = open.map((t) => ({ customerId: byId.get(t.transactionId)!.customerId, asset: t.source }));
  const lotIds = [...byId.values()].flatMap((t) => t.postings.flatMap((p) => (p.lotId ? [p.lotId] : [])));
  const holdings = await loadHoldingsOf(tx, program.id, [...keys, ...x.alsoLock], now, { lots: true, alsoLotIds: lotIds });
  const settled = new Set<string>();
  const refunds = new Map<string, string>();
  for (const t of open) {
    const original = byId.get(t.transactionId)!;
    const key = holdingKey(original.customerId, t.source);
    let h = holdings.get(key)!;
    if (!settled.has(key)) {
      settled.add(key);
      const after = settleInto(ctx, writes, h, now);
      // Settling drops emptied lots; the refund refills the ones the payment took from: keep them.
      h = { ...after, lots: [...after.lots, ...h.lots.filter((l) => l.remaining === 0 && !after.lots.some((a) => a.id === l.id))] };
    }
    const postings = original.postings.map((p) => ({ ...p, amount: Number(p.amount) }));
    const back = planReversal(h, postings, false);
    // Putting money back never falls short: a failure here is a bug, not a refusal.
    if (!back.ok) throw new Error(`refund of ${t.transactionId}: ${back.error.message}`);
    const id = ctx.ids.next("txn");
    const after = applyPlan(h, back.value);
    writes.add(
      { id, type: "payment_refund", customerId: original.customerId, reference: `${t.transactionId}:refund`, reversesId: t.transactionId, source: { kind: "checkout_rollback", orderId: x.orderId, actor: x.actor }, metadata: { orderId: x.orderId, reason: x.reason, actor: x.actor }, effectiveAt: now },
      back.value,
      after,
    );
    holdings.set(key, after);
    refunds.set(t.transactionId, id);
  }
  return {
    payments: { ...payments, transactions: (payments.transactions ?? []).map((t) => ({ ...t, refundTransactionId: refunds.get(t.transactionId) ?? t.refundTransactionId })) },
    writes,
  };
}
