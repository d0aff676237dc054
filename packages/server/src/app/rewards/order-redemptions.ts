import { sql, type SQL } from "drizzle-orm";
import { normalizeCode, pushTo } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";

interface Row {
  id: string;
  code: string | null;
  customer_id: string;
  status: string;
  expires_at: Date | null;
  created_at: Date;
  points: number;
  used_order_id: string | null;
  returned: boolean;
}

export interface CodeOutcome {
  code: string;
  status: "used" | "not_valid";
  redemptionId?: string;
}

/**
 * Reward codes inside order events, for one ingest batch: an `order.completed` that carries codes marks
 * the customer's issued, unexpired redemptions with those codes as used by the order; an
 * `order.refunded` that refunds the whole order gives back, once, the points of the rewards used on it.
 * The rows are locked when loaded (after the balances, like every ledger writer) and written back with
 * the batch's single write statement.
 */
export class OrderRedemptions {
  private byCode = new Map<string, Row>();
  private byOrder = new Map<string, Row[]>();
  private used: { id: string; order_id: string; used_at: string }[] = [];
  private returned: { id: string; transaction_id: string }[] = [];

  static async load(ex: Executor, programId: string, codes: string[], refundedOrderIds: string[]): Promise<OrderRedemptions> {
    const out = new OrderRedemptions();
    const normalized = [...new Set(codes.map(normalizeCode).filter((c): c is string => c !== null))];
    if (normalized.length === 0 && refundedOrderIds.length === 0) return out;
    const rs = await rows<Omit<Row, "expires_at" | "created_at" | "returned"> & { expires_at: string | Date | null; created_at: string | Date; return_transaction_id: string | null }>(
      ex,
      sql`select id, code, customer_id, status, expires_at, created_at, points::float8 as points, used_order_id, return_transaction_id from redemptions
           where program_id = ${programId}
             and (code = any(${textArray(normalized)}) or used_order_id = any(${textArray(refundedOrderIds)}))
           order by id for update`,
    );
    for (const r of rs) {
      const row: Row = { ...r, points: Number(r.points), expires_at: r.expires_at === null ? null : new Date(r.expires_at), created_at: new Date(r.created_at), returned: r.return_transaction_id !== null };
      if (row.code) out.byCode.set(row.code, row);
      if (row.used_order_id) pushTo(out.byOrder, row.used_order_id, row);
    }
    return out;
  }

  /** Marks the codes of a completed order used, when each is this customer's, issued, and valid at the order's time (issued before it, not expired). */
  use(codes: readonly string[], customerId: string, orderId: string, at: Date): CodeOutcome[] {
    return codes.map((typed) => {
      const r = this.byCode.get(normalizeCode(typed) ?? "");
      const validAt = r !== undefined && r.created_at.getTime() <= at.getTime() && (r.expires_at === null || r.expires_at.getTime() > at.getTime());
      if (!r || r.customer_id !== customerId || r.status !== "issued" || !validAt) return { code: typed, status: "not_valid" };
      r.status = "used";
      r.used_order_id = orderId;
      pushTo(this.byOrder, orderId, r);
      this.used.push({ id: r.id, order_id: orderId, used_at: at.toISOString() });
      return { code: typed, status: "used", redemptionId: r.id };
    });
  }

  /** The redemptions used on this order whose points have not been given back yet (a stamp card's reward cost none: nothing to give back). */
  toReturn(orderId: string): { id: string; points: number }[] {
    return (this.byOrder.get(orderId) ?? []).filter((r) => r.status === "used" && !r.returned && r.points > 0).map((r) => ({ id: r.id, points: r.points }));
  }

  markReturned(id: string, transactionId: string): void {
    for (const list of this.byOrder.values()) for (const r of list) if (r.id === id) r.returned = true;
    this.returned.push({ id, transaction_id: transactionId });
  }

  /** The batch's changes as CTEs (`ru`, `rr`), or null. */
  ctes(now: Date): SQL[] {
    const out: SQL[] = [];
    if (this.used.length > 0) {
      out.push(sql`ru as (
        update redemptions set status = 'used', used_order_id = x.order_id, used_at = x.used_at, updated_at = ${now.toISOString()}::timestamptz
          from jsonb_to_recordset(${JSON.stringify(this.used)}::jsonb) as x(id text, order_id text, used_at timestamptz)
         where redemptions.id = x.id and redemptions.id = any(${textArray(this.used.map((u) => u.id))}))`);
    }
    if (this.returned.length > 0) {
      out.push(sql`rr as (
        update redemptions set return_transaction_id = x.transaction_id, updated_at = ${now.toISOString()}::timestamptz
          from jsonb_to_recordset(${JSON.stringify(this.returned)}::jsonb) as x(id text, transaction_id text)
         where redemptions.id = x.id and redemptions.id = any(${textArray(this.returned.map((u) => u.id))}))`);
    }
    return out;
  }
}
