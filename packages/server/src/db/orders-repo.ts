import { sql, type SQL } from "drizzle-orm";
import { rows, type Executor } from "./connect.ts";
import { textArray } from "./sql-arrays.ts";

export interface OrderLineState {
  lineNo: number;
  sku: string;
  name: string | null;
  category: string | null;
  quantity: number;
  unitPrice: number;
  weight: number | null;
  discount: number;
  net: number;
  refundedQuantity: number;
}

/** What an order earned in one wallet asset (the order_earnings row): what a refund takes its share of. */
export interface OrderEarning {
  asset: "bonus" | "cash";
  earned: number;
  lotId: string | null;
  clawedBack: number;
  /** Changed by this batch (an existing order's row to update). */
  dirty: boolean;
}

/** An order as ingest works on it: loaded under lock, changed in memory, written back once per batch. */
export interface OrderState {
  id: string;
  externalId: string;
  customerId: string;
  customerExternalId: string | null;
  currency: string;
  subtotal: number;
  discount: number;
  shipping: number;
  tax: number;
  total: number;
  earningBase: number;
  weight: number;
  channel: string | null;
  store: string | null;
  pointsEarned: number;
  earnLotId: string | null;
  refundedAmount: number;
  refundedBase: number;
  pointsClawedBack: number;
  /** What it earned in wallet assets (bonus, cash); points are pointsEarned. */
  wallet: OrderEarning[];
  placedAt: Date;
  lines: OrderLineState[];
  isNew: boolean;
  dirtyLines: Set<number>;
}

/** Existing orders with these external ids, locked for update; with their lines and wallet earnings when a refund needs them. A CTE of ingest's first statement (claim-events.ts). */
export function ordersQuery(programId: string, externalIds: readonly string[], forRefunds: boolean): SQL {
  return sql`select o.id, o.external_id, o.customer_id, o.currency, o.subtotal::float8, o.discount::float8, o.shipping::float8, o.tax::float8,
               o.total::float8, o.earning_base::float8, o.weight::float8, o.channel, o.store, o.points_earned::float8, o.earn_lot_id,
               o.refunded_amount::float8, o.refunded_base::float8, o.points_clawed_back::float8, o.placed_at, c.external_id as customer_external_id,
               ${forRefunds ? sql`(select coalesce(json_agg(json_build_object('lineNo', l.line_no, 'sku', l.sku, 'name', l.name, 'category', l.category,
                        'quantity', l.quantity, 'unitPrice', l.unit_price, 'weight', l.weight, 'discount', l.discount, 'net', l.net,
                        'refundedQuantity', l.refunded_quantity) order by l.line_no), '[]'::json) from order_lines l where l.order_id = o.id)` : sql`'[]'::json`} as lines,
               ${forRefunds ? sql`(select coalesce(json_agg(json_build_object('asset', e.asset, 'earned', e.earned, 'lotId', e.lot_id, 'clawedBack', e.clawed_back) order by e.asset), '[]'::json)
                        from order_earnings e where e.order_id = o.id)` : sql`'[]'::json`} as wallet
          from orders o join customers c on c.id = o.customer_id
         where o.program_id = ${programId}
           and o.external_id = any(${textArray([...new Set(externalIds)])})
         order by o.id
         for update of o`;
}

