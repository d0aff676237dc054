import { sql, type SQL } from "drizzle-orm";
import {
  applyPlan, expiresAt, giveStamps, planCredit, planDebit, qualifyingLines, stampCounterKeys, stampsAsset, stampsToTakeBack, CounterBook, customerWithoutHistory, REDEEMED, WORLD, pushTo,
  type CelOrder, type CompiledStampCard, type Holdings, type StampOutcome,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor, type Tx } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { holdingKey, loadLots, type HoldingKey, type LedgerWrites, type TransactionMeta } from "../../db/ledger-repo.ts";
import type { OrderState } from "../../db/orders-repo.ts";
import type { Program } from "../programs/program.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { counterCte, lockCounters } from "../rules/rule-counters.ts";
import type { ProgramStampCards } from "./stamp-card-store.ts";
import { celOrder, decideOrderCompleted } from "../events/order-decisions.ts";
import type { EventInput } from "../events/event-input.ts";
import type { FreeRewards } from "../rewards/free-rewards.ts";
import type { StampEffect, StampRewardGiven, StampTakeBack, StampTrigger } from "./stamp-effects.ts";
import { creditReference, readOrderCredits, type OrderCredit } from "./stamp-credits.ts";

interface Intent {
  key: string;
  customerId: string;
  card: CompiledStampCard;
  wanted: number;
  lines: number[];
  at: Date;
}

/**
 * The most cards one order or confirmation completes: each completion writes a transaction and a
 * reward, and an order of a million units on a card of 2 must not write half a million. Stamps beyond
 * wait on the card and complete with the next stamps (docs/stamps.md).
 */
export const MAX_COMPLETIONS_PER_EVENT = 100;

/**
 * Stamp cards inside one database transaction: an ingest batch (order.completed gives stamps,
 * order.refunded takes them back) or a staff confirmation. The steps interleave with the caller's
 * own, like the earning rules (event-rules.ts):
 *
 * 1. `open` reads the program's cards from the cache; null when the program has none, so a program
 *    without stamp cards pays nothing more than a map lookup per batch.
 * 2. `addOrder` / `addRefunds` / `addConfirmation` say what the batch may do, before any lock; orders
 *    are judged line by line here (pure), so only the (customer, card) balances that get stamps are locked.
 * 3. The caller locks `holdingKeys` with every other balance of the transaction, in one statement.
 * 4. `prepare` loads those balances' lots, the limit counters, and, only when a card may complete,
 *    the next completion numbers and the reward rows (locked through the transaction's FreeRewards,
 *    after the balances and the redemptions).
 * 5. `applyOrder` / `applyRefund` / `applyConfirmation` decide in memory and record ledger writes;
 *    a full card's catalogue reward is given through FreeRewards.
 * 6. `ctes` adds the counters and completions to the caller's single write statement; the caller adds
 *    the FreeRewards' own (the redemptions and the rewards' issued counts).
 */
export class StampBatch {
  private readonly orders = new Map<number, Intent[]>();
  private readonly confirmations = new Map<string, Intent>();
  private readonly dbCredits = new Map<string, OrderCredit[]>();
  private readonly batchCredits = new Map<string, OrderCredit[]>();
  private readonly refundKeys: HoldingKey[] = [];
  private readonly settled = new Set<string>();
  private counters = new CounterBook();
  private readonly sequences = new Map<string, number>();
  private readonly completions: { id: string; card_id: string; customer_id: string; sequence: number; transaction_id: string; redemption_id: string | null; completed_at: string }[] = [];

  private constructor(
    private readonly ctx: AppContext,
    private readonly program: Program,
    private readonly cards: ProgramStampCards,
    private readonly rewards: FreeRewards,
  ) {}

  /** The program's stamp cards for this transaction, or null when it has none at all. `rewards` gives full cards' catalogue rewards. */
  static async open(ctx: AppContext, ex: Executor, program: Program, rewards: FreeRewards): Promise<StampBatch | null> {
    const cards = await ctx.stamps.cards(ex, program.id);
    return cards.all.size === 0 ? null : new StampBatch(ctx, program, cards, rewards);
  }

