import { sql } from "drizzle-orm";
import { domainError, type Asset, type DomainError, type Holdings } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { inTransaction } from "../../db/tx.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import { ensureCustomers, existingRefundIds, type OrderState } from "../../db/orders-repo.ts";
import { claimEvents, onlyOwnPoints, type Claimed } from "./claim-events.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { requestHash } from "../json.ts";
import type { Program } from "../programs/program.ts";
import { normalizeCustomerInput, upsertCustomer } from "../customers/upsert-customer.ts";
import { celOrder, checkOrderCompleted, decideOrderCompleted, decideOrderRefunded } from "./order-decisions.ts";
import { checkTopUp } from "../wallet/top-up.ts";
import { countOrder } from "../rules/rule-facts.ts";
import { EventRules } from "./event-rules.ts";
import type { RuleStateRow } from "../rules/rule-state.ts";
import { OrderRedemptions } from "../rewards/order-redemptions.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { TierBatch } from "../tiers/tier-batch.ts";
import { ReferralBatch } from "../referrals/referral-batch.ts";
import { attributeAtSignup } from "../referrals/attribute-referral.ts";
import { StampBatch } from "../stamps/stamp-batch.ts";
import { FreeRewards } from "../rewards/free-rewards.ts";
import type { EventAccepted, EventEffects, EventInput, EventResult } from "./event-input.ts";
import { EVENT_SCOPE, writeBatch, type NewRefund } from "./write-batch.ts";
import { expiredOfOrders, postClawbacks, returnRedeemedPoints } from "./refund-clawbacks.ts";
import { executeAtCommit, preferGenericPlans } from "../../db/pipelined-client.ts";
import { withBudgetRetry } from "../rules/rule-counters.ts";


/** Groups of up to this many events run their statements under generic plans (PipelinedClient.preferGenericPlans). */
const GENERIC_PLANS_UP_TO = 64;

/**
 * Ingests a batch of events (1 to 1,000) in one database transaction, with a fixed number of
 * statements whatever the batch size: insert the idempotency rows, resolve customers, lock the
 * balances and orders involved, decide every event in memory, then write everything in one statement.
 *
 * Each event's `id` makes it idempotent forever: the same id and body replays the first result; the
 * same id with another body is IDEMPOTENCY_CONFLICT. A rejected event has no effect and is not
 * remembered, so the sender can fix and resend it.
 *
 * Per-event errors: IDEMPOTENCY_CONFLICT, CURRENCY_MISMATCH, ORDER_TOTALS_MISMATCH, ORDER_CONFLICT,
 * ORDER_NOT_FOUND, REFUND_CONFLICT, REFUND_EXCEEDS_ORDER, REFUND_LINE_UNKNOWN, INVALID_PHONE,
 * INVALID_TIME_ZONE.
 */
export async function ingestEvents(ctx: AppContext, program: Program, events: readonly EventInput[]): Promise<EventResult[]> {
  // Nothing runs after the write statement here, so it may go with COMMIT (pipelined-client.ts).
  // Events of customers whose balance another transaction holds at the first statement are not
  // waited for: the rest of the batch goes on and commits, and they run next, in a second
  // transaction that waits for those locks as usual. Two batches that share a hundred customers
  // then overlap instead of queueing one behind the other's whole transaction. A customer's events
  // stay together and in order; only a batch naming two customers or more can defer.
  const skipBusy = new Set(events.map((e) => e.customerId)).size > 1;
  const first = await withBudgetRetry((lockBudgets) => inTransaction(ctx.db, (tx) => ingestPass(ctx, tx, program, events, { writeAtCommit: true, skipBusy, lockBudgets })));
  const later = first.flatMap((r, i) => (r === DEFERRED ? [i] : []));
  if (later.length === 0) return first as EventResult[];
  const second = await withBudgetRetry((lockBudgets) => inTransaction(ctx.db, (tx) => ingestPass(ctx, tx, program, later.map((i) => events[i]!), { writeAtCommit: true, lockBudgets })));
  later.forEach((i, k) => (first[i] = second[k]!));
  return first as EventResult[];
}

/** The same, inside a transaction the caller holds (the batch endpoint under an Idempotency-Key): every event is decided in it. */
export async function ingestInTransaction(ctx: AppContext, tx: Tx, program: Program, events: readonly EventInput[], opts: { trace?: boolean; writeAtCommit?: boolean } = {}): Promise<EventResult[]> {
  return (await ingestPass(ctx, tx, program, events, { ...opts, lockBudgets: true })) as EventResult[];
}