/** Rows of ordersQuery (as columns, or as JSON objects) by external id. */
export function ordersByExternalId(rs: readonly Record<string, unknown>[]): Map<string, OrderState> {
  const out = new Map<string, OrderState>();
  for (const r of rs) {
    const lines = (typeof r.lines === "string" ? JSON.parse(r.lines) : r.lines) as OrderLineState[];
    const wallet = (typeof r.wallet === "string" ? JSON.parse(r.wallet) : r.wallet) as OrderEarning[];
    out.set(r.external_id as string, {
      id: r.id as string,
      externalId: r.external_id as string,
      customerId: r.customer_id as string,
      customerExternalId: r.customer_external_id as string | null,
      currency: r.currency as string,
      subtotal: Number(r.subtotal),
      discount: Number(r.discount),
      shipping: Number(r.shipping),
      tax: Number(r.tax),
      total: Number(r.total),
      earningBase: Number(r.earning_base),
      weight: Number(r.weight),
      channel: r.channel as string | null,
      store: r.store as string | null,
      pointsEarned: Number(r.points_earned),
      earnLotId: r.earn_lot_id as string | null,
      refundedAmount: Number(r.refunded_amount),
      refundedBase: Number(r.refunded_base),
      pointsClawedBack: Number(r.points_clawed_back),
      wallet: wallet.map((e) => ({ asset: e.asset, earned: Number(e.earned), lotId: e.lotId, clawedBack: Number(e.clawedBack), dirty: false })),
      placedAt: new Date(r.placed_at as string),
      lines: lines.map((l) => ({ ...l, unitPrice: Number(l.unitPrice), net: Number(l.net), discount: Number(l.discount), weight: l.weight === null ? null : Number(l.weight) })),
      isNew: false,
      dirtyLines: new Set(),
    });
  }
  return out;
}

export async function existingRefundIds(ex: Executor, programId: string, externalIds: readonly string[]): Promise<Set<string>> {
  if (externalIds.length === 0) return new Set();
  const rs = await rows<{ external_id: string }>(
    ex,
    sql`select external_id from refunds where program_id = ${programId} and external_id = any(${textArray(externalIds)})`,
  );
  return new Set(rs.map((r) => r.external_id));
}

/** Customers' id and status by external id (no lock): ensureCustomers' read, and a CTE of claim-events.ts. */
export function customersQuery(programId: string, externalIds: readonly string[]): SQL {
  return sql`select id, external_id, status from customers where program_id = ${programId} and external_id = any(${textArray(externalIds)})`;
}

/**
 * Makes sure a customer row exists for each external id and returns id and status. Existing rows
 * are read by index; missing ones inserted in key order. A row another transaction is inserting at
 * the same moment is waited for and returned by ON CONFLICT DO UPDATE (which only touches rows that
 * conflict, so existing customers are not rewritten on every event).
 */
export async function ensureCustomers(ex: Executor, programId: string, wanted: { id: string; externalId: string }[], now: Date, known?: ReadonlyMap<string, { id: string; status: string }>) {
  const input = [...new Map(wanted.map((w) => [w.externalId, w])).values()].sort((a, b) => (a.externalId < b.externalId ? -1 : 1));
  // `known`: rows the caller has just read (ingest reads them in its first statement, claim-events.ts).
  const found = known
    ? input.flatMap((w) => { const k = known.get(w.externalId); return k ? [{ ...k, external_id: w.externalId }] : []; })
    : await rows<{ id: string; external_id: string; status: string }>(ex, customersQuery(programId, input.map((w) => w.externalId)));
  const out = new Map(found.map((r) => [r.external_id, { id: r.id, status: r.status }]));
  const missing = input.filter((w) => !out.has(w.externalId));
  if (missing.length > 0) {
    const created = await rows<{ id: string; external_id: string; status: string }>(
      ex,
      sql`insert into customers (id, program_id, external_id, consent, attributes, tags, status, created_at, updated_at)
          select x.id, ${programId}, x.external_id, '{"email":false,"sms":false}'::jsonb, '{}'::jsonb, '{}'::text[], 'active',
                 ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
            from jsonb_to_recordset(${JSON.stringify(missing.map((w) => ({ id: w.id, external_id: w.externalId })))}::jsonb) as x(id text, external_id text)
           order by x.external_id
          on conflict (program_id, external_id) do update set updated_at = customers.updated_at
          returning id, external_id, status`,
    );
    for (const r of created) out.set(r.external_id, { id: r.id, status: r.status });
  }
  return out;
}
