import { sql } from "drizzle-orm";
import type { AppContext } from "../app/context.ts";
import { programs as programsTable } from "../db/schema.ts";
import { toProgram } from "../app/programs/program-repo.ts";
import { runDueBirthdays } from "./birthdays.ts";
import { settleProgram } from "../app/ledger/settle-holdings.ts";
import { analyzeTables } from "../db/analyze.ts";
import { reviewTiers } from "../app/tiers/review-tiers.ts";

const ANALYZE_EVERY_MS = 10 * 60_000;

/**
 * Releases pending points and expires lots on an interval, for every program, and drops stored
 * responses of Idempotency-Key requests older than 24 hours (event ids stay unique forever).
 * Every 10 minutes it also refreshes the planner's statistics (see db/analyze.ts). Once per local
 * day of each program it sends the birthday events (jobs/birthdays.ts).
 * Runs are idempotent (see settleProgram), so several servers may run this at once.
 * TODO(issue 4): move onto the job queue with per-program daily schedules in each time zone.
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
        const r = await settleProgram(ctx, p.id);
        if (r.transactions > 0) ctx.log.info({ program: p.id, ...r }, "settled");
        // Tier reviews whose period and grace have passed (downgrades, renewals).
        const t = await reviewTiers(ctx, p);
        if (t.reviewed > 0) ctx.log.info({ program: p.id, ...t }, "tiers reviewed");
      }
      await runDueBirthdays(ctx, programs);
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
