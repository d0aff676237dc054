import { sql, type SQL } from "drizzle-orm";
import { rows, type Tx } from "../../db/connect.ts";
import { customersQuery, ordersByExternalId, ordersQuery, type OrderState } from "../../db/orders-repo.ts";
import { EVENT_SCOPE } from "./write-batch.ts";
import { holdingKey, type LockedBalance } from "../../db/ledger-repo.ts";
import { rowsInFirstTrip } from "../../db/pipelined-client.ts";
import type { AppContext } from "../context.ts";
import type { Program } from "../programs/program.ts";

export interface Claimed {
  /** Event ids seen for the first time: their idempotency rows are now this transaction's. */
  inserted: Set<string>;
  /** The orders the batch names (locked), by external id. */
  orders: Map<string, OrderState>;
  /** The customers the batch names that exist, by external id (not locked). */
  customers: Map<string, { id: string; status: string }>;
  /** With `lockPoints`: those customers' points balances, locked, by holdingKey (see lockBalancesOf). */
  balances: Map<string, LockedBalance>;
  /** The first row of `then`, when one was given. */
  then: unknown;
  /**
   * With `skipBusy`: the customers (by external id) whose points balance another transaction holds,
   * which the claim did not wait for. Their events are for a later transaction (ingestEvents).
   */
  busy: Set<string>;
}

/**
 * Ingest's first statement: claims the batch's event ids (one idempotency row each, in key order),
 * and in the same round trip reads the orders its order events name (locked, with their lines and wallet
 * earnings when the batch refunds) and the customers it names, and when allowed (onlyOwnPoints) locks those
 * customers' points balances. All in one statement, because single-event ingest is a chain of round
 * trips (bench/README.md).
 *
 * The reads share the statement's snapshot. What they cannot see (an order or customer another
 * transaction is creating at this moment) is caught where it is written: a customer by
 * ensureCustomers' ON CONFLICT, an order by its unique key at the write, which inTransaction retries.
 * An event whose id another transaction holds is not inserted here and is answered as a replay or a
 * conflict, whatever these reads saw.
 */
export async function claimEvents(
  tx: Tx,
  programId: string,
  now: Date,
  input: { keys: { key: string; hash: string }[]; orderIds: string[]; forRefunds: boolean; customerIds: string[]; lockPoints: boolean; skipBusy?: boolean },
  /**
   * A statement to run right after the claim, in the same round trip when the connection allows
   * (rowsInFirstTrip): it sees the claim's locks (ingest reads its rules' state there). It must
   * return one row of json columns.
   */
  then?: SQL,
): Promise<Claimed> {
  const lockPoints = input.lockPoints && input.customerIds.length > 0;
  const skipBusy = lockPoints && input.skipBusy === true;
  const parts: SQL[] = [
    sql`ik as (insert into idempotency_keys (program_id, scope, key, request_hash, created_at)
            select ${programId}, ${EVENT_SCOPE}, x.key, x.hash, ${now.toISOString()}::timestamptz
              from jsonb_to_recordset(${JSON.stringify(input.keys)}::jsonb) as x(key text, hash text)
            on conflict do nothing returning key)`,
  ];
  if (input.orderIds.length > 0) parts.push(sql`ord as (${ordersQuery(programId, input.orderIds, input.forRefunds)})`);
  if (input.customerIds.length > 0) parts.push(sql`cus as (${customersQuery(programId, input.customerIds)})`);
  if (lockPoints) {
    // In customer order, as lockBalancesOf locks (one asset here). With skipBusy, rows another
    // transaction holds are passed over rather than waited for; `busy` names their customers (a
    // plain read sees a locked row, a SKIP LOCKED one does not).
    parts.push(sql`bal as (select customer_id, asset, available::float8 as available, pending::float8 as pending from account_balances
                            where program_id = ${programId} and asset = 'points' and customer_id in (select id from cus)
                            order by customer_id for update${skipBusy ? sql` skip locked` : sql``})`);
  }
  type ClaimRow = { keys: string[]; orders: Record<string, unknown>[]; customers: { id: string; external_id: string; status: string }[]; balances: { customer_id: string; available: number; pending: number }[]; busy: string[] };
  const claim = sql`with ${sql.join(parts, sql`, `)}
        select (select coalesce(json_agg(key), '[]'::json) from ik) as keys,
               ${input.orderIds.length > 0 ? sql`(select coalesce(json_agg(ord), '[]'::json) from ord)` : sql`'[]'::json`} as orders,
               ${input.customerIds.length > 0 ? sql`(select coalesce(json_agg(cus), '[]'::json) from cus)` : sql`'[]'::json`} as customers,
               ${lockPoints ? sql`(select coalesce(json_agg(bal), '[]'::json) from bal)` : sql`'[]'::json`} as balances,
               ${skipBusy
                 ? sql`(select coalesce(json_agg(c.external_id), '[]'::json) from cus c join account_balances b on b.program_id = ${programId} and b.asset = 'points' and b.customer_id = c.id
                         where c.id not in (select customer_id from bal))`
                 : sql`'[]'::json`} as busy`;
  let r: ClaimRow | undefined;
  let after: unknown = null;
  if (then) {
    const [claimRows, thenRows] = await rowsInFirstTrip(tx, [claim, then]);
    r = claimRows![0] as ClaimRow;
    after = thenRows![0] ?? null;
  } else [r] = await rows<ClaimRow>(tx, claim);
  return {
    inserted: new Set(r!.keys),
    orders: ordersByExternalId(r!.orders),
    customers: new Map(r!.customers.map((c) => [c.external_id, { id: c.id, status: c.status }])),
    balances: new Map(r!.balances.map((b) => [holdingKey(b.customer_id, "points"), { customerId: b.customer_id, asset: "points", available: Number(b.available), pending: Number(b.pending) }])),
    then: after,
    busy: new Set(r!.busy),
  };
}

/**
 * Whether ingest may lock the points balances of the batch's customers in its first statement: only
 * when no other balance can be touched (no refunds, which may take back wallet credit; no referral
 * program; no stamp cards; rules give points only), so that all its later balance locks are of rows
 * created in this transaction. Otherwise a
 * second lock statement could take a row after a higher one and deadlock (see lockBalancesOf).
 * Reads the cached cards and rules (a query only when their cache has expired).
 */
export async function onlyOwnPoints(ctx: AppContext, tx: Tx, program: Program, batch: { refunds: boolean }): Promise<boolean> {
  if (batch.refunds || program.referrals?.enabled) return false;
  if ((await ctx.stamps.cards(tx, program.id)).all.size > 0) return false;
  return (await ctx.rules.active(tx, program)).every((r) => r.def.effect.asset === "points");
}
