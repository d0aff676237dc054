import { PgBoss, fromPglite } from "pg-boss";
import type { AppContext } from "../app/context.ts";
import type { Database } from "../db/connect.ts";
import { programs as programsTable } from "../db/schema.ts";
import { findProgram, toProgram } from "../app/programs/program-repo.ts";
import { runDaily } from "./daily.ts";

/** The pg-boss queue of every program's daily job; one schedule per program, keyed by its id. */
export const DAILY_QUEUE = "patron-daily";
/** 00:05 in the program's own time zone: just after its local midnight. */
export const DAILY_CRON = "5 0 * * *";

export interface JobQueue {
  /** Brings the schedules in line with the programs (new programs, changed time zones, deleted ones). */
  reconcile(): Promise<void>;
  /** The daily schedules, one per program: what `reconcile` keeps in line. */
  schedules(): Promise<{ programId: string; cron: string; timeZone: string }[]>;
  /** Queues a program's daily job now; resolves to the job id. */
  enqueueDaily(programId: string): Promise<string | null>;
  stop(): Promise<void>;
}

/**
 * The job queue: pg-boss in its own `pgboss` schema of the same database (on PGlite, on the same
 * instance through pg-boss's adapter). Each program has a cron schedule in its time zone that queues
 * its daily job (jobs/daily.ts); a failed job is retried with backoff, a deployment that was down at
 * 00:05 runs the missed day once when it comes back, and pg-boss keeps the jobs' states while
 * `job_runs` keeps what each run did. Several servers may run this: pg-boss hands each job to one.
 */
export async function startJobQueue(ctx: AppContext, database: Database, opts: { reconcileSeconds?: number; pollingSeconds?: number } = {}): Promise<JobQueue> {
  const boss =
    database.kind === "pglite"
      ? new PgBoss({ db: fromPglite(database.pglite!), backend: "pglite", schema: "pgboss" })
      : new PgBoss({ connectionString: database.url!, schema: "pgboss", max: 3, application_name: "patron-jobs" });
  boss.on("error", (e: Error) => ctx.log.error({ err: { message: e.message } }, "job queue error"));
  await boss.start();
  await boss.createQueue(DAILY_QUEUE, { retryLimit: 5, retryDelay: 60, retryBackoff: true, expireInSeconds: 3600 });
  await boss.work<{ programId: string }>(DAILY_QUEUE, { pollingIntervalSeconds: opts.pollingSeconds ?? 10 }, async (jobs) => {
    for (const job of jobs) {
      const found = await findProgram(ctx.db, job.data.programId);
      if (!found) continue; // deleted since it was queued: nothing to do
      const result = await runDaily(ctx, found);
      ctx.log.info({ program: found.id, ...result }, "daily job ran");
    }
  });

  const reconcile = async () => {
    const programs = (await ctx.db.select().from(programsTable)).map(toProgram);
    const schedules = new Map((await boss.getSchedules(DAILY_QUEUE)).map((s) => [s.key, s]));
    for (const p of programs) {
      const s = schedules.get(p.id);
      if (s && s.cron === DAILY_CRON && s.timezone === p.timeZone) continue;
      await boss.schedule(DAILY_QUEUE, DAILY_CRON, { programId: p.id }, { tz: p.timeZone, key: p.id, missed: "once" });
    }
    const ids = new Set(programs.map((p) => p.id));
    for (const key of schedules.keys()) if (!ids.has(key)) await boss.unschedule(DAILY_QUEUE, key);
  };
  await reconcile();
  let reconciling = false;
  const timer = setInterval(() => {
    if (reconciling) return;
    reconciling = true;
    reconcile()
      .catch((e: Error) => ctx.log.error({ err: { message: e.message } }, "job schedules not updated; will retry"))
      .finally(() => (reconciling = false));
  }, (opts.reconcileSeconds ?? 60) * 1000);
  timer.unref();
  return {
    reconcile,
    schedules: async () => (await boss.getSchedules(DAILY_QUEUE)).map((s) => ({ programId: s.key, cron: s.cron, timeZone: s.timezone })),
    enqueueDaily: (programId) => boss.send(DAILY_QUEUE, { programId }),
    async stop() {
      clearInterval(timer);
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };
}