/** The answer of an event left for a later transaction (ingestEvents' skipBusy). */
const DEFERRED = { status: "deferred" } as const;
type PassResult = EventResult | typeof DEFERRED;

async function ingestPass(ctx: AppContext, tx: Tx, program: Program, events: readonly EventInput[], opts: { trace?: boolean; writeAtCommit?: boolean; skipBusy?: boolean; lockBudgets: boolean }): Promise<PassResult[]> {
  // A small group's statements have fixed shapes: planned once, not at every call (a no-op in a
  // transaction already under way). A batch keeps plans made for its own parameters.
  if (events.length <= GENERIC_PLANS_UP_TO) preferGenericPlans(tx);
  const now = ctx.clock.now();
  const results: (PassResult | null)[] = events.map(() => null);
  const hashes = events.map((e) => requestHash(e));

  // 1. Everything that can be refused without reading or writing is judged first, so a rejected
  //    event never leaves a trace (not even a new customer), and is not looked up below.
  const firstIndex = new Map<string, number>();
  events.forEach((e, i) => {
    if (!firstIndex.has(e.id)) firstIndex.set(e.id, i);
  });
  const keys = [...firstIndex.keys()].sort();
  const invalid = new Map<number, DomainError>();
  for (const k of keys) {
    const i = firstIndex.get(k)!;
    const e = events[i]!;
    const error =
      e.type === "order.completed" ? checkOrderCompleted(program, e.data)
      : e.type === "wallet.topped_up" ? checkTopUp(program, e.data)
      : e.type === "customer.signed_up" ? (normalizeCustomerInput(program, e.data) as { ok: boolean; error?: DomainError }).error ?? null
      : null;
    if (error) invalid.set(i, error);
  }

  // 2. Idempotency (duplicates inside the batch first, then one insert for the rest, in key order),
  //    with the orders and customers the valid events name, in one statement (claim-events.ts).
  const candidates = keys.map((k) => firstIndex.get(k)!).filter((i) => !invalid.has(i)).map((i) => events[i]!);
  const namedOrders = candidates.flatMap((e) => (e.type === "order.completed" || e.type === "order.refunded" ? [e] : []));
  const refunds = namedOrders.some((e) => e.type === "order.refunded");
  const lockPoints = await onlyOwnPoints(ctx, tx, program, { refunds });
  // With the points balances locked by the claim, the rules' state is read in the same round trip.
  const prefetch = lockPoints ? await EventRules.prefetch(ctx, tx, program, candidates, now, opts.lockBudgets) : null;
  const claimed = await claimEvents(
    tx,
    program.id,
    now,
    {
      keys: keys.map((key) => ({ key, hash: hashes[firstIndex.get(key)!]! })),
      orderIds: namedOrders.map((e) => e.data.orderId),
      forRefunds: refunds,
      customerIds: [...new Set(candidates.map((e) => e.customerId))],
      lockPoints,
      skipBusy: opts.skipBusy ?? false,
    },
    prefetch ?? undefined,
  );
  const seen = keys.filter((k) => !claimed.inserted.has(k));
  if (seen.length > 0) {
    // The answer is on the event's row (write-batch.ts); events recorded before it was kept there have
    // it on their idempotency row.
    const stored = await rows<{ key: string; request_hash: string; response: string | null }>(
      tx,
      sql`select k.key, k.request_hash, coalesce(e.response, k.response) as response
            from idempotency_keys k left join events e on e.program_id = k.program_id and e.external_id = k.key
           where k.program_id = ${program.id} and k.scope = ${EVENT_SCOPE} and k.key = any(${textArray(seen)})`,
    );
    for (const s of stored) {
      const i = firstIndex.get(s.key)!;
      results[i] =
        s.request_hash === hashes[i] && s.response !== null
          ? { ...(JSON.parse(s.response) as EventAccepted), replayed: true }
          : rejected(events[i]!.id, conflict(events[i]!.id));
    }
  }
  const fresh = events.map((e, i) => ({ e, i })).filter(({ e, i }) => firstIndex.get(e.id) === i && results[i] === null);
  for (const { e, i } of fresh) {
    const error = invalid.get(i);
    if (error) results[i] = rejected(e.id, error);
    // Left for the next transaction: its id is given back below (with the rejected ones'), and nothing of it is read or written here.
    else if (claimed.busy.has(e.customerId)) results[i] = DEFERRED;
  }
  const orderEvents = () => fresh.filter(({ e, i }) => results[i] === null && (e.type === "order.completed" || e.type === "order.refunded"));
  const hasRefunds = orderEvents().some(({ e }) => e.type === "order.refunded");
  // Orders (by external id) were locked by claimEvents; the balances of their customers after that.
  const orders = claimed.orders;
  const batchOrders = new Map<string, string>(); // order id -> customer external id, for orders created in this batch
  for (const { e, i } of orderEvents()) {
    const orderId = (e.data as { orderId: string }).orderId;
    const known = orders.get(orderId);
    const owner = known ? known.customerExternalId : batchOrders.get(orderId);
    if (e.type === "order.completed") {
      if (owner !== undefined) results[i] = rejected(e.id, domainError("ORDER_CONFLICT", `Order "${orderId}" was already recorded by another event.`, { orderId }));
      else batchOrders.set(orderId, e.customerId);
    } else if (owner === undefined) {
      results[i] = rejected(e.id, domainError("ORDER_NOT_FOUND", `No order "${orderId}" has been recorded; send its order.completed event first.`, { orderId }));
    } else if (owner !== e.customerId) {
      results[i] = rejected(e.id, domainError("ORDER_CONFLICT", `Order "${orderId}" belongs to another customer.`, { orderId }));
    }
  }

  // 3. Customers: create the unknown ones, apply signup profiles, lock the balances order events touch.
  const standing = fresh.filter(({ i }) => results[i] === null);
  const customerIds = standing.length
    ? await ensureCustomers(tx, program.id, standing.map(({ e }) => ({ id: ctx.ids.next("cus"), externalId: e.customerId })), now, claimed.customers)
    : new Map<string, { id: string; status: string }>();
  // A signup may carry a referral (attribute-referral.ts): attributed here, after its profile, so the
  // self-referral checks see it and an order later in the batch converts. Its locks come before the
  // batch's (a lost race is a deadlock that inTransaction retries).
  const attributions = new Map<number, NonNullable<EventEffects["attribution"]>>();
  for (const { e, i } of standing) {
    if (e.type !== "customer.signed_up") continue;
    const { referral, ...profile } = e.data;
    const r = await upsertCustomer(ctx, tx, program, e.customerId, profile);
    if (!r.ok) results[i] = rejected(e.id, r.error);
    else {
      customerIds.set(e.customerId, { id: r.value.customer.id, status: r.value.customer.status });
      if (referral) attributions.set(i, await attributeAtSignup(ctx, tx, program, e.customerId, profile, referral));
    }
  }
  const refundIds = hasRefunds
    ? await existingRefundIds(tx, program.id, orderEvents().flatMap(({ e }) => (e.type === "order.refunded" ? [e.data.refundId] : [])))
    : new Set<string>();
  // Rules: which events some enabled rule listens to (blocked customers earn nothing); their customers'
  // balances are locked with the others, then the rules' own state (see event-rules.ts).
  const rules = await EventRules.match(ctx, tx, program, standing.filter(({ i }) => results[i] === null).map(({ e, i }) => ({ e, i, customer: customerIds.get(e.customerId)! })), now, opts.trace ?? false);
  // Stamp cards (stamp-batch.ts): null when the program has none, so such a program pays nothing for them.
  // Orders are judged line by line here, so only the (customer, card) balances that get stamps are locked.
  // Catalogue rewards given for 0 points in this transaction (full stamp cards, tier entry rewards): one writer for both.
  const freeRewards = new FreeRewards(ctx, program.id);
  const stamps = await StampBatch.forEvents(ctx, tx, program, standing.filter(({ i }) => results[i] === null).map(({ e, i }) => ({ e, i, customer: customerIds.get(e.customerId)! })), orders, freeRewards, now);
  // Referrals (referral-batch.ts): the referrers of this batch's order customers, found before any lock
  // so their balances are locked with the others.
  const referrals = await ReferralBatch.match(ctx, tx, program, orderEvents().map(({ e }) => customerIds.get(e.customerId)!.id));
  // Every balance the batch may touch is locked in one statement (see lockBalancesOf): points of order
  // customers, and each asset a matched rule gives. Keyed by holdingKey(customer, asset).
  // With tiers by referrals, a referrer's points too: a level's entry points may come with a conversion.
  const referrerPoints = program.tiers?.basis === "referrals" ? (referrals?.referrerIds ?? []).map((customerId) => ({ customerId, asset: "points" as const })) : [];
  // Refunds of orders that earned wallet credit take it back: those balances too (orders of this batch
  // credited theirs through the rules, whose assets are locked already).
  const refundedWallets = hasRefunds ? orderEvents().flatMap(({ e }) => (e.type === "order.refunded" ? (orders.get(e.data.orderId)?.wallet ?? []).map((w) => ({ customerId: orders.get(e.data.orderId)!.customerId, asset: w.asset })) : [])) : [];
  const holdings = await loadHoldingsOf(tx, program.id, [...orderEvents().map(({ e }) => ({ customerId: customerIds.get(e.customerId)!.id, asset: "points" as const })), ...rules.holdingKeys, ...(stamps?.holdingKeys ?? []), ...(referrals?.holdingKeys ?? []), ...referrerPoints, ...refundedWallets], now, { lots: hasRefunds, locked: claimed.balances });
  await rules.lockState(tx, now, opts.lockBudgets, claimed.then ? { row: claimed.then as RuleStateRow, covered: prefetchCovers(claimed, candidates) } : undefined);
  await referrals?.lockState(tx);
  const referralPostings = referrals && hasRefunds ? await referrals.pendingPostings(tx, orderEvents().flatMap(({ e }) => (e.type === "order.refunded" ? [e.data.orderId] : []))) : new Map();
  // Tiers: locked after the balances, measured once; upgrades are decided event by event below.
  const tiers = await TierBatch.prepare(ctx, tx, program, [
    ...orderEvents().map(({ e }) => customerIds.get(e.customerId)!.id),
    ...(program.tiers?.basis === "points" ? rules.holdingKeys.map((k) => k.customerId) : []),
    ...(program.tiers?.basis === "referrals" ? (referrals?.referrerIds ?? []) : []),
  ], now);
  rules.tiers = tiers;
  // Reward codes used on orders, and rewards whose points come back when their order is refunded in full.
  const codes = standing.flatMap(({ e }) => (e.type === "order.completed" ? (e.data.codes ?? []) : []));
  const refundedOrders = hasRefunds ? orderEvents().flatMap(({ e }) => (e.type === "order.refunded" ? [orders.get(e.data.orderId)?.id ?? ""] : [])).filter(Boolean) : [];
  const orderRedemptions = await OrderRedemptions.load(tx, program.id, codes, refundedOrders);
  // What expiry took of the refunded orders' earnings, which their clawbacks leave alone.
  const expiredOf = hasRefunds ? await expiredOfOrders(tx, program.id, refundedOrders) : null;
  // Stamp lots, limits, and (only when a card may complete) completion numbers and reward rows, locked after the redemptions.
  await stamps?.prepare(tx, holdings, now);

  // 4. Decide each event in order, against the holdings as earlier events in the batch left them.
  const ledger = new LedgerWrites(program.id);
  const settled = new Set<string>();
  const newRefunds: NewRefund[] = [];
  const touchedOrders = new Map<string, OrderState>();
  const eventRows: { id: string; external_id: string; type: string; name: string | null; customer_id: string; data: unknown; occurred_at: string; response: string }[] = [];

  for (const { e, i } of fresh) {
    if (results[i] !== null) continue;
    const customer = customerIds.get(e.customerId)!;
    const occurredAt = e.occurredAt ?? now;
    const eventId = ctx.ids.next("evt");
    const accept = (effects: EventAccepted["effects"]) => {
      const result: EventAccepted = { id: e.id, status: "accepted", eventId, type: e.type, customerId: e.customerId, effects };
      results[i] = { ...result, replayed: false };
      eventRows.push({ id: eventId, external_id: e.id, type: e.type, name: e.type === "custom" ? e.name : null, customer_id: customer.id, data: e.data, occurred_at: occurredAt.toISOString(), response: JSON.stringify(result) });
    };
    if (e.type !== "order.completed" && e.type !== "order.refunded") {
      const r = rules.run(e, i, null, holdings, ledger, now);
      let effects: EventEffects = customer.status !== "active" ? { ...r.effects, earningSkipped: "CUSTOMER_BLOCKED" } : r.effects;
      const attribution = attributions.get(i);
      if (attribution) effects = { ...effects, attribution };
      if (tiers && r.points > 0) {
        tiers.addPoints(customer.id, occurredAt, r.points);
        const tier = tiers.settle(customer.id, holdings, ledger, occurredAt, now);
        if (tier) effects = { ...effects, tier };
      }
      accept(effects);
      continue;
    }
    if (e.type === "order.completed") {
      const d = decideOrderCompleted({ program, data: e.data, orderId: ctx.ids.next("ord"), customerId: customer.id, customerExternalId: e.customerId, occurredAt });
      if (!d.ok) {
        results[i] = rejected(e.id, d.error);
        continue;
      }
      const order = d.value;
      orders.set(e.data.orderId, order);
      touchedOrders.set(order.id, order);
      let effects: EventEffects;
      if (customer.status !== "active") effects = { pointsEarned: 0, earningSkipped: "CUSTOMER_BLOCKED" };
      else {
        const r = rules.run(e, i, { state: celOrder(order), orderId: e.data.orderId, earningBase: order.earningBase }, holdings, ledger, now);
        order.pointsEarned = r.points;
        order.earnLotId = r.firstLot;
        order.wallet = r.wallet.map((w) => ({ asset: w.asset, earned: w.amount, lotId: w.lotId, clawedBack: 0, dirty: false }));
        effects = r.points === 0 && !program.earning.enabled && !r.effects.awards ? { pointsEarned: 0, earningSkipped: "EARNING_DISABLED", ...r.effects } : { pointsEarned: 0, ...r.effects };
        const f = rules.customerFacts(customer.id);
        if (f) countOrder(f, order.total);
      }
      if (e.data.codes) effects.codes = orderRedemptions.use(e.data.codes, customer.id, order.id, occurredAt);
      const stamped = customer.status === "active" ? stamps?.applyOrder(i, e.data.orderId, e.id, holdings, ledger, now) : null;
      if (stamped) {
        effects.stamps = stamped.effects;
        if (stamped.points > 0) tiers?.addPoints(customer.id, occurredAt, stamped.points);
      }
      if (referrals && customer.status === "active") {
        const referral = referrals.onOrder(customer.id, { externalId: order.externalId, total: order.total, placedAt: order.placedAt }, holdings, ledger, now);
        if (referral) effects.referral = referral;
        // Tiers by referrals: the referrer may go up at this conversion.
        const referrer = referrals.referrerRowId(customer.id);
        if (referral?.reward && tiers && referrer) {
          tiers.addReferral(referrer, 1);
          const tier = tiers.settle(referrer, holdings, ledger, now, now);
          // The same object, not a copy: tiers.giveRewards adds the entry reward to it.
          if (tier) effects.referrerTier = Object.assign(tier, { customerId: referral.referrerId });
        }
      }
      if (tiers && customer.status === "active") {
        tiers.addOrder(customer.id, order.placedAt, order.total);
        tiers.addPoints(customer.id, occurredAt, order.pointsEarned);
        const tier = tiers.settle(customer.id, holdings, ledger, occurredAt, now);
        if (tier) effects.tier = tier;
      }
      accept(effects);
    } else {
      // Checked in step 2: the order exists (or an earlier event of this batch created it) and is this customer's.
      const order = orders.get(e.data.orderId)!;
      if (refundIds.has(e.data.refundId)) {
        results[i] = rejected(e.id, domainError("REFUND_CONFLICT", `Refund "${e.data.refundId}" was already recorded by another event.`, { refundId: e.data.refundId }));
        continue;
      }
      // Expire and release what is due before taking value back, so a clawback never takes expired value
      // (each balance once per batch: points, and the wallet assets the order earned).
      const held = new Map<Asset, Holdings>();
      for (const asset of ["points" as const, ...order.wallet.map((w) => w.asset)]) {
        const key = holdingKey(customer.id, asset);
        if (!settled.has(key)) {
          settled.add(key);
          holdings.set(key, settleInto(ctx, ledger, holdings.get(key)!, now));
        }
        held.set(asset, holdings.get(key)!);
      }
      const refundedBefore = order.refundedAmount;
      // Nothing is changed on the order when the refund is refused (decideOrderRefunded refuses before it writes).
      const d = decideOrderRefunded({ program, data: e.data, order, holdings: (asset) => held.get(asset)!, expired: (asset) => expiredOf!.of(order, asset, ledger) });
      if (!d.ok) {
        results[i] = rejected(e.id, d.error);
        continue;
      }
      refundIds.add(e.data.refundId);
      touchedOrders.set(order.id, order);
      const { points } = d.value;
      const posted = postClawbacks(ctx, ledger, holdings, { customerId: customer.id, order, refundId: e.data.refundId, eventId: e.id, amount: d.value.amount, at: occurredAt, points, wallet: d.value.wallet });
      const effects: EventAccepted["effects"] = { refundAmount: d.value.amount, pointsClawedBack: points.claw - points.shortfall };
      if (points.shortfall > 0) effects.shortfall = points.shortfall;
      if (posted.pointsTransactionId) effects.transactionId = posted.pointsTransactionId;
      if (posted.wallet.length > 0) effects.walletClawedBack = posted.wallet;
      // Refunded in full: the points spent on rewards used on this order come back, once each.
      if (order.refundedAmount === order.total) {
        const returned = returnRedeemedPoints(ctx, ledger, holdings, { program, customerId: customer.id, order, refundId: e.data.refundId, eventId: e.id, at: occurredAt, now, redemptions: orderRedemptions });
        if (returned > 0) effects.pointsReturned = returned;
      }
      const stampsBack = stamps?.applyRefund(order, e.data.refundId, e.id, occurredAt, holdings, ledger, now);
      if (stampsBack) effects.stampsTakenBack = stampsBack;
      tiers?.addRefund(customer.id, order.placedAt, d.value.amount, order.refundedAmount === order.total);
      // A referred friend's order refunded while the referrer's rewards for it are pending (referral-batch.ts).
      const back = referrals?.onRefund(customer.id, { orderId: order.externalId, refundId: e.data.refundId, amount: d.value.amount, orderTotal: order.total, refundedBefore }, referralPostings, holdings, ledger, now);
      if (back && back.cancelled > 0) effects.referralRewardsCancelled = back.cancelled;
      const referrer = referrals?.referrerRowId(customer.id);
      if (referrer && back?.conversionsCancelled) tiers?.addReferral(referrer, -back.conversionsCancelled);
      if (back && back.commissionTakenBack.points + back.commissionTakenBack.bonus > 0) effects.referralCommissionTakenBack = back.commissionTakenBack;
      tiers?.addPoints(customer.id, occurredAt, -(points.claw - points.shortfall));
      newRefunds.push({
        id: ctx.ids.next("ref"), external_id: e.data.refundId, order_id: order.id, amount: d.value.amount, points_clawed_back: points.claw - points.shortfall, shortfall: points.shortfall,
        wallet_clawed_back: Object.fromEntries(d.value.wallet.filter((c) => c.claw > 0).map((c) => [c.asset, { clawedBack: c.claw - c.shortfall, shortfall: c.shortfall }])),
      });
      accept(effects);
    }
  }

  // Entry rewards of the levels customers reached: their reward rows are locked now, only when someone went up.
  await tiers?.giveRewards(tx, freeRewards, now);

  // 5. Write everything in one statement.
  await writeBatch(tx, program.id, now, ledger, {
    extra: [...rules.ctes(now), ...orderRedemptions.ctes(now), tiers?.ctes(now) ?? null, ...(stamps?.ctes() ?? []), ...freeRewards.ctes(now), ...(referrals?.ctes(now) ?? [])],
    eventRows, touchedOrders, newRefunds, rejectedKeys: fresh.filter(({ i }) => results[i]!.status !== "accepted").map(({ e }) => e.id), atCommit: opts.writeAtCommit ?? false });
  // The rules' budgets last, so their rows are held from here to COMMIT only (unless lockBudgets locked them at the read).
  const spend = rules.budgetStatement();
  if (spend) await (opts.writeAtCommit ? executeAtCommit(tx, spend) : tx.execute(spend));

  // Later duplicates inside the batch answer like the first occurrence.
  return events.map((e, i) => {
    const first = firstIndex.get(e.id)!;
    if (first === i) return results[i]!;
    const r = results[first]!;
    if (hashes[i] !== hashes[first]) return rejected(e.id, conflict(e.id));
    return r.status === "accepted" ? { ...r, replayed: true } : r;
  });
}

function rejected(id: string, error: DomainError): EventResult {
  return { id, status: "rejected", replayed: false, error };
}

function conflict(id: string): DomainError {
  return domainError("IDEMPOTENCY_CONFLICT", `Event "${id}" was already received with a different body. Give a new event a new id.`, { id });
}

/**
 * The customers for whom the rule state read with the claim holds: their points balance was locked
 * by the claim (so the read came after the lock), and no signup in the batch changes their profile.
 */
function prefetchCovers(claimed: Claimed, events: readonly EventInput[]): Set<string> {
  const signedUp = new Set(events.flatMap((e) => (e.type === "customer.signed_up" ? [claimed.customers.get(e.customerId)?.id ?? ""] : [])));
  return new Set([...claimed.balances.values()].map((b) => b.customerId).filter((id) => !signedUp.has(id)));
}
