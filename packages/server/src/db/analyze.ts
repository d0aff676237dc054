import { sql } from "drizzle-orm";
import type { AppContext } from "../app/context.ts";

/**
 * Refreshes the planner's statistics of the tables ingest reads. PGlite has no autovacuum, and a
 * PostgreSQL may run without it: with no statistics the planner takes a table for nearly empty and
 * picks plans that read every row of a program (measured: the idempotency update of one event scanned
 * all 10,000 keys, and ingest slowed as the data grew). ANALYZE samples a bounded number of rows, so it
 * stays cheap on large tables. Run by the settlement loop every 10 minutes and after bulk loads.
 */
export async function analyzeTables(ctx: Pick<AppContext, "db">): Promise<void> {
  await ctx.db.execute(
    sql`analyze idempotency_keys, events, customers, orders, order_lines, refunds, ledger_transactions, ledger_postings, account_balances, lots`,
  );
}

/**
 * Runs `analyzeTables` as ingest adds rows, the way autovacuum's analyze threshold would: after the
 * first 2,000 events, then whenever the events since the last run reach a fifth of all seen so far.
 * One run at a time, outside any request's transaction; a failure is logged and retried later.
 */
export class AutoAnalyze {
  private since = 0;
  private total = 0;
  private running = false;

  constructor(private readonly ctx: Pick<AppContext, "db" | "log">) {}

  record(events: number): void {
    this.since += events;
    this.total += events;
    if (this.running || this.since < Math.max(2_000, this.total / 5)) return;
    this.running = true;
    this.since = 0;
    analyzeTables(this.ctx)
      .catch((e: Error) => this.ctx.log.warn({ err: { message: e.message } }, "analyze failed; will retry"))
      .finally(() => (this.running = false));
  }
}
