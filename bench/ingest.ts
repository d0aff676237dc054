/**
 * Ingest benchmark (issue 2): events/s of order.completed through the HTTP API, single events with 1
 * and 8 producers and the batch endpoint with 1 and 2 producers, on PostgreSQL and on PGlite, each
 * shown as a ratio to pgbench running a transaction of the same shape on the same PostgreSQL.
 *
 *   npm run bench                                        # everything, about 5 minutes
 *   npm run bench -- --seconds 3 --runs 1 --db postgres  # a smoke run, under a minute
 *
 * See bench/README.md for what the figures mean.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { batchSender, BadResponse, Client, drive, OrderEvents, singleEventSender, type Send } from "./load.ts";
import { formatWal, runPgbench, setupPgbenchTables, walCounters, walPer, type PgbenchResult, type WalCounters } from "./pgbench.ts";
import { benchRules } from "./rule-set.ts";
import { formatReport, judgeGoals, median, type DbKind, type RunFigures, type ScenarioKey, type ScenarioRow } from "./report.ts";
import { cpuSeconds, killAllChildren, postgresCpuByPid, postgresCpuDelta, RssSampler, startServerProcess, type ServerProcess } from "./server-process.ts";

/** Three levels by spend in the calendar year, with an earning bonus on the top two: every order measures and may upgrade. */
const BENCH_TIERS = {
  basis: "spend", window: "calendar_year", graceDays: 30, downgrade: "one_level",
  levels: [
    { key: "silver", name: "Silver", threshold: 10_000, benefits: {} },
    { key: "gold", name: "Gold", threshold: 50_000, benefits: { earnBonusPercent: 10, entryPoints: 100 } },
    { key: "platinum", name: "Platinum", threshold: 200_000, benefits: { earnBonusPercent: 25 } },
  ],
};

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Options {
  seconds: number;
  warmup: number;
  runs: number;
  dbs: DbKind[];
  pgbenchSeconds: number;
  customers: number;
  batchSize: number;
  pgUrl: string;
  scenarios: ScenarioKey[];
  cpuProf: boolean;
  keepDb: boolean;
  maxMinutes: number;
  seed: boolean;
  analyze: boolean;
  /** After the scenarios, create this many earning rules and run them again (issue 3's goal). */
  rules: number;
  /** After the other phases, set a tier scheme (three levels by spend) and run again (issue 6: what tiers cost ingest). */
  tiers: boolean;
  /** Batch producers draw their customers from separate slices: no batch waits for another's row locks. */
  disjoint: boolean;
}

const SCENARIOS: { key: ScenarioKey; label: string; kind: "single" | "batch"; producers: number; baseline: "pgbench-1" | "pgbench-8" }[] = [
  { key: "single-1", label: "single event, 1 producer", kind: "single", producers: 1, baseline: "pgbench-1" },
  { key: "single-8", label: "single event, 8 producers", kind: "single", producers: 8, baseline: "pgbench-8" },
  { key: "batch-1", label: "batch, 1 producer", kind: "batch", producers: 1, baseline: "pgbench-8" },
  { key: "batch-2", label: "batch, 2 producers", kind: "batch", producers: 2, baseline: "pgbench-8" },
];

