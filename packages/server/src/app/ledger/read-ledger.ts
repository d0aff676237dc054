import { sql, type SQL } from "drizzle-orm";
import { applyPlan, civilFromDays, daysFromCivil, domainError, err, formatLocalDate, localDate, ok, planSettle, startOfLocalDay, type DomainError, type Holdings, type Result } from "@patron/core";
import { arrayLiteral } from "../../db/sql-arrays.ts";
import { loadLotsToSpend } from "../../db/ledger-repo.ts";
import { rows, type Executor } from "../../db/connect.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";

export interface PostingView {
  source: string;
  destination: string;
  asset: string;
  amount: number;
  lotId: string | null;
}

export interface Change {
  available: number;
  pending: number;
}

export interface TransactionView {
  id: string;
  type: string;
  customerId: string | null;
  reference: string | null;
  reversesId: string | null;
  reversedById: string | null;
  source: unknown;
  metadata: Record<string, unknown>;
  /** The asset the transaction moves, or null when it moves several (a wallet credit bought with points): see `changes`. */
  asset: string | null;
  /**
   * Net change of the holder's available and pending balances in `asset`; for a transaction that
   * moves several assets, in points (what clients written before `changes` expect). Kept for them.
   */
  change: Change;
  /** Net change of the holder's available and pending balances, per asset the transaction moves. */
  changes: Record<string, Change>;
  postings: PostingView[];
  effectiveAt: string;
  recordedAt: string;
}

const iso = (v: unknown) => (v instanceof Date ? v : new Date(v as string)).toISOString();
const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

/** A transaction row of `selectTransactions` as the API shows it. */
export function transactionView(r: Record<string, unknown>): TransactionView {
  const postings = (parse(r.postings) as PostingView[]).map((p) => ({ ...p, amount: Number(p.amount) }));
  const customer = r.customer_id as string | null;
  // Every asset the transaction moves has an entry, even one whose postings never touch the holder
  // (a paid payout leaves a payout hold for the world): the entry says the asset, the zeros say so.
  const changes: Record<string, Change> = {};
  const a = `customer:${customer}:available`;
  const p = `customer:${customer}:pending`;
  for (const x of postings) {
    const c = (changes[x.asset] ??= { available: 0, pending: 0 });
    if (!customer) continue;
    if (x.destination === a) c.available += x.amount;
    if (x.source === a) c.available -= x.amount;
    if (x.destination === p) c.pending += x.amount;
    if (x.source === p) c.pending -= x.amount;
  }
  const assets = Object.keys(changes);
  const asset = assets.length === 1 ? assets[0]! : null;
  return {
    id: r.id as string,
    type: r.type as string,
    customerId: customer,
    reference: r.reference as string | null,
    reversesId: r.reverses_id as string | null,
    reversedById: (r.reversed_by_id as string | null) ?? null,
    source: parse(r.source) ?? null,
    metadata: parse(r.metadata) as Record<string, unknown>,
    asset,
    change: { ...(changes[asset ?? "points"] ?? { available: 0, pending: 0 }) },
    changes,
    postings,
    effectiveAt: iso(r.effective_at),
    recordedAt: iso(r.recorded_at),
  };
}

const selectTransactions = (where: SQL, tail: SQL) => sql`
  select t.id, t.type, t.customer_id, t.reference, t.reverses_id, t.source, t.metadata, t.effective_at, t.recorded_at,
         (select r.id from ledger_transactions r where r.reverses_id = t.id) as reversed_by_id,
         (select json_agg(json_build_object('source', p.source, 'destination', p.destination, 'asset', p.asset, 'amount', p.amount, 'lotId', p.lot_id) order by p.id)
            from ledger_postings p where p.transaction_id = t.id) as postings
    from ledger_transactions t
   where ${where} ${tail}`;

/** Errors: TRANSACTION_NOT_FOUND. */
export async function getTransaction(ex: Executor, programId: string, id: string): Promise<Result<TransactionView, DomainError>> {
  const [r] = await rows<Record<string, unknown>>(ex, selectTransactions(sql`t.program_id = ${programId} and t.id = ${id}`, sql``));
  if (!r) return err(domainError("TRANSACTION_NOT_FOUND", `No transaction ${id} in this program.`, { transactionId: id }));
  return ok(transactionView(r));
}

