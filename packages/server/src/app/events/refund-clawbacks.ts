import { sql } from "drizzle-orm";
import { applyPlan, EXPIRED, expiresAt, planCredit, type Asset, type Holdings } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { holdingKey, type LedgerWrites } from "../../db/ledger-repo.ts";
import type { OrderState } from "../../db/orders-repo.ts";
import type { Clawback } from "./order-decisions.ts";
import type { Program } from "../programs/program.ts";
import type { OrderRedemptions } from "../rewards/order-redemptions.ts";

/** What a refund took back of one wallet asset (`effects.walletClawedBack`). */
export interface WalletClawedBack {
  asset: string;
  /** Taken back (under `clawback: cap`, what the balance held of what was called for). */
  amount: number;
  /** Called for but not taken (`clawback: cap` only). */
  shortfall?: number;
  transactionId?: string;
}

/**
 * Writes one refund's clawbacks (decideOrderRefunded) through `ledger`: one `refund` transaction per
 * asset that moved, `refund:{refundId}` for points (as the foundation wrote it) and
 * `refund:{refundId}:{asset}` for wallet assets, each unique per program forever, so a replayed or
 * concurrent refund cannot take twice. `holdings` must hold each asset's settled holdings of the
 * customer and is updated. Returns the points transaction id and what each wallet asset gave back.
 */
export function postClawbacks(
  ctx: AppContext,
  ledger: LedgerWrites,
  holdings: Map<string, Holdings>,
  x: { customerId: string; order: OrderState; refundId: string; eventId: string; amount: number; at: Date; points: Clawback; wallet: readonly Clawback[] },
): { pointsTransactionId: string | null; wallet: WalletClawedBack[] } {
  const post = (c: Clawback, reference: string): string | null => {
    if (c.plan.postings.length === 0) return null;
    const key = holdingKey(x.customerId, c.asset);
    const after = applyPlan(holdings.get(key)!, c.plan);
    const id = ctx.ids.next("txn");
    ledger.add(
      {
        id, type: "refund", customerId: x.customerId, reference, reversesId: null, source: { kind: "refund_clawback" },
        metadata: { orderId: x.order.externalId, refundId: x.refundId, refundAmount: x.amount, shortfall: c.shortfall, eventId: x.eventId, ...(c.asset !== "points" ? { asset: c.asset } : {}) },
        effectiveAt: x.at,
      },
      c.plan,
      after,
    );
    holdings.set(key, after);
    return id;
  };
  const pointsTransactionId = post(x.points, `refund:${x.refundId}`);
  const wallet = x.wallet
    .filter((c) => c.claw > 0)
    .map((c): WalletClawedBack => {
      const id = post(c, `refund:${x.refundId}:${c.asset}`);
      return { asset: c.asset, amount: c.claw - c.shortfall, ...(c.shortfall > 0 ? { shortfall: c.shortfall } : {}), ...(id ? { transactionId: id } : {}) };
    });
  return { pointsTransactionId, wallet };
}

/**
 * What expiry has taken from the lots refunded orders earned, per order and asset: the lots each
 * order's earn transactions credited (`order:{id}`, `order-credit:{n}:{id}`, and `order:{id}:{n}` as
 * further credits were written before, see creditReference), and the
 * expiry postings already written out of them. The reference alone does not say which order: order
 * "A:2"'s first credit is `order:A:2`, as order "A"'s second would be; the transaction's
 * `metadata.orderId` does. A refund does not take that part back again (expiry
 * took it from the customer once; decideOrderRefunded). `add` counts this batch's own settlement,
 * which is not written yet. Found through the customers' transactions, which are indexed, as postings
 * are not by lot.
 */