const USAGE = `npm run bench -- [options]   (each option also reads an environment variable)
  --seconds N           measured seconds per run (BENCH_SECONDS, default 8)
  --warmup N            warm-up seconds before each run (BENCH_WARMUP, default 2)
  --runs N              runs per scenario; the median is reported (BENCH_RUNS, default 3)
  --db both|postgres|pglite                      (BENCH_DB, default both)
  --scenarios LIST      comma-separated: single-1,single-8,batch-1,batch-2 (BENCH_SCENARIOS, default all)
  --pgbench-seconds N   pgbench -T; 0 skips pgbench (BENCH_PGBENCH_SECONDS, default 10)
  --customers N         distinct customer ids (BENCH_CUSTOMERS, default 10000)
  --batch-size N        events per batch request, at most 1000 (BENCH_BATCH_SIZE, default 1000)
  --pg-url URL          PostgreSQL server, without a database name (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432)
  --no-seed             do not create the customers before measuring (BENCH_SEED=0)
  --no-analyze          do not ANALYZE the PostgreSQL database before each scenario (BENCH_ANALYZE=0)
  --rules N             then create N earning rules (at most 20, bench/rule-set.ts) and run the scenarios again (BENCH_RULES, default 0)
  --tiers               then set a three-level tier scheme by spend and run the scenarios again (BENCH_TIERS=1)
  --disjoint            batch producers draw customers from separate slices, so their batches never wait
                        for each other's row locks: the lock-free ceiling (BENCH_DISJOINT=1)
  --cpu-prof            run the server children with --cpu-prof; profiles go to bench/results/
  --keep-db             keep the PostgreSQL bench database at the end, for EXPLAIN (BENCH_KEEP_DB=1)
  --max-minutes N       hard stop for the whole run (BENCH_MAX_MINUTES, default 15)`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string" },
      warmup: { type: "string" },
      runs: { type: "string" },
      db: { type: "string" },
      scenarios: { type: "string" },
      "pgbench-seconds": { type: "string" },
      customers: { type: "string" },
      "batch-size": { type: "string" },
      "pg-url": { type: "string" },
      "cpu-prof": { type: "boolean", default: false },
      "keep-db": { type: "boolean", default: false },
      "no-seed": { type: "boolean", default: false },
      "no-analyze": { type: "boolean", default: false },
      "max-minutes": { type: "string" },
      rules: { type: "string" },
      tiers: { type: "boolean", default: false },
      disjoint: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const num = (name: string, v: string | undefined, fallback: number, min: number) => {
    const n = v === undefined || v === "" ? fallback : Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min} (got ${v})`);
    return n;
  };
  const db = values.db ?? env.BENCH_DB ?? "both";
  if (!["both", "postgres", "pglite"].includes(db)) throw new Error(`--db must be both, postgres or pglite (got ${db})`);
  const scenarios = (values.scenarios ?? env.BENCH_SCENARIOS ?? SCENARIOS.map((s) => s.key).join(",")).split(",").map((s) => s.trim()) as ScenarioKey[];
  for (const s of scenarios) if (!SCENARIOS.some((d) => d.key === s)) throw new Error(`unknown scenario ${s}; use ${SCENARIOS.map((d) => d.key).join(", ")}`);
  return {
    seconds: num("seconds", values.seconds ?? env.BENCH_SECONDS, 8, 0.5),
    warmup: num("warmup", values.warmup ?? env.BENCH_WARMUP, 2, 0),
    runs: Math.round(num("runs", values.runs ?? env.BENCH_RUNS, 3, 1)),
    dbs: db === "both" ? ["postgres", "pglite"] : [db as DbKind],
    pgbenchSeconds: Math.round(num("pgbench-seconds", values["pgbench-seconds"] ?? env.BENCH_PGBENCH_SECONDS, 10, 0)),
    customers: Math.round(num("customers", values.customers ?? env.BENCH_CUSTOMERS, 10_000, 1)),
    batchSize: Math.min(1000, Math.round(num("batch-size", values["batch-size"] ?? env.BENCH_BATCH_SIZE, 1000, 1))),
    pgUrl: (values["pg-url"] ?? env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432").replace(/\/+$/, ""),
    scenarios,
    cpuProf: values["cpu-prof"]!,
    keepDb: values["keep-db"]! || env.BENCH_KEEP_DB === "1",
    seed: !values["no-seed"] && env.BENCH_SEED !== "0",
    analyze: !values["no-analyze"] && env.BENCH_ANALYZE !== "0",
    rules: Math.min(20, Math.round(num("rules", values.rules ?? env.BENCH_RULES, 0, 0))),
    tiers: values.tiers! || env.BENCH_TIERS === "1",
    disjoint: values.disjoint! || env.BENCH_DISJOINT === "1",
    maxMinutes: num("max-minutes", values["max-minutes"] ?? env.BENCH_MAX_MINUTES, 15, 1),
  };
}

// ---- cleanup: every resource registers how to undo itself; any exit path runs the list once ----

const cleanups: { name: string; fn: () => Promise<void> }[] = [];
let cleaningUp: Promise<void> | null = null;

function onCleanup(name: string, fn: () => Promise<void>): () => Promise<void> {
  const entry = { name, fn };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
}

function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup (${name}) failed: ${(e as Error).message}`);
      }
    }
    cleanups.length = 0;
  })();
  return cleaningUp;
}