  /**
   * The stamp cards of an ingest batch: orders of active customers are judged now, and the stamps of
   * refunded orders recorded before the batch are read. Null when the program has no stamp cards.
   */
  static async forEvents(
    ctx: AppContext,
    tx: Tx,
    program: Program,
    events: readonly { e: EventInput; i: number; customer: { id: string; status: string } }[],
    knownOrders: ReadonlyMap<string, OrderState>,
    rewards: FreeRewards,
    now: Date,
  ): Promise<StampBatch | null> {
    const batch = await StampBatch.open(ctx, tx, program, rewards);
    if (!batch) return null;
    const refunds: { customerId: string; orderExternalId: string }[] = [];
    for (const { e, i, customer } of events) {
      if (e.type === "order.completed" && customer.status === "active" && batch.cards.enabled.length > 0) {
        const at = e.occurredAt ?? now;
        const d = decideOrderCompleted({ program, data: e.data, orderId: "", customerId: customer.id, customerExternalId: e.customerId, occurredAt: at });
        if (d.ok) batch.addOrder(i, customer.id, celOrder(d.value), e.id, at);
      } else if (e.type === "order.refunded" && knownOrders.has(e.data.orderId)) {
        refunds.push({ customerId: customer.id, orderExternalId: e.data.orderId });
      }
    }
    await batch.addRefunds(tx, refunds);
    return batch;
  }

  /** The enabled card `id`, or its status when it is not enabled ("missing" when the program has no such card). */
  card(id: string): CompiledStampCard | "disabled" | "archived" | "missing" {
    const c = this.cards.enabled.find((x) => x.id === id);
    if (c) return c;
    const s = this.cards.all.get(id)?.status;
    return s === "disabled" || s === "archived" ? s : "missing";
  }

  /** Event i, an order of an active customer: each enabled card judges its lines now (no lock needed). */
  addOrder(i: number, customerId: string, order: CelOrder, eventId: string, at: Date): void {
    if (this.cards.enabled.length === 0) return;
    const input = { event: { id: eventId, type: "order.completed", name: "", occurredAt: at, data: {} }, order, customer: NO_CUSTOMER, now: at, timeZone: this.program.timeZone };
    const intents: Intent[] = [];
    for (const card of this.cards.enabled) {
      const q = qualifyingLines(card, input);
      if (q.error) this.ctx.log.warn({ programId: this.program.id, cardId: card.id, eventId, error: q.error }, "stamp card condition failed on a line; the line does not qualify");
      if (q.stamps > 0) intents.push({ key: holdingKey(customerId, stampsAsset(card.id)), customerId, card, wanted: q.stamps, lines: q.lines, at });
    }
    if (intents.length > 0) this.orders.set(i, intents);
  }

  /** A staff confirmation of `count` stamps on an enabled card (see card()). */
  addConfirmation(id: string, customerId: string, card: CompiledStampCard, count: number, at: Date): void {
    this.confirmations.set(id, { key: holdingKey(customerId, stampsAsset(card.id)), customerId, card, wanted: count, lines: [], at });
  }

  /**
   * Refunds of orders recorded before this batch: reads the stamps each order gave (its credits are
   * immutable, so no lock is needed), so the balances they sit on are locked with the others. Orders
   * recorded in this batch are known from applyOrder.
   */
  async addRefunds(ex: Executor, refunds: readonly { customerId: string; orderExternalId: string }[]): Promise<void> {
    if (refunds.length === 0) return;
    for (const { orderId, ...credit } of await readOrderCredits(ex, this.program.id, this.cards.all.keys(), refunds.map((r) => r.orderExternalId))) {
      pushTo(this.dbCredits, orderId, credit);
      this.refundKeys.push({ customerId: credit.customerId, asset: stampsAsset(credit.cardId) });
    }
  }