export async function expiredOfOrders(ex: Executor, programId: string, orderIds: readonly string[]): Promise<ExpiredOfOrders> {
  const found = orderIds.length === 0 ? [] : await rows<{ order_id: string; asset: string; lot_id: string; expired: number }>(
    ex,
    sql`select o.id as order_id, p.asset, p.lot_id,
               coalesce((select sum(e.amount) from ledger_transactions x join ledger_postings e on e.transaction_id = x.id
                          where x.program_id = o.program_id and x.customer_id = o.customer_id and x.type = 'expiry'
                            and e.lot_id = p.lot_id and e.destination = ${EXPIRED}), 0)::float8 as expired
          from orders o
          join ledger_transactions t on t.program_id = o.program_id and t.customer_id = o.customer_id and t.type = 'earn'
                                    and ((t.reference = 'order:' || o.external_id or starts_with(t.reference, 'order:' || o.external_id || ':'))
                                          and coalesce(t.metadata->>'orderId', o.external_id) = o.external_id
                                         or t.reference = 'order-credit:' || split_part(t.reference, ':', 2) || ':' || o.external_id and t.metadata->>'orderId' = o.external_id)
          join ledger_postings p on p.transaction_id = t.id and p.lot_id is not null and p.destination like 'customer:%'
         where o.program_id = ${programId} and o.id = any(${textArray(orderIds)})`,
  );
  return new ExpiredOfOrders(found.map((r) => ({ orderId: r.order_id, asset: r.asset, lotId: r.lot_id, expired: Number(r.expired) })));
}

export class ExpiredOfOrders {
  constructor(private readonly lots: { orderId: string; asset: string; lotId: string; expired: number }[]) {}

  /**
   * How much of what `order` earned in `asset` has expired, counting the expiry postings in `ledger`
   * (this batch's settlement), also from the order's first lots when the batch itself recorded it.
   */
  of(order: OrderState, asset: Asset, ledger: LedgerWrites): number {
    const lots = new Set(asset === "points" ? [order.earnLotId] : order.wallet.filter((w) => w.asset === asset).map((w) => w.lotId));
    let n = 0;
    for (const l of this.lots) {
      if (l.orderId !== order.id || l.asset !== asset) continue;
      n += l.expired;
      lots.add(l.lotId);
    }
    for (const p of ledger.postings) if (p.destination === EXPIRED && p.asset === asset && p.lot_id !== null && lots.has(p.lot_id)) n += p.amount;
    return n;
  }
}

/**
 * A refund in full gives back the points the customer spent on rewards used on the order, once each:
 * a `redemption_return` credit per reward (a new lot with the program's expiry), through `ledger`.
 * `holdings` must hold the customer's settled points and is updated. Returns the points given back.
 */
export function returnRedeemedPoints(
  ctx: AppContext,
  ledger: LedgerWrites,
  holdings: Map<string, Holdings>,
  x: { program: Program; customerId: string; order: OrderState; refundId: string; eventId: string; at: Date; now: Date; redemptions: OrderRedemptions },
): number {
  const key = holdingKey(x.customerId, "points");
  let current = holdings.get(key)!;
  let returned = 0;
  for (const r of x.redemptions.toReturn(x.order.id)) {
    const txnId = ctx.ids.next("txn");
    const plan = planCredit(current, { amount: r.points, lotId: ctx.ids.next("lot"), effectiveAt: x.at, pendingUntil: null, expiresAt: expiresAt(x.program.ledgerPolicy.expiry, x.at, x.program.timeZone), now: x.now });
    const after = applyPlan(current, plan);
    ledger.add({ id: txnId, type: "redemption_return", customerId: x.customerId, reference: `redemption-return:${r.id}`, reversesId: null, source: { kind: "order_refunded", redemptionId: r.id }, metadata: { orderId: x.order.externalId, refundId: x.refundId, redemptionId: r.id, eventId: x.eventId }, effectiveAt: x.at }, plan, after);
    x.redemptions.markReturned(r.id, txnId);
    current = after;
    returned += r.points;
  }
  holdings.set(key, current);
  return returned;
}