process.on("exit", killAllChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the servers and dropping the bench database`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- PostgreSQL ----

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A connection ended from the server side (drop database ... with (force)) must not crash the run.
  client.on("error", (e) => console.error(`  (PostgreSQL connection: ${e.message})`));
  await client.connect();
  return client;
}

/** Connects to the maintenance database, starting the local cluster first if it is down. */
async function adminConnection(pgUrl: string): Promise<pg.Client> {
  try {
    return await connect(`${pgUrl}/postgres`);
  } catch (e) {
    const local = /@(127\.0\.0\.1|localhost)(:|\/|$)/.test(pgUrl);
    const versions = local ? readdirSafe("/etc/postgresql") : [];
    if (!versions.length) throw e;
    console.log(`PostgreSQL is not answering (${(e as Error).message}); starting cluster ${versions[0]}/main`);
    execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", versions[0]!, "main", "start"], { stdio: "inherit" });
    for (let i = 0; ; i++) {
      try {
        return await connect(`${pgUrl}/postgres`);
      } catch (err) {
        if (i >= 30) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

// ---- the server under test ----

const ADMIN_TOKEN = randomBytes(24).toString("hex");

async function createProgram(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/programs`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Bench", currency: "USD", timeZone: "UTC" }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new BadResponse("POST /v1/programs", res.status, text);
  return (JSON.parse(text) as { secretKey: { secret: string } }).secretKey.secret;
}

async function startServer(db: DbKind, env: Record<string, string>, opts: Options, stamp: string): Promise<ServerProcess> {
  const profDir = join(ROOT, "bench", "results", `prof-${stamp}-${db}`);
  if (opts.cpuProf) mkdirSync(profDir, { recursive: true });
  const t0 = Date.now();
  const server = await startServerProcess({
    cwd: ROOT,
    label: db,
    nodeFlags: opts.cpuProf ? ["--cpu-prof", "--cpu-prof-dir", profDir] : [],
    env: {
      ...env,
      PORT: "0", // the server picks a free port and prints its URL, which we read
      PATRON_RATE_LIMIT: "0",
      PATRON_SETTLE_INTERVAL: "0",
      PATRON_JOBS: "0",
      LOG_LEVEL: "warn",
      PATRON_DB_POOL: "16",
      // Group commit for single events; unset, the server's default applies.
      ...(process.env.PATRON_INGEST_CONCURRENCY ? { PATRON_INGEST_CONCURRENCY: process.env.PATRON_INGEST_CONCURRENCY } : {}),
      ...(process.env.PATRON_MAX_HEAP_MB ? { PATRON_MAX_HEAP_MB: process.env.PATRON_MAX_HEAP_MB } : {}),
      ...(process.env.PATRON_INGEST_LINGER_MS ? { PATRON_INGEST_LINGER_MS: process.env.PATRON_INGEST_LINGER_MS } : {}),
      // Round trips per transaction (db/pipelined-client.ts); unset, the server's default (on) applies.
      ...(process.env.PATRON_PG_PIPELINE ? { PATRON_PG_PIPELINE: process.env.PATRON_PG_PIPELINE } : {}),
      PATRON_ADMIN_TOKEN: ADMIN_TOKEN,
    },
  });
  console.log(`  ${db} server pid ${server.pid} at ${server.url} (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)${opts.cpuProf ? `, CPU profile to ${profDir}` : ""}`);
  return server;
}

