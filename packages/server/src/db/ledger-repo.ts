import { sql, type SQL } from "drizzle-orm";
import { pushTo, type Holdings, type Lot, type Plan, type Asset } from "@patron/core";
import { rows, type Executor } from "./connect.ts";
import { textArray } from "./sql-arrays.ts";

/** One customer's (or gift card's) balance of one asset: the unit that is locked and planned on. */
export interface HoldingKey {
  customerId: string;
  asset: Asset;
}

/** The key of a customer's holdings of an asset in a map of several assets. */
export const holdingKey = (customerId: string, asset: Asset) => `${customerId}\u0000${asset}`;

/** A balance row as locked: the state a transaction plans on. */
export interface LockedBalance {
  customerId: string;
  asset: Asset;
  available: number;
  pending: number;
}

/**
 * Locks the balance rows of `keys` (creating missing ones) in one statement, sorted by customer then
 * asset, so two transactions that touch the same balances always lock them in the same order and
 * cannot deadlock. A transaction takes all its balance locks in one call: a second call could take a
 * lower key after a higher one. Every change to a holder's lots happens under this lock.
 */
export async function lockBalancesOf(ex: Executor, programId: string, keys: readonly HoldingKey[], now: Date, locked?: ReadonlyMap<string, LockedBalance>) {
  const unique = new Map<string, HoldingKey>();
  for (const k of keys) unique.set(holdingKey(k.customerId, k.asset), k);
  const sorted = [...unique.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
  const out = new Map<string, LockedBalance>();
  if (sorted.length === 0) return out;
  // All already locked by this transaction (ingest's first statement, claim-events.ts): nothing to ask.
  if (locked && [...unique.keys()].every((key) => locked.has(key))) {
    for (const key of unique.keys()) out.set(key, locked.get(key)!);
    return out;
  }
  const ids = [...new Set(sorted.map((k) => k.customerId))];
  const assets = [...new Set(sorted.map((k) => k.asset))];
  const lock = () =>
    rows<{ customer_id: string; asset: string; available: number; pending: number }>(
      ex,
      // Rows of other (customer, asset) pairs of the cross product are not asked for: the filter keeps only the pairs.
      sql`select customer_id, asset, available::float8 as available, pending::float8 as pending from account_balances
           where program_id = ${programId} and customer_id = any(${textArray(ids)}) and asset = any(${textArray(assets)})
             and (customer_id, asset) in (select * from unnest(${textArray(sorted.map((k) => k.customerId))}, ${textArray(sorted.map((k) => k.asset))}))
           order by customer_id, asset for update`,
    );
  // Existing rows are locked without being rewritten; rows for new pairs are created first.
  let rs = await lock();
  if (rs.length < sorted.length) {
    const have = new Set(rs.map((r) => holdingKey(r.customer_id, r.asset as Asset)));
    const missing = sorted.filter((k) => !have.has(holdingKey(k.customerId, k.asset)));
    await ex.execute(
      sql`insert into account_balances (program_id, customer_id, asset, available, pending, updated_at)
          select ${programId}, c, a, 0, 0, ${now.toISOString()}::timestamptz
            from unnest(${textArray(missing.map((k) => k.customerId))}, ${textArray(missing.map((k) => k.asset))}) as x(c, a) order by c, a
          on conflict do nothing`,
    );
    rs = await lock();
  }
  for (const r of rs) out.set(holdingKey(r.customer_id, r.asset as Asset), { customerId: r.customer_id, asset: r.asset as Asset, available: Number(r.available), pending: Number(r.pending) });
  return out;
}

/** Locks the balance rows of `customerIds` in one asset (see lockBalancesOf). */
export async function lockBalances(ex: Executor, programId: string, customerIds: readonly string[], asset: Asset, now: Date) {
  const locked = await lockBalancesOf(ex, programId, customerIds.map((customerId) => ({ customerId, asset })), now);
  return new Map([...locked.values()].map((b) => [b.customerId, { available: b.available, pending: b.pending }]));
}

interface LotRow {
  id: string;
  customer_id: string;
  asset: string;
  amount: number;
  remaining: number;
  pending: boolean;
  pending_until: string | Date | null;
  expires_at: string | Date | null;
  created_at: string | Date;
}

const toDate = (v: string | Date | null) => (v === null ? null : v instanceof Date ? v : new Date(v));

/** Open lots (value left) of these customers, plus any lots named in `alsoLotIds` (a reversal refills spent lots). */
export async function loadLots(ex: Executor, programId: string, customerIds: readonly string[], asset: Asset, alsoLotIds: readonly string[] = []): Promise<Lot[]> {
  if (customerIds.length === 0) return [];
  const rs = await rows<LotRow>(
    ex,
    sql`select id, customer_id, asset, amount::float8 as amount, remaining::float8 as remaining, pending, pending_until, expires_at, created_at
          from lots
         where program_id = ${programId} and asset = ${asset}
           and customer_id = any(${textArray(customerIds)})
           and (remaining > 0 or id = any(${textArray(alsoLotIds)}))`,
  );
  return rs.map(toLot);
}

function toLot(r: LotRow): Lot {
  return {
    id: r.id,
    customerId: r.customer_id,
    asset: r.asset as Asset,
    amount: Number(r.amount),
    remaining: Number(r.remaining),
    pending: r.pending,
    pendingUntil: toDate(r.pending_until),
    expiresAt: toDate(r.expires_at),
    createdAt: toDate(r.created_at)!,
  };
}

/** A time as the row had it (json_agg's text keeps microseconds; a Date would cut them to milliseconds). */
const rawTime = (v: string | Date | null) => (v instanceof Date ? v.toISOString() : v);

const LOT_COLUMNS = sql`id, customer_id, asset, amount::float8 as amount, remaining::float8 as remaining, pending, pending_until, expires_at, created_at`;
/** Lots of the spend order read per statement while they do not cover the amount yet. */
const SPEND_CHUNK = 64;

/**
 * The open lots of one customer that settling at `now` and then spending `spend` can touch, instead
 * of all of them: every pending lot (a release may make it spendable), every lot due to expire by
 * `now`, the lots `alsoLotIds` names, and the available lots in spend order (core `spendOrder`:
 * soonest expiry, then oldest, then id) until they cover `spend`. planSettle and planDebit give the
 * same plan on these as on all the lots: a lot later in spend order than lots already covering the
 * amount is never reached. A customer with 50,000 open lots made every debit read all 50,000
 * (0.4-0.6 s a request; bench/README.md).
 */
export async function loadLotsToSpend(ex: Executor, programId: string, customerId: string, asset: Asset, now: Date, spend: number, alsoLotIds: readonly string[] = []): Promise<Lot[]> {
  const at = now.toISOString();
  const open = sql`program_id = ${programId} and asset = ${asset} and customer_id = ${customerId} and remaining > 0`;
  const spendable = sql`${open} and not pending and (expires_at is null or expires_at > ${at}::timestamptz)`;
  const order = sql`order by expires_at nulls last, created_at, id collate "C" limit ${SPEND_CHUNK}`;
  const [first] = await rows<{ held: LotRow[]; spendable: LotRow[] }>(
    ex,
    sql`select (select coalesce(json_agg(l), '[]'::json) from (select ${LOT_COLUMNS} from lots
                 where (${open} and (pending or expires_at <= ${at}::timestamptz)) or (program_id = ${programId} and id = any(${textArray(alsoLotIds)}))) l) as held,
               ${spend > 0 ? sql`(select coalesce(json_agg(l), '[]'::json) from (select ${LOT_COLUMNS} from lots where ${spendable} ${order}) l)` : sql`'[]'::json`} as spendable`,
  );
  const out = new Map<string, Lot>();
  for (const r of first!.held) out.set(r.id, toLot(r));
  let chunk = first!.spendable;
  let covered = 0;
  for (;;) {
    for (const r of chunk) {
      const lot = toLot(r);
      out.set(lot.id, lot);
      covered += lot.remaining;
    }
    if (covered >= spend || chunk.length < SPEND_CHUNK) break;
    const last = chunk[chunk.length - 1]!;
    // The next lots in spend order, after the last one read.
    chunk = await rows<LotRow>(
      ex,
      sql`select ${LOT_COLUMNS} from lots where ${spendable}
             and (coalesce(expires_at, 'infinity'), created_at, id collate "C") > (coalesce(${rawTime(last.expires_at)}::timestamptz, 'infinity'), ${rawTime(last.created_at)}::timestamptz, ${last.id} collate "C")
           ${order}`,
    );
  }
  return [...out.values()];
}

/** Locks and loads the holdings of several (holder, asset) pairs at once, keyed by holdingKey. */
export async function loadHoldingsOf(ex: Executor, programId: string, keys: readonly HoldingKey[], now: Date, opts: { lots: boolean; alsoLotIds?: string[]; locked?: ReadonlyMap<string, LockedBalance> }): Promise<Map<string, Holdings>> {
  const balances = await lockBalancesOf(ex, programId, keys, now, opts.locked);
  const out = new Map<string, Holdings>();
  const byAsset = new Map<Asset, string[]>();
  for (const b of balances.values()) pushTo(byAsset, b.asset, b.customerId);
  const lots = new Map<string, Lot[]>();
  if (opts.lots) {
    for (const [asset, ids] of byAsset) {
      for (const l of await loadLots(ex, programId, ids, asset, opts.alsoLotIds)) {
        pushTo(lots, holdingKey(l.customerId, asset), l);
      }
    }
  }
  for (const [k, b] of balances) out.set(k, { customerId: b.customerId, asset: b.asset, available: b.available, pending: b.pending, lots: lots.get(k) ?? [] });
  return out;
}

/**
 * Locks and loads the holdings of `customerIds`. `lots: { spend }`: only the lots settling and then
 * spending that much can touch (loadLotsToSpend), for a request that debits at most `spend` (0: credits only).
 */
export async function loadHoldings(ex: Executor, programId: string, customerIds: readonly string[], asset: Asset, now: Date, opts: { lots: boolean | { spend: number }; alsoLotIds?: string[] }) {
  const balances = await lockBalances(ex, programId, customerIds, asset, now);
  let lots: Lot[] = [];
  if (typeof opts.lots === "object") for (const id of balances.keys()) lots.push(...(await loadLotsToSpend(ex, programId, id, asset, now, opts.lots.spend, opts.alsoLotIds)));
  else if (opts.lots) lots = await loadLots(ex, programId, [...balances.keys()], asset, opts.alsoLotIds);
  const out = new Map<string, Holdings>();
  for (const [customerId, b] of balances) {
    out.set(customerId, { customerId, asset, available: b.available, pending: b.pending, lots: lots.filter((l) => l.customerId === customerId) });
  }
  return out;
}

export interface TransactionMeta {
  id: string;
  type:
    | "earn" | "refund" | "adjustment" | "reversal" | "expiry" | "release" | "redemption" | "redemption_return"
    // Wallets and gift cards (docs/wallet.md)
    | "payment" | "payment_refund" | "payout" | "payout_paid" | "payout_returned" | "gift_card_issue"
    // Stamp cards (docs/stamps.md): N stamps taken off a full card for its reward
    | "stamp_completion";
  customerId: string | null;
  reference: string | null;
  reversesId: string | null;
  source: unknown;
  metadata: Record<string, unknown>;
  effectiveAt: Date;
}

/**
 * Collects the ledger writes of one database transaction (one request or one batch of events), so
 * they reach the database in a single statement. New lots are written with their final `remaining`,
 * since a statement cannot insert a row and then update it.
 */
export class LedgerWrites {
  readonly transactions: (TransactionMeta & { programId: string })[] = [];
  readonly postings: { transaction_id: string; source: string; destination: string; asset: string; amount: number; lot_id: string | null }[] = [];
  private newLots = new Map<string, Lot & { transactionId: string }>();
  private lotUpdates = new Map<string, { remaining: number; pending: boolean }>();
  private balances = new Map<string, Holdings>();

  constructor(readonly programId: string) {}

  /**
   * Records one ledger transaction and the holdings it leaves (the balance rows are written from
   * them): one holding, or several when the transaction moves more than one asset.
   */
  add(meta: TransactionMeta, plan: Plan, after: Holdings | readonly Holdings[] | null): void {
    if (plan.postings.length === 0) return;
    this.transactions.push({ ...meta, programId: this.programId });
    for (const p of plan.postings) {
      this.postings.push({ transaction_id: meta.id, source: p.source, destination: p.destination, asset: p.asset, amount: p.amount, lot_id: p.lotId });
    }
    for (const l of plan.newLots) this.newLots.set(l.id, { ...l, transactionId: meta.id });
    for (const u of plan.lotUpdates) {
      const fresh = this.newLots.get(u.lotId);
      if (fresh) this.newLots.set(u.lotId, { ...fresh, remaining: u.remaining, pending: u.pending });
      else this.lotUpdates.set(u.lotId, { remaining: u.remaining, pending: u.pending });
    }
    for (const a of after === null ? [] : Array.isArray(after) ? after : [after as Holdings]) this.balances.set(`${a.customerId}\u0000${a.asset}`, a);
  }

  get isEmpty(): boolean {
    return this.transactions.length === 0;
  }

  async flush(ex: Executor, now: Date): Promise<void> {
    const ctes = this.ctes(now);
    if (ctes) await ex.execute(sql`with ${ctes} select 1`);
  }

  /**
   * The writes as data-modifying CTEs over JSON parameters (`t as (…), p as (…), …`), so a caller
   * can put them in the same statement as its own writes: one round trip for a whole batch.
   */
  ctes(now: Date): SQL | null {
    if (this.isEmpty) return null;
    const recordedAt = now.toISOString();
    const txns = this.transactions.map((t) => ({
      id: t.id,
      type: t.type,
      customer_id: t.customerId,
      reference: t.reference,
      reverses_id: t.reversesId,
      source: t.source ?? null,
      metadata: t.metadata,
      effective_at: t.effectiveAt.toISOString(),
    }));
    const lots = [...this.newLots.values()].map((l) => ({
      id: l.id,
      customer_id: l.customerId,
      asset: l.asset,
      transaction_id: l.transactionId,
      amount: l.amount,
      remaining: l.remaining,
      pending: l.pending,
      pending_until: l.pendingUntil?.toISOString() ?? null,
      expires_at: l.expiresAt?.toISOString() ?? null,
      created_at: l.createdAt.toISOString(),
    }));
    const updates = [...this.lotUpdates].map(([id, u]) => ({ id, remaining: u.remaining, pending: u.pending }));
    const balances = [...this.balances.values()].map((h) => ({ customer_id: h.customerId, asset: h.asset, available: h.available, pending: h.pending }));
    const j = (v: unknown) => JSON.stringify(v);
    const parts: SQL[] = [
      sql`lt as (
        insert into ledger_transactions (id, program_id, type, customer_id, reference, reverses_id, source, metadata, effective_at, recorded_at)
        select x.id, ${this.programId}, x.type, x.customer_id, x.reference, x.reverses_id, x.source, x.metadata, x.effective_at, ${recordedAt}::timestamptz
          from jsonb_to_recordset(${j(txns)}::jsonb)
            as x(id text, type text, customer_id text, reference text, reverses_id text, source jsonb, metadata jsonb, effective_at timestamptz))`,
      sql`lp as (
        insert into ledger_postings (transaction_id, program_id, source, destination, asset, amount, lot_id)
        select x.transaction_id, ${this.programId}, x.source, x.destination, x.asset, x.amount, x.lot_id
          from jsonb_to_recordset(${j(this.postings)}::jsonb)
            as x(transaction_id text, source text, destination text, asset text, amount bigint, lot_id text))`,
    ];
    if (lots.length > 0) {
      parts.push(sql`ll as (
        insert into lots (id, program_id, customer_id, asset, transaction_id, amount, remaining, pending, pending_until, expires_at, created_at)
        select x.id, ${this.programId}, x.customer_id, x.asset, x.transaction_id, x.amount, x.remaining, x.pending, x.pending_until, x.expires_at, x.created_at
          from jsonb_to_recordset(${j(lots)}::jsonb)
            as x(id text, customer_id text, asset text, transaction_id text, amount bigint, remaining bigint, pending boolean,
                 pending_until timestamptz, expires_at timestamptz, created_at timestamptz))`);
    }
    if (updates.length > 0) {
      parts.push(sql`lu as (
        update lots set remaining = x.remaining, pending = x.pending
          from jsonb_to_recordset(${j(updates)}::jsonb) as x(id text, remaining bigint, pending boolean)
         where lots.id = x.id and lots.id = any(${textArray(updates.map((u) => u.id))}) and lots.program_id = ${this.programId})`);
    }
    if (balances.length > 0) {
      parts.push(sql`lb as (
        update account_balances set available = x.available, pending = x.pending, updated_at = ${recordedAt}::timestamptz
          from jsonb_to_recordset(${j(balances)}::jsonb) as x(customer_id text, asset text, available bigint, pending bigint)
         where account_balances.program_id = ${this.programId} and account_balances.customer_id = x.customer_id and account_balances.asset = x.asset
           and account_balances.customer_id = any(${textArray(balances.map((b) => b.customer_id))}))`);
    }
    return sql.join(parts, sql`, `);
  }
}