  /** Every balance the batch may touch: stamps of the cards that stamp, and points for cards whose reward is points. */
  get holdingKeys(): HoldingKey[] {
    const out: HoldingKey[] = [...this.refundKeys];
    for (const intent of this.intents()) {
      out.push({ customerId: intent.customerId, asset: stampsAsset(intent.card.id) });
      if (intent.card.def.reward.kind === "points") out.push({ customerId: intent.customerId, asset: "points" });
    }
    return out;
  }

  private *intents(): Iterable<Intent> {
    for (const list of this.orders.values()) yield* list;
    yield* this.confirmations.values();
  }

  /** Call once the balances of holdingKeys are locked (and after any redemption rows the caller locks). */
  async prepare(tx: Tx, holdings: Map<string, Holdings>, _now: Date): Promise<void> {
    const intents = [...this.intents()];
    const stampKeys = new Map<string, HoldingKey>();
    for (const k of [...this.refundKeys, ...intents.map((x) => ({ customerId: x.customerId, asset: stampsAsset(x.card.id) }))]) stampKeys.set(holdingKey(k.customerId, k.asset), k);
    if (stampKeys.size === 0) return;
    // Lots of the stamp balances: expiry, completions (soonest-expiring first) and refunds need them.
    const byAsset = new Map<string, string[]>();
    for (const k of stampKeys.values()) pushTo(byAsset, k.asset, k.customerId);
    const lots = new Map<string, Holdings["lots"]>();
    for (const [asset, ids] of byAsset) {
      for (const l of await loadLots(tx, this.program.id, ids, asset as Holdings["asset"])) {
        const k = holdingKey(l.customerId, l.asset);
        pushTo(lots, k, l);
      }
    }
    for (const k of stampKeys.keys()) holdings.set(k, { ...holdings.get(k)!, lots: lots.get(k) ?? [] });
    // Limits: a customer's counters are read without a row lock; their stamp balance lock covers them.
    const tz = this.program.timeZone;
    this.counters = await lockCounters(tx, this.program.id, intents.flatMap((x) => stampCounterKeys(x.card, x.customerId, x.at, tz)));
    // Cards that may complete: what is on them plus everything the batch may add reaches N.
    const wanted = new Map<string, { card: CompiledStampCard; customerId: string; n: number; events: number }>();
    for (const x of intents) {
      const w = wanted.get(x.key) ?? { card: x.card, customerId: x.customerId, n: 0, events: 0 };
      w.n += x.wanted;
      w.events += 1;
      wanted.set(x.key, w);
    }
    const full = [...wanted.entries()]
      .map(([k, w]) => ({ ...w, possible: Math.min(Math.floor((Math.max(0, holdings.get(k)!.available) + w.n) / w.card.def.stamps), MAX_COMPLETIONS_PER_EVENT * w.events) }))
      .filter((w) => w.possible > 0);
    if (full.length === 0) return;
    const seq = await rows<{ card_id: string; customer_id: string; n: number }>(
      tx,
      sql`select card_id, customer_id, max(sequence)::int as n from stamp_completions
           where program_id = ${this.program.id} and card_id = any(${textArray([...new Set(full.map((f) => f.card.id))])}) and customer_id = any(${textArray([...new Set(full.map((f) => f.customerId))])})
           group by card_id, customer_id`,
    );
    for (const f of full) this.sequences.set(`${f.card.id}|${f.customerId}`, 0);
    for (const r of seq) this.sequences.set(`${r.card_id}|${r.customer_id}`, Number(r.n));
    // The rewards to give, locked in id order (stock is counted under the lock, as redeemReward does).
    const wantRewards = new Map<string, number>();
    for (const f of full) if (f.card.def.reward.kind === "reward") wantRewards.set(f.card.def.reward.rewardId, (wantRewards.get(f.card.def.reward.rewardId) ?? 0) + f.possible);
    await this.rewards.lock(tx, wantRewards);
  }

