import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { track } from "./server-process.ts";
import type { WalPerUnit } from "./report.ts";

/**
 * The yardstick: what this PostgreSQL does with a transaction of the same shape as ingesting one
 * event (an idempotency row, a ledger transaction and one of its postings, one balance update),
 * sent by pgbench with no application in between. Tables carry the same kinds of keys and indexes
 * as Patron's, so index maintenance costs the same.
 */
export const PGBENCH_SCHEMA = `
  create sequence bench_txn_seq;
  create table bench_idempotency_keys (
    program_id text not null, scope text not null, key text not null, request_hash text not null, response text,
    created_at timestamptz not null, primary key (program_id, scope, key));
  create table bench_ledger_transactions (
    id text primary key, program_id text not null, type text not null, customer_id text, reference text,
    metadata jsonb not null, effective_at timestamptz not null, recorded_at timestamptz not null);
  create unique index on bench_ledger_transactions (program_id, reference);
  create index on bench_ledger_transactions (program_id, customer_id, id);
  create table bench_ledger_postings (
    id bigserial primary key, transaction_id text not null, program_id text not null, source text not null,
    destination text not null, asset text not null, amount bigint not null);
  create index on bench_ledger_postings (transaction_id);
  create table bench_account_balances (
    program_id text not null, customer_id text not null, asset text not null, available bigint not null,
    pending bigint not null, updated_at timestamptz not null, primary key (program_id, customer_id, asset));
  insert into bench_account_balances
    select 'prg_bench', 'cus_' || g, 'points', 0, 0, now() from generate_series(1, 10000) g;
`;

/** One event's transaction; each statement is one round trip, as pgbench sends them. */
export const PGBENCH_SCRIPT = `\\set c random(1, 10000)
\\set pts random(1, 150)
BEGIN;
INSERT INTO bench_idempotency_keys (program_id, scope, key, request_hash, created_at) VALUES ('prg_bench', 'event', 'evt-' || nextval('bench_txn_seq'), md5(random()::text), now());
INSERT INTO bench_ledger_transactions (id, program_id, type, customer_id, reference, metadata, effective_at, recorded_at) VALUES ('txn_' || currval('bench_txn_seq'), 'prg_bench', 'earn', 'cus_' || :c, 'order:' || currval('bench_txn_seq'), '{"orderId":"o","eventId":"e"}', now(), now());
INSERT INTO bench_ledger_postings (transaction_id, program_id, source, destination, asset, amount) VALUES ('txn_' || currval('bench_txn_seq'), 'prg_bench', 'world', 'customer:cus_' || :c || ':points', 'points', :pts);
UPDATE bench_account_balances SET available = available + :pts, updated_at = now() WHERE program_id = 'prg_bench' AND customer_id = 'cus_' || :c AND asset = 'points';
COMMIT;
`;

export interface PgbenchResult {
  clients: number;
  threads: number;
  seconds: number;
  tps: number;
  transactions: number;
  latencyMs: number | null;
  /** WAL per transaction (pg_stat_wal around the run), when measured. */
  wal?: WalPerUnit | null;
}

/** The cluster's WAL counters so far (pg_stat_wal, PostgreSQL 14+): totals, in the shape of a per-unit figure. */
export type WalCounters = WalPerUnit;

export async function walCounters(client: pg.Client): Promise<WalCounters> {
  const r = (await client.query("select wal_records::float8 as records, wal_fpi::float8 as fpi, wal_bytes::float8 as bytes from pg_stat_wal")).rows[0] as WalCounters;
  return { records: Number(r.records), fpi: Number(r.fpi), bytes: Number(r.bytes) };
}

/** What was written between two readings, per unit (event or transaction). */
export function walPer(before: WalCounters, after: WalCounters, units: number): WalPerUnit | null {
  if (units <= 0) return null;
  return { records: (after.records - before.records) / units, fpi: (after.fpi - before.fpi) / units, bytes: (after.bytes - before.bytes) / units };
}

/** `5.9 KB, 36 records (0.3 full pages)`. */
export function formatWal(w: WalPerUnit): string {
  return `${(w.bytes / 1024).toFixed(1)} KB, ${w.records.toFixed(0)} records (${w.fpi.toFixed(2)} full pages)`;
}

export async function setupPgbenchTables(client: pg.Client): Promise<void> {
  await client.query(PGBENCH_SCHEMA);
  // Separately: a multi-statement query is one implicit transaction, and VACUUM refuses to run in one.
  await client.query("vacuum analyze bench_account_balances");
}

/** Runs /usr/bin/pgbench against `database` (-n: the tables are ours, nothing to vacuum) and parses its tps. */
export async function runPgbench(opts: { host: string; port: number; user: string; database: string; clients: number; threads: number; seconds: number }): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "patron-pgbench-"));
  const script = join(dir, "event.sql");
  writeFileSync(script, PGBENCH_SCRIPT);
  const args = ["-h", opts.host, "-p", String(opts.port), "-U", opts.user, "-n", "-f", script, "-c", String(opts.clients), "-j", String(opts.threads), "-T", String(opts.seconds), opts.database];
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      track(
        execFile("/usr/bin/pgbench", args, { timeout: (opts.seconds + 60) * 1000, env: { ...process.env, PGPASSWORD: process.env.PGPASSWORD ?? "" } }, (err, out, errOut) => {
          if (err) reject(new Error(`pgbench ${args.join(" ")} failed: ${err.message}\n${errOut}`));
          else resolve(out);
        }),
      );
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
    const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
    const failed = /number of failed transactions: (\d+)/.exec(stdout);
    const latency = /latency average = ([\d.]+) ms/.exec(stdout);
    if (!tps || !processed) throw new Error(`could not parse pgbench output:\n${stdout}`);
    if (failed && Number(failed[1]) > 0) throw new Error(`pgbench had ${failed[1]} failed transactions:\n${stdout}`);
    return { clients: opts.clients, threads: opts.threads, seconds: opts.seconds, tps: Number(tps[1]), transactions: Number(processed[1]), latencyMs: latency ? Number(latency[1]) : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