export interface HistoryQuery {
  limit: number;
  cursor?: string | undefined;
  type?: string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only transactions with postings of this asset (a wallet's history). */
  asset?: string | undefined;
}

/** A customer's whole ledger history, newest first, as one query (the export reads it through a cursor). */
export function historySelect(programId: string, customerId: string): SQL {
  return selectTransactions(sql`t.program_id = ${programId} and t.customer_id = ${customerId}`, sql`order by t.id desc`);
}

/**
 * A customer's ledger history, newest first, a page at a time; filters by type and effective time.
 *
 * Errors: INVALID_CURSOR.
 */
export async function listTransactions(ex: Executor, programId: string, customerId: string, q: HistoryQuery): Promise<Result<{ data: TransactionView[]; nextCursor: string | null }, DomainError>> {
  const conds: SQL[] = [sql`t.program_id = ${programId}`, sql`t.customer_id = ${customerId}`];
  if (q.cursor !== undefined) {
    const before = decodeCursor(q.cursor, "txn");
    if (!before) return err(domainError("INVALID_CURSOR", "The cursor is not one this API returned; start again without it."));
    conds.push(sql`t.id < ${before}`);
  }
  if (q.type && q.type.length > 0) conds.push(sql`t.type in (select jsonb_array_elements_text(${JSON.stringify(q.type)}::jsonb))`);
  if (q.from) conds.push(sql`t.effective_at >= ${q.from.toISOString()}::timestamptz`);
  if (q.to) conds.push(sql`t.effective_at < ${q.to.toISOString()}::timestamptz`);
  if (q.asset) conds.push(sql`exists (select 1 from ledger_postings p where p.transaction_id = t.id and p.asset = ${q.asset})`);
  const rs = await rows<Record<string, unknown>>(ex, selectTransactions(sql.join(conds, sql` and `), sql`order by t.id desc limit ${q.limit + 1}`));
  const page = rs.slice(0, q.limit).map(transactionView);
  return ok({ data: page, nextCursor: rs.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null });
}

export interface BalancesView {
  asset: "points";
  available: number;
  pending: number;
  /** Pending lots and when each becomes available. */
  pendingLots: { amount: number; availableAt: string | null }[];
  /** Available value that expires within `expiringWithinDays`, soonest first, grouped by date. */
  expiringSoon: { amount: number; expiresAt: string }[];
  expiringWithinDays: number;
}

/**
 * Balances as of `now`: lots whose pending period or expiry date has passed are shown released or
 * expired even before the settlement run writes it (the same core `planSettle`, applied in memory).
 */
export async function getBalances(ex: Executor, programId: string, customerId: string, now: Date, days = 30): Promise<BalancesView> {
  const [b] = await rows<{ available: number; pending: number }>(
    ex,
    sql`select available::float8 as available, pending::float8 as pending from account_balances where program_id = ${programId} and customer_id = ${customerId} and asset = 'points'`,
  );
  const horizon = now.getTime() + days * 86_400_000;
  // Only the lots this view shows or settles: pending ones and those expiring by the horizon (spending
  // nothing, loadLotsToSpend reads no others). A lot further out changes no figure here, and a customer
  // may hold tens of thousands of them.
  const lots = await loadLotsToSpend(ex, programId, customerId, "points", new Date(horizon), 0);
  const stored: Holdings = { customerId, asset: "points", available: Number(b?.available ?? 0), pending: Number(b?.pending ?? 0), lots };
  const h = applyPlan(stored, planSettle(stored, now));
  const group = (entries: [string, number][]) => {
    const m = new Map<string, number>();
    for (const [k, v] of entries) m.set(k, (m.get(k) ?? 0) + v);
    return [...m].sort(([a], [b2]) => (a < b2 ? -1 : 1));
  };
  return {
    asset: "points",
    available: h.available,
    pending: h.pending,
    pendingLots: group(h.lots.filter((l) => l.pending).map((l) => [l.pendingUntil?.toISOString() ?? "", l.remaining])).map(([at, amount]) => ({ amount, availableAt: at || null })),
    expiringSoon: group(h.lots.filter((l) => !l.pending && l.expiresAt !== null && l.expiresAt.getTime() <= horizon).map((l) => [l.expiresAt!.toISOString(), l.remaining])).map(([expiresAt, amount]) => ({ amount, expiresAt })),
    expiringWithinDays: days,
  };
}

export interface CustomerSummary {
  lifetimeOrders: number;
  lifetimeSpend: number;
  refundedAmount: number;
  currency: string;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  pointsEarned: number;
  pointsDebited: number;
}

export async function customerSummary(ex: Executor, programId: string, customerId: string, currency: string): Promise<CustomerSummary> {
  const [o] = await rows<{ n: number; spend: number; refunded: number; first: unknown; last: unknown }>(
    ex,
    sql`select count(*)::int as n, coalesce(sum(total), 0)::float8 as spend, coalesce(sum(refunded_amount), 0)::float8 as refunded,
               min(placed_at) as first, max(placed_at) as last
          from orders where program_id = ${programId} and customer_id = ${customerId}`,
  );
  const acct = `customer:${customerId}:available`;
  const pend = `customer:${customerId}:pending`;
  const [p] = await rows<{ earned: number; spent: number }>(
    ex,
    sql`select coalesce(sum(amount) filter (where source = 'world' and destination in (${acct}, ${pend})), 0)::float8 as earned,
               coalesce(sum(amount) filter (where source in (${acct}, ${pend}) and destination <> 'expired' and destination not like 'customer:%'), 0)::float8 as spent
          from ledger_postings where program_id = ${programId} and asset = 'points' and (source in (${acct}, ${pend}) or destination in (${acct}, ${pend}))`,
  );
  return {
    lifetimeOrders: Number(o?.n ?? 0),
    lifetimeSpend: Number(o?.spend ?? 0) - Number(o?.refunded ?? 0),
    refundedAmount: Number(o?.refunded ?? 0),
    currency,
    firstOrderAt: o?.first ? iso(o.first) : null,
    lastOrderAt: o?.last ? iso(o.last) : null,
    pointsEarned: Number(p?.earned ?? 0),
    pointsDebited: Number(p?.spent ?? 0),
  };
}

/**
 * Points about to expire in the whole program: what is left in lots whose date falls in the next
 * `days` days, in total and per local date, with the number of customers. Points already past their
 * date (waiting for the settlement run) are not counted: they are gone.
 *
 * The local days are core's (Intl), passed in as the instants they start at: the database's own
 * time zones (`at time zone`) are not the ones a program was validated against. PostgreSQL read IST
 * as Israel (+2) where the program's expiry dates were computed for India, and did not know AET or
 * US/Pacific-New at all (a 500).
 */
export async function programExpiring(ex: Executor, programId: string, now: Date, days: number, timeZone: string) {
  const until = new Date(now.getTime() + days * 86_400_000);
  const first = localDate(now, timeZone);
  const last = localDate(until, timeZone);
  const labels: string[] = [];
  const starts: string[] = [];
  for (let d = daysFromCivil(first.year, first.month, first.day); d <= daysFromCivil(last.year, last.month, last.day); d++) {
    const day = civilFromDays(d);
    labels.push(formatLocalDate(day));
    starts.push(startOfLocalDay(day, timeZone).toISOString());
  }
  // width_bucket: i when starts[i-1] <= expires_at < starts[i] (1-based), so the lot's local day is labels[i-1].
  const rs = await rows<{ bucket: number; points: number; customers: number }>(
    ex,
    sql`select width_bucket(expires_at, ${arrayLiteral(starts)}::timestamptz[]) as bucket, sum(remaining)::float8 as points, count(distinct customer_id)::int as customers
          from lots
         where program_id = ${programId} and asset = 'points' and remaining > 0 and expires_at is not null
           and expires_at > ${now.toISOString()}::timestamptz and expires_at <= ${until.toISOString()}::timestamptz
         group by 1 order by 1`,
  );
  const [total] = await rows<{ customers: number }>(
    ex,
    sql`select count(distinct customer_id)::int as customers from lots
         where program_id = ${programId} and asset = 'points' and remaining > 0 and expires_at > ${now.toISOString()}::timestamptz and expires_at <= ${until.toISOString()}::timestamptz`,
  );
  return {
    days,
    until: until.toISOString(),
    points: rs.reduce((n, r) => n + Number(r.points), 0),
    customers: Number(total?.customers ?? 0),
    byDay: rs.map((r) => ({ date: labels[Number(r.bucket) - 1]!, points: Number(r.points), customers: Number(r.customers) })),
  };
}
