import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "../../db/connect.ts";
import type { LedgerWrites } from "../../db/ledger-repo.ts";
import type { OrderState } from "../../db/orders-repo.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { executeAtCommit } from "../../db/pipelined-client.ts";

/** The idempotency scope of events: an event's id is its key, forever. */
export const EVENT_SCOPE = "event";

/** A refund recorded by the batch (the refunds row). */
export interface NewRefund {
  id: string;
  external_id: string;
  order_id: string;
  amount: number;
  points_clawed_back: number;
  shortfall: number;
  /** Per wallet asset the refund took back: `{ clawedBack, shortfall }`. */
  wallet_clawed_back: Record<string, { clawedBack: number; shortfall: number }>;
}

/**
 * Step 5 of ingest (ingest-events.ts): every write of a batch in one statement of data-modifying
 * CTEs over JSON parameters — the ledger, events (with the answers replays return), new orders with
 * their lines and wallet earnings, refund updates, refunds — plus the `extra` CTEs of the batch's steps (rules, tiers, stamps, referrals).
 */
export async function writeBatch(
  tx: Tx,
  programId: string,
  now: Date,
  ledger: LedgerWrites,
  w: {
    /** The accepted events, each with its answer as JSON (`response`). */
    eventRows: unknown[];
    touchedOrders: Map<string, OrderState>;
    newRefunds: NewRefund[];
    rejectedKeys: string[];
    extra: (SQL | null)[];
    /** Send the statement with COMMIT (executeAtCommit): only when nothing after it in the transaction reads what it writes. */
    atCommit?: boolean;
  },
) {
  const at = now.toISOString();
  const all = [...w.touchedOrders.values()];
  const newOrders = all.filter((o) => o.isNew);
  const orderRows = newOrders.map((o) => ({
    id: o.id, external_id: o.externalId, customer_id: o.customerId, currency: o.currency, subtotal: o.subtotal, discount: o.discount,
    shipping: o.shipping, tax: o.tax, total: o.total, earning_base: o.earningBase, weight: o.weight, channel: o.channel, store: o.store,
    points_earned: o.pointsEarned, earn_lot_id: o.earnLotId, refunded_amount: o.refundedAmount, refunded_base: o.refundedBase, points_clawed_back: o.pointsClawedBack,
    placed_at: o.placedAt.toISOString(),
  }));
  const lineRows = newOrders.flatMap((o) =>
    o.lines.map((l) => ({ order_id: o.id, line_no: l.lineNo, sku: l.sku, name: l.name, category: l.category, quantity: l.quantity, unit_price: l.unitPrice, weight: l.weight, discount: l.discount, net: l.net, refunded_quantity: l.refundedQuantity })),
  );
  // What orders earned in wallet assets: inserted with new orders, updated where a refund took some back.
  const earningRows = newOrders.flatMap((o) => o.wallet.map((e) => ({ order_id: o.id, asset: e.asset, earned: e.earned, lot_id: e.lotId, clawed_back: e.clawedBack })));
  const earningUpdates = all.filter((o) => !o.isNew).flatMap((o) => o.wallet.filter((e) => e.dirty).map((e) => ({ order_id: o.id, asset: e.asset, clawed_back: e.clawedBack })));
  const orderUpdates = all.filter((o) => !o.isNew).map((o) => ({ id: o.id, refunded_amount: o.refundedAmount, refunded_base: o.refundedBase, points_clawed_back: o.pointsClawedBack }));
  const lineUpdates = all.filter((o) => !o.isNew).flatMap((o) => [...o.dirtyLines].map((n) => ({ order_id: o.id, line_no: n, refunded_quantity: o.lines[n]!.refundedQuantity })));
  const j = (v: unknown) => JSON.stringify(v);
  // Only the CTEs that have rows: fewer to plan, and every update finds its rows by index (`= any`).
  const parts: SQL[] = [];
  const ledgerCtes = ledger.ctes(now);
  if (ledgerCtes) parts.push(ledgerCtes);
  if (w.eventRows.length > 0) {
    // Each event row carries its answer (`response`), for replays of its id: the idempotency row the
    // claim inserted is not written a second time (two WAL records and an index entry fewer per event).
    parts.push(sql`ev as (
      insert into events (id, program_id, external_id, type, name, customer_id, data, occurred_at, recorded_at, response)
      select x.id, ${programId}, x.external_id, x.type, x.name, x.customer_id, x.data, x.occurred_at, ${at}::timestamptz, x.response
        from jsonb_to_recordset(${j(w.eventRows)}::jsonb) as x(id text, external_id text, type text, name text, customer_id text, data jsonb, occurred_at timestamptz, response text))`);
  }
  if (orderRows.length > 0) {
    parts.push(sql`ord as (
      insert into orders (id, program_id, external_id, customer_id, currency, subtotal, discount, shipping, tax, total, earning_base, weight, channel, store,
                          points_earned, earn_lot_id, refunded_amount, refunded_base, points_clawed_back, placed_at, recorded_at)
      select x.id, ${programId}, x.external_id, x.customer_id, x.currency, x.subtotal, x.discount, x.shipping, x.tax, x.total, x.earning_base, x.weight,
             x.channel, x.store, x.points_earned, x.earn_lot_id, x.refunded_amount, x.refunded_base, x.points_clawed_back, x.placed_at, ${at}::timestamptz
        from jsonb_to_recordset(${j(orderRows)}::jsonb) as x(id text, external_id text, customer_id text, currency text, subtotal bigint, discount bigint,
             shipping bigint, tax bigint, total bigint, earning_base bigint, weight bigint, channel text, store text, points_earned bigint, earn_lot_id text,
             refunded_amount bigint, refunded_base bigint, points_clawed_back bigint, placed_at timestamptz)
      returning customer_id, total - refunded_amount as spend, placed_at)`);
    parts.push(sql`ol as (
      insert into order_lines (order_id, line_no, sku, name, category, quantity, unit_price, weight, discount, net, refunded_quantity)
      select x.order_id, x.line_no, x.sku, x.name, x.category, x.quantity, x.unit_price, x.weight, x.discount, x.net, x.refunded_quantity
        from jsonb_to_recordset(${j(lineRows)}::jsonb) as x(order_id text, line_no int, sku text, name text, category text, quantity int, unit_price bigint,
             weight bigint, discount bigint, net bigint, refunded_quantity int))`);
  }
  if (earningRows.length > 0) {
    parts.push(sql`oe as (
      insert into order_earnings (program_id, order_id, asset, earned, lot_id, clawed_back)
      select ${programId}, x.order_id, x.asset, x.earned, x.lot_id, x.clawed_back
        from jsonb_to_recordset(${j(earningRows)}::jsonb) as x(order_id text, asset text, earned bigint, lot_id text, clawed_back bigint))`);
  }
  if (earningUpdates.length > 0) {
    parts.push(sql`oeu as (
      update order_earnings set clawed_back = x.clawed_back
        from jsonb_to_recordset(${j(earningUpdates)}::jsonb) as x(order_id text, asset text, clawed_back bigint)
       where order_earnings.order_id = x.order_id and order_earnings.asset = x.asset and order_earnings.order_id = any(${textArray(earningUpdates.map((u) => u.order_id))}))`);
  }
  if (orderUpdates.length > 0) {
    parts.push(sql`ou as (
      update orders set refunded_amount = x.refunded_amount, refunded_base = x.refunded_base, points_clawed_back = x.points_clawed_back
        from jsonb_to_recordset(${j(orderUpdates)}::jsonb) as x(id text, refunded_amount bigint, refunded_base bigint, points_clawed_back bigint),
             orders old
       where orders.id = x.id and orders.id = any(${textArray(orderUpdates.map((o) => o.id))}) and old.id = orders.id
      returning orders.customer_id, old.refunded_amount - x.refunded_amount as spend)`);
  }
  // The customers' order aggregates (customer_order_stats): one upsert for the new orders and the
  // refunds together, as a statement may change a row only once. (`old` above is the row as the
  // statement found it, before this update.)
  const stats = [...(orderRows.length > 0 ? [sql`select customer_id, 1 as n, spend, placed_at from ord`] : []), ...(orderUpdates.length > 0 ? [sql`select customer_id, 0, spend, null::timestamptz from ou`] : [])];
  if (stats.length > 0) {
    parts.push(sql`cos as (
      insert into customer_order_stats (program_id, customer_id, orders, spend, first_at, last_at)
      select ${programId}, d.customer_id, sum(d.n)::int, sum(d.spend), min(d.placed_at), max(d.placed_at)
        from (${sql.join(stats, sql` union all `)}) as d(customer_id, n, spend, placed_at)
       group by d.customer_id
      on conflict (program_id, customer_id) do update set orders = customer_order_stats.orders + excluded.orders, spend = customer_order_stats.spend + excluded.spend,
        first_at = least(customer_order_stats.first_at, excluded.first_at), last_at = greatest(customer_order_stats.last_at, excluded.last_at))`);
  }
  if (lineUpdates.length > 0) {
    parts.push(sql`olu as (
      update order_lines set refunded_quantity = x.refunded_quantity
        from jsonb_to_recordset(${j(lineUpdates)}::jsonb) as x(order_id text, line_no int, refunded_quantity int)
       where order_lines.order_id = x.order_id and order_lines.line_no = x.line_no and order_lines.order_id = any(${textArray(lineUpdates.map((l) => l.order_id))}))`);
  }
  if (w.newRefunds.length > 0) {
    parts.push(sql`rf as (
      insert into refunds (id, program_id, external_id, order_id, amount, points_clawed_back, shortfall, wallet_clawed_back, recorded_at)
      select x.id, ${programId}, x.external_id, x.order_id, x.amount, x.points_clawed_back, x.shortfall, x.wallet_clawed_back, ${at}::timestamptz
        from jsonb_to_recordset(${j(w.newRefunds)}::jsonb) as x(id text, external_id text, order_id text, amount bigint, points_clawed_back bigint, shortfall bigint, wallet_clawed_back jsonb))`);
  }
  if (w.rejectedKeys.length > 0) {
    parts.push(sql`ikd as (delete from idempotency_keys where program_id = ${programId} and scope = ${EVENT_SCOPE} and key = any(${textArray(w.rejectedKeys)}))`);
  }
  for (const x of w.extra) if (x) parts.push(x);
  if (parts.length === 0) return;
  const statement = sql`with ${sql.join(parts, sql`, `)} select 1`;
  await (w.atCommit ? executeAtCommit(tx, statement) : tx.execute(statement));
}