/** Runs the selected scenarios against one server; returns a row per scenario and the events it got accepted. */
async function runScenarios(db: DbKind, server: ServerProcess, token: string, opts: Options, stamp: string, pgbench: Map<string, PgbenchResult>, pgDatabase: string | null, beforeScenario: () => Promise<void>) {
  const rows: ScenarioRow[] = [];
  let accepted = 0;
  const events = new OrderEvents(`bench-${stamp}-${db}`, opts.customers);
  if (opts.seed) {
    // Steady state: every customer exists (one order each) before anything is measured, so no
    // scenario pays for creating customers and the order of scenarios does not change what they see.
    const t0 = Date.now();
    const client = new Client(server.url, 1);
    const send = batchSender(client, token, new OrderEvents(`seed-${stamp}-${db}`, opts.customers, true), Math.min(1000, opts.customers));
    try {
      while (accepted < opts.customers) accepted += await send(0);
    } finally {
      client.close();
    }
    console.log(`  ${db.padEnd(8)} seeded ${opts.customers} customers with one order each in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  // With --rules, the runs without and with the rules alternate within each scenario (the rules are
  // disabled and enabled between runs): the machine's speed drifts by a third within an hour, and
  // issue 3's goal is a ratio of the two, which measured one phase after the other carried that drift.
  const ruleIds = opts.rules > 0 ? await createRules(server.url, token, opts.rules) : [];
  if (ruleIds.length > 0) console.log(`  ${db.padEnd(8)} created ${ruleIds.length} earning rules; each scenario alternates runs without and with them`);
  const phases: Phase[] = [{ ruleCount: 0, tiers: false }, ...(ruleIds.length > 0 ? [{ ruleCount: ruleIds.length, tiers: false }] : [])];
  const ctx: MeasureContext = { db, server, token, opts, events, pgDatabase };
  let rulesOn: boolean | null = null;
  for (const def of SCENARIOS.filter((s) => opts.scenarios.includes(s.key))) {
    await beforeScenario();
    const measured = phases.map((phase) => ({ phase, m: new ScenarioMeasurement(ctx, def, phase) }));
    try {
      for (let run = 1; run <= opts.runs; run++) {
        for (const { phase, m } of measured) {
          const want = phase.ruleCount > 0;
          if (ruleIds.length > 0 && rulesOn !== want) {
            await setRules(server.url, token, ruleIds, want);
            rulesOn = want;
          }
          accepted += await m.run(run);
        }
      }
    } finally {
      for (const { m } of measured) await m.close();
    }
    for (const { m } of measured) rows.push(m.row(pgbench));
  }
  if (opts.tiers) {
    if (ruleIds.length > 0 && rulesOn !== true) await setRules(server.url, token, ruleIds, true);
    const res = await fetch(`${server.url}/v1/tiers`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ tiers: BENCH_TIERS }) });
    if (res.status !== 200) throw new BadResponse("PUT /v1/tiers", res.status, await res.text());
    console.log(`  ${db.padEnd(8)} set a three-level tier scheme; the scenarios again:`);
    for (const def of SCENARIOS.filter((s) => opts.scenarios.includes(s.key))) {
      await beforeScenario();
      const m = new ScenarioMeasurement(ctx, def, { ruleCount: ruleIds.length, tiers: true });
      try {
        for (let run = 1; run <= opts.runs; run++) accepted += await m.run(run);
      } finally {
        await m.close();
      }
      rows.push(m.row(pgbench));
    }
  }
  return { rows, accepted };
}

interface Phase {
  ruleCount: number;
  tiers: boolean;
}

interface MeasureContext {
  db: DbKind;
  server: ServerProcess;
  token: string;
  opts: Options;
  events: OrderEvents;
  pgDatabase: string | null;
}

/** Creates the bench's earning rules (bench/rule-set.ts); returns their ids. */
async function createRules(url: string, token: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (const body of benchRules(count)) {
    const res = await fetch(`${url}/v1/rules`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new BadResponse("POST /v1/rules", res.status, await res.text());
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

/** Enables or disables the rules (the server's rule cache follows at once). */
async function setRules(url: string, token: string, ids: readonly string[], on: boolean): Promise<void> {
  for (const id of ids) {
    const res = await fetch(`${url}/v1/rules/${id}/${on ? "enable" : "disable"}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new BadResponse(`POST /v1/rules/${id}/${on ? "enable" : "disable"}`, res.status, await res.text());
  }
}

/** The runs of one scenario in one phase (rules, tiers): its client, RSS sampler and figures. */
class ScenarioMeasurement {
  private readonly label: string;
  private readonly client: Client;
  private readonly send: Send;
  private readonly rss: RssSampler;
  private readonly runs: RunFigures[] = [];
  private maxRssMb = 0;

  constructor(
    private readonly ctx: MeasureContext,
    private readonly def: (typeof SCENARIOS)[number],
    private readonly phase: Phase,
  ) {
    const { server, token, opts, events } = ctx;
    this.label = `${def.label}${phase.ruleCount > 0 ? ` + ${phase.ruleCount} rules` : ""}${phase.tiers ? " + tiers" : ""}`;
    this.client = new Client(server.url, def.producers);
    this.send = def.kind === "single" ? singleEventSender(this.client, token, events) : batchSender(this.client, token, events, opts.batchSize, opts.disjoint ? def.producers : 0);
    this.rss = new RssSampler(server.pid, 200);
  }

  /** One measured run (warm-up, then the window); returns the events accepted. */
  async run(run: number): Promise<number> {
    const { db, server, opts, pgDatabase } = this.ctx;
    const def = this.def;
    // pg_stat_wal is the whole cluster's: the bench database is the only busy one on a quiet machine.
    const walClient = db === "postgres" ? await adminConnection(opts.pgUrl) : null;
    try {
      let cpu0 = { server: 0, postgres: new Map<number, number>(), bench: 0, at: 0 };
      let cpu1 = cpu0;
      const read = () => ({
        server: cpuSeconds(server.pid),
        postgres: db === "postgres" && pgDatabase ? postgresCpuByPid(pgDatabase) : new Map<number, number>(),
        bench: (() => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1e6;
        })(),
        at: performance.now() / 1000,
      });
      // WAL at the window's edges (read asynchronously: a few milliseconds of skew, over seconds).
      let wal0: Promise<WalCounters> | null = null;
      let wal1: Promise<WalCounters> | null = null;
      const m = await drive(this.send, def.producers, opts.warmup * 1000, opts.seconds * 1000, {
        onMeasureStart: () => {
          cpu0 = read();
          if (walClient) wal0 = walCounters(walClient);
        },
        onMeasureEnd: () => {
          cpu1 = read();
          if (walClient) wal1 = walCounters(walClient);
        },
      });
      const wal = wal0 && wal1 ? walPer(await wal0, await wal1, m.events) : null;
      const span = cpu1.at - cpu0.at;
      const pct = (a: number, b: number) => (100 * (b - a)) / span;
      const figures: RunFigures = {
        eventsPerSec: m.eventsPerSec,
        events: m.events,
        requests: m.requests,
        seconds: m.seconds,
        p50Ms: m.p50Ms,
        p99Ms: m.p99Ms,
        cpu: { server: pct(cpu0.server, cpu1.server), postgres: db === "postgres" ? pct(0, postgresCpuDelta(cpu0.postgres, cpu1.postgres)) : null, bench: pct(cpu0.bench, cpu1.bench) },
        wal,
      };
      this.runs.push(figures);
      console.log(
        `  ${db.padEnd(8)} ${this.label.padEnd(26)} run ${run}/${opts.runs}: ${Math.round(m.eventsPerSec).toLocaleString("en-US").padStart(7)} events/s` +
          `  (${m.requests} requests, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms; CPU server ${figures.cpu.server.toFixed(0)}%` +
          `${figures.cpu.postgres === null ? "" : `, postgres ${figures.cpu.postgres.toFixed(0)}%`}, bench ${figures.cpu.bench.toFixed(0)}%; RSS max so far ${this.rss.max.toFixed(0)} MB` +
          `${wal ? `; WAL per event ${formatWal(wal)}` : ""})`,
      );
      return m.totalAccepted;
    } finally {
      await walClient?.end();
    }
  }

  async close(): Promise<void> {
    this.client.close();
    this.maxRssMb = this.rss.stop();
  }

  row(pgbench: Map<string, PgbenchResult>): ScenarioRow {
    const { db, opts } = this.ctx;
    const def = this.def;
    const eps = median(this.runs.map((r) => r.eventsPerSec));
    const base = pgbench.get(def.baseline);
    return {
      scenario: def.key,
      label: this.label,
      rules: this.phase.ruleCount,
      tiers: this.phase.tiers,
      db,
      producers: def.producers,
      eventsPerRequest: def.kind === "single" ? 1 : opts.batchSize,
      eventsPerSec: eps,
      baseline: def.baseline,
      ratio: base ? eps / base.tps : null,
      maxRssMb: this.maxRssMb,
      runs: this.runs,
    };
  }
}