  /** Stamps for event i (an order added with addOrder), with its completions. Null when no card stamps it. */
  applyOrder(i: number, orderId: string, eventId: string, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): { effects: StampEffect[]; points: number } | null {
    const intents = this.orders.get(i);
    if (!intents) return null;
    const effects: StampEffect[] = [];
    let points = 0;
    for (const intent of intents) {
      const r = this.give(intent, { kind: "order", eventId, orderId }, creditReference(intent.card.id, orderId), holdings, ledger, now);
      effects.push(r.effect);
      points += r.points;
      if (r.lotId) {
        const credit: OrderCredit = { cardId: intent.card.id, customerId: intent.customerId, lotId: r.lotId, given: r.effect.added, per: intent.card.def.per, maxPerOrder: intent.card.def.maxPerOrder ?? null, lines: intent.lines };
        pushTo(this.batchCredits, orderId, credit);
      }
    }
    return { effects, points };
  }

  /** Stamps of a staff confirmation added with addConfirmation. */
  applyConfirmation(trigger: Extract<StampTrigger, { kind: "confirmation" }>, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): { effect: StampEffect; points: number } {
    const intent = this.confirmations.get(trigger.confirmationId)!;
    const r = this.give(intent, trigger, `stamps:${intent.card.id}:confirmation:${trigger.confirmationId}`, holdings, ledger, now);
    return { effect: r.effect, points: r.points };
  }

  /**
   * A refund of `order` (already updated with this refund by decideOrderRefunded): each card the
   * order stamped keeps at most what its unrefunded qualifying lines would give, and nothing once the
   * order is refunded in full (core stampsToTakeBack). Only stamps of the order's own lot are taken:
   * stamps that completed a card stay used and the reward stays given. Null when the order has no stamps.
   */
  applyRefund(order: OrderState, refundId: string, eventId: string, at: Date, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): StampTakeBack[] | null {
    const credits = this.batchCredits.get(order.externalId) ?? this.dbCredits.get(order.externalId);
    if (!credits) return null;
    const out: StampTakeBack[] = [];
    for (const c of credits) {
      const key = holdingKey(c.customerId, stampsAsset(c.cardId));
      const h = this.settle(key, holdings, ledger, now);
      const onCard = h.lots.find((l) => l.id === c.lotId)?.remaining ?? 0;
      const lines = c.lines.flatMap((n) => (order.lines[n] ? [{ quantity: order.lines[n].quantity, refundedQuantity: order.lines[n].refundedQuantity }] : []));
      const take = stampsToTakeBack({ per: c.per, maxPerOrder: c.maxPerOrder, given: c.given, lines, refundedInFull: order.refundedAmount >= order.total, onCard });
      if (take <= 0) continue;
      const debit = planDebit(h, { amount: take, destination: WORLD, preferLotId: c.lotId, onShortfall: "cap" });
      if (!debit.ok) throw new Error(`a capped stamp debit cannot fail: ${debit.error.message}`);
      const after = applyPlan(h, debit.value);
      const txnId = this.ctx.ids.next("txn");
      ledger.add(
        { id: txnId, type: "refund", customerId: c.customerId, reference: `stamps:${c.cardId}:refund:${refundId}`, reversesId: null, source: { kind: "stamp_refund", cardId: c.cardId }, metadata: { cardId: c.cardId, orderId: order.externalId, refundId, eventId }, effectiveAt: at },
        debit.value,
        after,
      );
      holdings.set(key, after);
      out.push({ cardId: c.cardId, stamps: take, balance: after.available, transactionId: txnId });
    }
    return out.length > 0 ? out : null;
  }

  /** Expired stamps leave the card before anything is counted on it (once per balance and transaction). */
  private settle(key: string, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): Holdings {
    const h = holdings.get(key)!;
    if (this.settled.has(key)) return h;
    this.settled.add(key);
    const after = settleInto(this.ctx, ledger, h, now);
    holdings.set(key, after);
    return after;
  }

