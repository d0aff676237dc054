import { sql } from "drizzle-orm";
import type { AppContext } from "../app/context.ts";
import { programs as programsTable } from "../db/schema.ts";
import { toProgram } from "../app/programs/program-repo.ts";
import { settleProgram } from "../app/ledger/settle-holdings.ts";
import { analyzeTables } from "../db/analyze.ts";

const ANALYZE_EVERY_MS = 10 * 60_000;

/**
 * The minute loop: releases pending points whose period has passed, for every program, and drops
 * stored responses of Idempotency-Key requests older than 24 hours (event ids stay unique forever).
 * Every 10 minutes it also refreshes the planner's statistics (see db/analyze.ts). Expiry, tier
 * reviews and birthdays are each program's daily job on the job queue (jobs/job-queue.ts).
 * Runs are idempotent (see settleProgram), so several servers may run this at once.
 */
export function startSettlement(ctx: AppContext, intervalSeconds: number): { stop(): void } {
  if (intervalSeconds <= 0) return { stop() {} };
  let running = false;
  let analyzedAt = Number.NEGATIVE_INFINITY;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (ctx.clock.now().getTime() - analyzedAt >= ANALYZE_EVERY_MS) {
        await analyzeTables(ctx);
        analyzedAt = ctx.clock.now().getTime();
      }
      const programs = (await ctx.db.select().from(programsTable).orderBy(programsTable.id)).map(toProgram);
      for (const p of programs) {
        const r = await settleProgram(ctx, p.id, { releasesOnly: true });
        if (r.transactions > 0) ctx.log.info({ program: p.id, ...r }, "released");
      }
      await ctx.db.execute(sql`delete from idempotency_keys where scope <> 'event' and created_at < ${new Date(ctx.clock.now().getTime() - 86_400_000).toISOString()}::timestamptz`);
    } catch (e) {
      ctx.log.error({ err: { message: (e as Error).message } }, "settlement failed; will retry");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