// ---- main ----

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const started = new Date();
  const stamp = started.toISOString().replace(/\D/g, "").slice(0, 14);
  const deadline = setTimeout(() => {
    console.error(`\nThe benchmark ran past --max-minutes ${opts.maxMinutes}; stopping.`);
    void cleanup().finally(() => process.exit(2));
  }, opts.maxMinutes * 60_000);
  deadline.unref();

  const wantPostgres = opts.dbs.includes("postgres") || opts.pgbenchSeconds > 0;
  const perDb = opts.scenarios.length * opts.runs * (opts.seconds + opts.warmup);
  const estimate = opts.dbs.length * perDb + (wantPostgres ? 4 * opts.pgbenchSeconds : 0);
  const load = loadavg()[0]!;
  console.log(`Patron ingest benchmark, ${started.toISOString()}`);
  console.log(
    `  node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM; ` +
      `${opts.runs} run(s) x (${opts.warmup} s warm-up + ${opts.seconds} s) per scenario; ${opts.customers} customers; batch ${opts.batchSize}; ` +
      `about ${Math.ceil(estimate / 60)} min of load plus server starts`,
  );
  console.log(`  load average before the run: ${load.toFixed(2)}${load > cpus().length / 2 ? "  (WARNING: the machine is busy; figures will be low and noisy)" : ""}`);

  const pgbench = new Map<string, PgbenchResult>();
  let pgbenchAt: PgbenchTarget | null = null;
  const rows: ScenarioRow[] = [];
  const checks: string[] = [];
  let pgVersion: string | null = null;
  let autovacuum: string | null = null;
  let dbName: string | null = null;

  if (wantPostgres) {
    const admin = await adminConnection(opts.pgUrl);
    pgVersion = ((await admin.query("show server_version")).rows[0] as { server_version: string }).server_version;
    const syncCommit = ((await admin.query("show synchronous_commit")).rows[0] as { synchronous_commit: string }).synchronous_commit;
    autovacuum = ((await admin.query("show autovacuum")).rows[0] as { autovacuum: string }).autovacuum;
    const name = `patron_bench_${stamp}`;
    await admin.query(`create database ${name}`);
    dbName = name;
    await admin.end();
    onCleanup(`drop database ${name}`, async () => {
      if (opts.keepDb) return console.log(`  kept the database ${name} (--keep-db); drop it with: dropdb -U postgres ${name}`);
      const c = await connect(`${opts.pgUrl}/postgres`);
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    });
    console.log(
      `  PostgreSQL ${pgVersion} (synchronous_commit ${syncCommit}, autovacuum ${autovacuum}), fresh database ${name}; ` +
        (opts.analyze ? "ANALYZE before each scenario" : "no ANALYZE (--no-analyze)"),
    );

    if (opts.pgbenchSeconds > 0) {
      const c = await connect(`${opts.pgUrl}/${name}`);
      try {
        await setupPgbenchTables(c);
      } finally {
        await c.end();
      }
      pgbenchAt = pgbenchTarget(opts, name);
      for (const r of await measurePgbench(pgbenchAt, "before the scenarios")) pgbench.set(r.key, r.result);
    }
  }

  for (const db of opts.dbs) {
    let env: Record<string, string>;
    let removeDir: (() => Promise<void>) | null = null;
    if (db === "postgres") {
      env = { DATABASE_URL: `${opts.pgUrl}/${dbName}` };
    } else {
      const dir = mkdtempSync(join(tmpdir(), "patron-bench-pglite-"));
      removeDir = onCleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
      env = { PATRON_DATA_DIR: dir };
    }
    const server = await startServer(db, env, opts, stamp);
    const stopServer = onCleanup(`stop ${db} server`, () => server.stop());
    const token = await createProgram(server.url);
    const { rows: dbRows, accepted } = await runScenarios(db, server, token, opts, stamp, pgbench, db === "postgres" ? dbName : null, async () => {
      // Statistics as autovacuum would keep them in production; this cluster may run with it off,
      // and without statistics the planner sizes every table as nearly empty.
      if (db !== "postgres" || !opts.analyze) return;
      const c = await connect(`${opts.pgUrl}/${dbName}`);
      await c.query("analyze").finally(() => c.end());
    });
    rows.push(...dbRows);
    await stopServer();
    if (db === "postgres") {
      // Every event we counted as accepted must be in the ledger exactly once: its order's first
      // earning credit (`order:{id}`; rules, tier bonuses and gifts may add others beside it).
      const c = await connect(`${opts.pgUrl}/${dbName}`);
      const r = await c
        .query("select (select count(*) from events)::int as events, (select count(*) from ledger_transactions where type = 'earn' and reference like 'order:%' and reference not like 'order:%:%')::int as earns")
        .then((q) => q.rows[0] as { events: number; earns: number })
        .finally(() => c.end());
      const line = `postgres: ${accepted} events accepted over HTTP; ${r.events} event rows, ${r.earns} order earning transactions in the database`;
      if (r.events !== accepted || r.earns !== accepted) throw new Error(`row check failed: ${line}`);
      checks.push(`${line} (match)`);
    } else {
      checks.push(`pglite: ${accepted} events accepted over HTTP`);
    }
    await removeDir?.();
  }

  if (pgbenchAt !== null) {
    // The machine's speed drifts (this one moved by a third within an hour): pgbench runs again
    // after the scenarios, and each ratio uses the faster of its two runs, so a slow spell during
    // the first can only make the ratios look worse, never better.
    for (const { key, result } of await measurePgbench(pgbenchAt, "after the scenarios")) {
      const before = pgbench.get(key);
      if (!before || result.tps > before.tps) pgbench.set(key, result);
    }
    console.log(`  baselines: the faster run of each: ${[...pgbench].map(([k, r]) => `${k} ${Math.round(r.tps).toLocaleString("en-US")} tps`).join(", ")}`);
    // The rows were compared with the first runs as they finished: compare them again.
    for (const r of rows) {
      const base = pgbench.get(r.baseline);
      r.ratio = base ? r.eventsPerSec / base.tps : null;
    }
  }

  const goals = judgeGoals(rows, pgbench);
  console.log("");
  console.log(formatReport(rows, pgbench, goals));
  console.log("");
  for (const c of checks) console.log(`Check: ${c}`);
  const loadAfter = loadavg()[0]!;
  console.log(`Load average: ${load.toFixed(2)} before, ${loadAfter.toFixed(2)} after (the bench itself keeps about 2 busy)`);

  const resultsDir = join(ROOT, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `ingest-${stamp}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model.trim(), memoryGb: totalmem() / 2 ** 30, postgres: pgVersion, autovacuum, loadAverageBefore: load, loadAverageAfter: loadAfter },
        options: opts,
        pgbench: Object.fromEntries(pgbench),
        scenarios: rows,
        goals,
        checks,
      },
      null,
      2,
    ),
  );
  console.log(`Figures written to ${file}`);
  await cleanup();
}

main().then(
  () => process.exit(0),
  async (e: unknown) => {
    console.error(`\nBENCHMARK FAILED: ${e instanceof Error ? e.message : String(e)}`);
    await cleanup();
    process.exit(1);
  },
);

type PgbenchTarget = { host: string; port: number; user: string; database: string; seconds: number; pgUrl: string };

function pgbenchTarget(opts: Options, database: string): PgbenchTarget {
  const u = new URL(opts.pgUrl);
  return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username || "postgres"), database, seconds: opts.pgbenchSeconds, pgUrl: opts.pgUrl };
}

/** pgbench with 1 and with 8 clients, with the WAL each transaction wrote. */
async function measurePgbench(at: PgbenchTarget, when: string): Promise<{ key: "pgbench-1" | "pgbench-8"; result: PgbenchResult }[]> {
  const out: { key: "pgbench-1" | "pgbench-8"; result: PgbenchResult }[] = [];
  const walClient = await adminConnection(at.pgUrl);
  try {
    for (const [key, clients, threads] of [["pgbench-1", 1, 1], ["pgbench-8", 8, 2]] as const) {
      const w0 = await walCounters(walClient);
      const r = await runPgbench({ host: at.host, port: at.port, user: at.user, database: at.database, seconds: at.seconds, clients, threads });
      r.wal = walPer(w0, await walCounters(walClient), r.transactions);
      out.push({ key, result: r });
      console.log(`  pgbench ${clients} client(s), ${threads} thread(s), ${r.seconds} s, ${when}: ${Math.round(r.tps).toLocaleString("en-US")} tps (${r.transactions} transactions, ${r.latencyMs} ms average; WAL per transaction ${r.wal ? formatWal(r.wal) : "?"})`);
    }
  } finally {
    await walClient.end();
  }
  return out;
}