  private give(intent: Intent, trigger: StampTrigger, reference: string, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): { effect: StampEffect; points: number; lotId: string | null } {
    const { card, customerId, at } = intent;
    const program = this.program;
    let h = this.settle(intent.key, holdings, ledger, now);
    const expiry = expiresAt(card.def.expiry, at, program.timeZone);
    if (expiry !== null && expiry.getTime() <= now.getTime()) {
      // A late (or imported) order whose stamps would have expired by now gives none: expired stamps never fill a card.
      return { effect: { cardId: card.id, added: 0, balance: h.available, completed: 0, rewards: [], expiresAt: expiry.toISOString() }, points: 0, lotId: null };
    }
    const availability = card.def.reward.kind === "reward" ? this.availability(card.def.reward.rewardId) : null;
    const outcome: StampOutcome = giveStamps(card, {
      customerId, wanted: intent.wanted, lines: intent.lines, at, timeZone: program.timeZone, counters: this.counters, balance: () => h.available,
      maxCompletions: () => Math.min(availability?.left ?? Number.POSITIVE_INFINITY, MAX_COMPLETIONS_PER_EVENT),
    });
    const effect: StampEffect = { cardId: card.id, added: outcome.added, balance: h.available, completed: 0, rewards: [] };
    if (outcome.limitedBy) effect.limitedBy = outcome.limitedBy;
    const context = trigger.kind === "order" ? { eventId: trigger.eventId, orderId: trigger.orderId } : { confirmationId: trigger.confirmationId, staffId: trigger.staffId, staffName: trigger.staffName, store: trigger.store };
    let lotId: string | null = null;
    if (outcome.added > 0) {
      lotId = this.ctx.ids.next("lot");
      const plan = planCredit(h, { amount: outcome.added, lotId, effectiveAt: at, pendingUntil: null, expiresAt: expiry, now });
      const after = applyPlan(h, plan);
      const txnId = this.ctx.ids.next("txn");
      const refundable = trigger.kind === "order" ? { per: card.def.per, maxPerOrder: card.def.maxPerOrder ?? null, lines: intent.lines } : {};
      ledger.add(
        {
          id: txnId, type: "earn", customerId, reference, reversesId: null, source: { kind: "stamp_card", cardId: card.id, name: card.def.name },
          metadata: { cardId: card.id, ...context, ...refundable, ...(outcome.limitedBy ? { wanted: outcome.wanted, limitedBy: outcome.limitedBy } : {}) },
          effectiveAt: at,
        },
        plan,
        after,
      );
      h = after;
      effect.transactionId = txnId;
      effect.expiresAt = expiry?.toISOString() ?? null;
    }
    let points = 0;
    for (let n = 0; n < outcome.completions; n++) {
      const given = this.complete(card, customerId, context, h, holdings, ledger, at, now);
      h = given.holdings;
      points += given.reward.points ?? 0;
      effect.rewards.push(given.reward);
    }
    holdings.set(intent.key, h);
    effect.completed = outcome.completions;
    effect.balance = h.available;
    if (h.available >= card.def.stamps && card.def.reward.kind === "reward") {
      const why = this.availability(card.def.reward.rewardId).reason;
      if (why) effect.rewardUnavailable = why;
    }
    return { effect, points, lotId };
  }

  /** How many of a reward can still be given in this transaction, and why not when none. */
  private availability(rewardId: string): { left: number; reason: string | null } {
    // Not locked: prepare() saw no card of this reward that could complete, so none will (complete() would throw).
    return this.rewards.has(rewardId) ? this.rewards.availability(rewardId) : { left: Number.POSITIVE_INFINITY, reason: null };
  }

