import { sql } from "drizzle-orm";
import { applyPlan, emptyPlan, planSettle, EXPIRED, type Asset, type Holdings, type Plan } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows } from "../../db/connect.ts";
import { inTransaction } from "../../db/tx.ts";
import { LedgerWrites, loadHoldingsOf, type TransactionMeta } from "../../db/ledger-repo.ts";

/**
 * The ledger transactions that bring one customer's holdings up to `now`: a `release` moving
 * pending lots whose period has passed to available, and an `expiry` removing lots whose date has come.
 */
export function settleTransactions(ctx: AppContext, h: Holdings, now: Date): { meta: TransactionMeta; plan: Plan; after: Holdings }[] {
  const plan = planSettle(h, now);
  if (plan.postings.length === 0 && plan.lotUpdates.length === 0) return [];
  const release: Plan = { ...emptyPlan(), postings: plan.postings.filter((p) => p.destination !== EXPIRED) };
  const expiry: Plan = { ...emptyPlan(), postings: plan.postings.filter((p) => p.destination === EXPIRED) };
  // Lot updates ride with the last transaction written, so they are applied whatever the mix.
  (expiry.postings.length > 0 ? expiry : release).lotUpdates = plan.lotUpdates;
  const out: { meta: TransactionMeta; plan: Plan; after: Holdings }[] = [];
  let current = h;
  for (const [type, p] of [["release", release], ["expiry", expiry]] as const) {
    if (p.postings.length === 0) continue;
    current = applyPlan(current, p);
    out.push({
      meta: { id: ctx.ids.next("txn"), type, customerId: h.customerId, reference: null, reversesId: null, source: { kind: "settlement" }, metadata: {}, effectiveAt: now },
      plan: p,
      after: current,
    });
  }
  return out;
}

/** Records the settlement of `h` in `writes` and returns the holdings it leaves (`h` itself when nothing is due). */
export function settleInto(ctx: AppContext, writes: LedgerWrites, h: Holdings, now: Date): Holdings {
  let current = h;
  for (const s of settleTransactions(ctx, h, now)) {
    writes.add(s.meta, s.plan, s.after);
    current = s.after;
  }
  return current;
}

/**
 * Releases and expires everything due in a program, a chunk of customers per transaction. Safe to
 * run twice or concurrently: each customer is settled under its balance lock, so a second runner
 * finds nothing left to do. Returns how many transactions it wrote.
 * `releasesOnly` looks only for pending lots whose period has passed (the minute loop); a customer it
 * finds is still settled whole, expiries included. Expiry of the rest is the daily job's (jobs/daily.ts).
 */
export async function settleProgram(ctx: AppContext, programId: string, opts: { chunk?: number; releasesOnly?: boolean } = {}): Promise<{ transactions: number; customers: number }> {
  const chunk = opts.chunk ?? 200;
  let transactions = 0;
  // The customers the written transactions are for: counting the due rows instead counted a customer
  // once per asset, and counted customers a concurrent run had already settled (0 transactions, N customers).
  const customers = new Set<string>();
  for (;;) {
    const now = ctx.clock.now();
    const due = await rows<{ customer_id: string; asset: Asset }>(
      ctx.db,
      sql`select distinct customer_id, asset from lots
           where program_id = ${programId} and remaining > 0
             and (${opts.releasesOnly ? sql`false` : sql`expires_at <= ${now.toISOString()}::timestamptz`} or (pending and pending_until <= ${now.toISOString()}::timestamptz))
           order by customer_id, asset limit ${chunk}`,
    );
    if (due.length === 0) break;
    const written = await inTransaction(ctx.db, async (tx) => {
      const holdings = await loadHoldingsOf(tx, programId, due.map((d) => ({ customerId: d.customer_id, asset: d.asset })), now, { lots: true });
      const writes = new LedgerWrites(programId);
      for (const h of holdings.values()) settleInto(ctx, writes, h, now);
      await writes.flush(tx, now);
      for (const t of writes.transactions) if (t.customerId) customers.add(t.customerId);
      return writes.transactions.length;
    });
    transactions += written;
    if (written === 0 || due.length < chunk) break;
  }
  return { transactions, customers: customers.size };
}
