import { applyPlan, type Holdings } from "@patron/core";
import type { AppContext } from "../context.ts";
import { holdingKey, type LedgerWrites } from "../../db/ledger-repo.ts";
import type { OrderState } from "../../db/orders-repo.ts";
import type { Clawback } from "./order-decisions.ts";

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