  /** One completed card: N stamps to `redeemed`, the completion's row, and its reward. */
  private complete(card: CompiledStampCard, customerId: string, context: Record<string, unknown>, h: Holdings, holdings: Map<string, Holdings>, ledger: LedgerWrites, at: Date, now: Date): { holdings: Holdings; reward: StampRewardGiven } {
    const seqKey = `${card.id}|${customerId}`;
    const last = this.sequences.get(seqKey);
    if (last === undefined) throw new Error(`stamp card ${card.id} completed for ${customerId} without its sequence loaded`);
    const sequence = last + 1;
    this.sequences.set(seqKey, sequence);
    const debit = planDebit(h, { amount: card.def.stamps, destination: REDEEMED, onShortfall: "reject" });
    if (!debit.ok) throw new Error(`stamp card ${card.id} completed without ${card.def.stamps} stamps: ${debit.error.message}`);
    const after = applyPlan(h, debit.value);
    const txnId = this.ctx.ids.next("txn");
    const meta: TransactionMeta = {
      id: txnId, type: "stamp_completion", customerId, reference: `stamps:${card.id}:completion:${customerId}:${sequence}`, reversesId: null,
      source: { kind: "stamp_card", cardId: card.id, name: card.def.name }, metadata: { cardId: card.id, sequence, stamps: card.def.stamps, ...context }, effectiveAt: at,
    };
    ledger.add(meta, debit.value, after);
    const completionId = this.ctx.ids.next("scm");
    const reward: StampRewardGiven = { sequence, completionId, transactionId: txnId };
    let redemptionId: string | null = null;
    const def = card.def.reward;
    if (def.kind === "points") {
      const key = holdingKey(customerId, "points");
      const ph = holdings.get(key)!;
      const plan = planCredit(ph, { amount: def.points, lotId: this.ctx.ids.next("lot"), effectiveAt: at, pendingUntil: null, expiresAt: expiresAt(this.program.ledgerPolicy.expiry, at, this.program.timeZone), now });
      const pAfter = applyPlan(ph, plan);
      const pTxn = this.ctx.ids.next("txn");
      ledger.add(
        { id: pTxn, type: "earn", customerId, reference: `${meta.reference}:points`, reversesId: null, source: { kind: "stamp_card_reward", cardId: card.id, sequence }, metadata: { cardId: card.id, sequence, ...context }, effectiveAt: at },
        plan,
        pAfter,
      );
      holdings.set(key, pAfter);
      reward.points = def.points;
      reward.transactionId = pTxn;
    } else {
      const given = this.rewards.give(def.rewardId, { customerId, transactionId: txnId, reference: meta.reference!, now });
      // giveStamps completed no more cards than availability() allowed.
      if ("unavailable" in given) throw new Error(`stamp card ${card.id} completed without its reward ${def.rewardId} available: ${given.unavailable}`);
      redemptionId = given.redemptionId;
      reward.redemptionId = given.redemptionId;
      reward.code = given.code;
      if (given.partnerCode !== undefined) reward.partnerCode = given.partnerCode;
    }
    this.completions.push({ id: completionId, card_id: card.id, customer_id: customerId, sequence, transaction_id: txnId, redemption_id: redemptionId, completed_at: at.toISOString() });
    return { holdings: after, reward };
  }

  /** The batch's stamp writes as CTEs for the caller's write statement (counters, completions); the rewards given are the FreeRewards' to write. */
  ctes(): SQL[] {
    const out: SQL[] = [];
    const pid = this.program.id;
    const j = (v: unknown) => JSON.stringify(v);
    const counters = counterCte(pid, this.counters, "stamp_rc");
    if (counters) out.push(counters);
    if (this.completions.length > 0) {
      out.push(sql`stamp_done as (
        insert into stamp_completions (id, program_id, card_id, customer_id, sequence, transaction_id, redemption_id, completed_at)
        select x.id, ${pid}, x.card_id, x.customer_id, x.sequence, x.transaction_id, x.redemption_id, x.completed_at
          from jsonb_to_recordset(${j(this.completions)}::jsonb) as x(id text, card_id text, customer_id text, sequence int, transaction_id text, redemption_id text, completed_at timestamptz))`);
    }
    return out;
  }
}

/** Stamp conditions never read the customer (checkStampCard refuses it); this fills the context's slot. */
const NO_CUSTOMER = customerWithoutHistory();
