import { sql } from "drizzle-orm";
import { formatLocalDate, localDate } from "@patron/core";
import type { AppContext } from "../app/context.ts";
import type { Program } from "../app/programs/program.ts";
import { rows } from "../db/connect.ts";
import { settleProgram } from "../app/ledger/settle-holdings.ts";
import { reviewTiers } from "../app/tiers/review-tiers.ts";
import { runBirthdays, type BirthdayRun } from "./birthdays.ts";

export const DAILY_JOB = "daily";

export interface DailyResult {
  /** The program's local date the run was for. */
  date: string;
  /** Expiries and releases written (ledger transactions), and the customers they touched. */
  settled: { transactions: number; customers: number };
  /** Tier reviews whose period and grace have passed (renewals and downgrades). */
  tiers: { reviewed: number; downgraded: number };
  /** Birthday events sent (`day` on the birthday, `monthStart` on the 1st). */
  birthdays: { day: number; monthStart: number };
}

export interface JobRun {
  job: string;
  runKey: string;
  ranAt: string;
  runs: number;
  result: unknown;
}

/**
 * A program's daily job, for its local date at `at`: expires the lots whose date has come (and
 * releases pending ones), reviews tiers whose period has ended, and sends the day's birthday events.
 * Every part is idempotent and safe to run concurrently (settlement locks each customer's balances;
 * tier reviews and birthday events have business keys), so a retry, a second server or a manual run
 * changes nothing twice. The run is recorded in `job_runs` under the local date: the job history,
 * whose result is what all the runs of that date did, added up. Returns what this run did.
 */
export async function runDaily(ctx: AppContext, program: Program, at: Date = ctx.clock.now()): Promise<DailyResult> {
  const date = formatLocalDate(localDate(at, program.timeZone));
  const settled = await settleProgram(ctx, program.id);
  const tiers = await reviewTiers(ctx, program);
  const b: BirthdayRun = await runBirthdays(ctx, program, at);
  const result: DailyResult = { date, settled, tiers, birthdays: { day: b.day, monthStart: b.monthStart } };
  // A rerun of the date (a retry, another server, a manual run) adds its counts to the record: they
  // are disjoint, every part writing each thing once. Setting result = excluded.result let a retry's
  // zeros replace what the first run did. Added in the statement, so concurrent runs lose nothing.
  await ctx.db.execute(sql`
    insert into job_runs (program_id, job, run_key, ran_at, result, runs)
    values (${program.id}, ${DAILY_JOB}, ${date}, ${ctx.clock.now().toISOString()}::timestamptz, ${JSON.stringify(result)}::jsonb, 1)
    on conflict (program_id, job, run_key) do update set ran_at = excluded.ran_at, result = ${addedUp}, runs = job_runs.runs + 1`);
  return result;
}

/** A count of the stored result plus the same count of this run's (a record from before results were kept has none: 0). */
const plus = (group: string, count: string) => {
  const path = `{${group},${count}}`;
  return sql`coalesce((job_runs.result #>> ${path}::text[])::bigint, 0) + (excluded.result #>> ${path}::text[])::bigint`;
};

/** The stored DailyResult and this run's, added up count by count. */
const addedUp = sql`jsonb_build_object(
  'date', excluded.result -> 'date',
  'settled', jsonb_build_object('transactions', ${plus("settled", "transactions")}, 'customers', ${plus("settled", "customers")}),
  'tiers', jsonb_build_object('reviewed', ${plus("tiers", "reviewed")}, 'downgraded', ${plus("tiers", "downgraded")}),
  'birthdays', jsonb_build_object('day', ${plus("birthdays", "day")}, 'monthStart', ${plus("birthdays", "monthStart")}))`;

/** The job history of a program, newest first. */
export async function listJobRuns(ctx: AppContext, programId: string, limit: number): Promise<JobRun[]> {
  const found = await rows<{ job: string; run_key: string; ran_at: Date | string; runs: number; result: unknown }>(
    ctx.db,
    sql`select job, run_key, ran_at, runs, result from job_runs where program_id = ${programId} order by ran_at desc, job limit ${limit}`,
  );
  return found.map((r) => ({ job: r.job, runKey: r.run_key, ranAt: new Date(r.ran_at).toISOString(), runs: Number(r.runs), result: r.result ?? null }));
}
