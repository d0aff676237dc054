import type { PgbenchResult } from "./pgbench.ts";
import type { Measurement } from "./load.ts";

export type DbKind = "postgres" | "pglite";
export type ScenarioKey = "single-1" | "single-8" | "batch-1" | "batch-2";

/** One run's figures: the load's measurement plus the CPU it cost. */
export interface RunFigures extends Pick<Measurement, "eventsPerSec" | "events" | "requests" | "seconds" | "p50Ms" | "p99Ms"> {
  /** CPU used in the measured window, in % of one core. */
  cpu: { server: number; postgres: number | null; bench: number };
  /** PostgreSQL's WAL per accepted event in the window (pg_stat_wal, the whole cluster); null on PGlite. */
  wal: WalPerUnit | null;
}

/** WAL written per event (or per pgbench transaction): records, full-page images, bytes. */
export interface WalPerUnit {
  records: number;
  fpi: number;
  bytes: number;
}

export interface ScenarioRow {
  scenario: ScenarioKey;
  label: string;
  /** Enabled earning rules while it ran (0: the program's base earning only). */
  rules: number;
  /** Whether the program had tiers (bench --tiers). */
  tiers?: boolean;
  db: DbKind;
  producers: number;
  eventsPerRequest: number;
  /** Median of the runs' events/s. */
  eventsPerSec: number;
  /** The pgbench figure this row is compared with, and the ratio to it. */
  baseline: "pgbench-1" | "pgbench-8";
  ratio: number | null;
  maxRssMb: number;
  runs: RunFigures[];
}

export interface Goal {
  name: string;
  target: string;
  actual: string;
  met: boolean | null;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmt1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");

/** Goals from issue 2, judged on PostgreSQL (the production database) against pgbench there. */
export function judgeGoals(allRows: ScenarioRow[], pgbench: Map<string, PgbenchResult>): Goal[] {
  const plain = allRows.filter((r) => !r.tiers);
  return [...foundationGoals(plain.filter((r) => r.rules === 0), pgbench), ...ruleGoals(plain), ...tierFigures(allRows)];
}

/** Issue 6 sets no target: what a tier scheme costs ingest, against the same scenario and rules without it. */
function tierFigures(rows: ScenarioRow[]): Goal[] {
  return rows
    .filter((r) => r.tiers)
    .map((r) => {
      const plain = rows.find((x) => !x.tiers && x.rules === r.rules && x.db === r.db && x.scenario === r.scenario);
      const ratio = plain ? r.eventsPerSec / plain.eventsPerSec : null;
      return { name: `${r.label}, ${r.db}`, target: "no target (ratio to no tiers)", actual: ratio === null ? "-" : `${(100 * ratio).toFixed(0)}%`, met: null };
    });
}

/** Issue 3: ingest with the rules enabled within 20% of the same scenario without them, same run and database. */
function ruleGoals(rows: ScenarioRow[]): Goal[] {
  return rows
    .filter((r) => r.rules > 0)
    .map((r) => {
      const plain = rows.find((x) => x.rules === 0 && x.db === r.db && x.scenario === r.scenario);
      const ratio = plain ? r.eventsPerSec / plain.eventsPerSec : null;
      return {
        name: `${r.label}, ${r.db}`,
        target: "within 20% of no rules (>= 80%)",
        actual: plain && ratio !== null ? `${fmtInt(r.eventsPerSec)} vs ${fmtInt(plain.eventsPerSec)} ev/s = ${(100 * ratio).toFixed(0)}%` : "not measured",
        met: ratio === null ? null : ratio >= 0.8,
      };
    });
}

function foundationGoals(rows: ScenarioRow[], pgbench: Map<string, PgbenchResult>): Goal[] {
  const pg = (k: ScenarioKey) => rows.find((r) => r.db === "postgres" && r.scenario === k);
  const pg8 = pgbench.get("pgbench-8");
  const single8 = pg("single-8");
  const batches = rows.filter((r) => r.db === "postgres" && r.scenario.startsWith("batch"));
  const bestBatch = batches.length ? batches.reduce((a, b) => (b.eventsPerSec > a.eventsPerSec ? b : a)) : undefined;
  return [
    {
      name: "single-event ingest, 8 producers, PostgreSQL",
      target: ">= 60% of pgbench (8 clients)",
      actual: single8 && pg8 ? `${fmtInt(single8.eventsPerSec)} ev/s = ${(100 * single8.eventsPerSec / pg8.tps).toFixed(0)}% of ${fmtInt(pg8.tps)} tps` : "not measured",
      met: single8 && pg8 ? single8.eventsPerSec >= 0.6 * pg8.tps : null,
    },
    {
      name: `batch ingest (best of ${batches.map((b) => b.producers).join(" and ") || "-"} producers), PostgreSQL`,
      target: ">= 3x pgbench per-transaction (8 clients)",
      actual: bestBatch && pg8 ? `${fmtInt(bestBatch.eventsPerSec)} ev/s = ${(bestBatch.eventsPerSec / pg8.tps).toFixed(2)}x ${fmtInt(pg8.tps)} tps` : "not measured",
      met: bestBatch && pg8 ? bestBatch.eventsPerSec >= 3 * pg8.tps : null,
    },
    {
      name: "server RSS under 8-producer load, PostgreSQL",
      target: "<= 250 MB",
      actual: single8 ? `${fmt1(single8.maxRssMb)} MB max` : "not measured",
      met: single8 ? single8.maxRssMb <= 250 : null,
    },
  ];
}

function table(header: string[], body: string[][], alignRight: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (alignRight[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

export function formatReport(rows: ScenarioRow[], pgbench: Map<string, PgbenchResult>, goals: Goal[]): string {
  const out: string[] = [];
  if (pgbench.size) {
    out.push("pgbench (same transaction shape: idempotency row + ledger transaction + posting + balance update; synchronous_commit on)");
    out.push(
      table(
        ["baseline", "clients", "threads", "seconds", "tps", "avg latency ms"],
        [...pgbench].map(([k, r]) => [k, String(r.clients), String(r.threads), String(r.seconds), fmtInt(r.tps), r.latencyMs === null ? "-" : r.latencyMs.toFixed(2)]),
        [false, true, true, true, true, true],
      ),
    );
    out.push("");
  }
  out.push("Ingest of order.completed events (events/s: median of the runs; ratio: to the pgbench baseline named)");
  out.push(
    table(
      ["scenario", "database", "events/s", "runs (events/s)", "vs pgbench", "baseline", "p50 ms", "p99 ms", "CPU% server/pg/bench", "max RSS MB"],
      rows.map((r) => {
        const cpu = r.runs.map((x) => x.cpu);
        const avg = (f: (c: RunFigures["cpu"]) => number | null) => {
          const v = cpu.map(f).filter((x): x is number => x !== null);
          return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(0) : "-";
        };
        return [
          r.label,
          r.db,
          fmtInt(r.eventsPerSec),
          r.runs.map((x) => fmtInt(x.eventsPerSec)).join(" / "),
          r.ratio === null ? "-" : r.scenario.startsWith("batch") ? `${r.ratio.toFixed(2)}x` : `${(100 * r.ratio).toFixed(0)}%`,
          r.baseline,
          fmt1(median(r.runs.map((x) => x.p50Ms))),
          fmt1(median(r.runs.map((x) => x.p99Ms))),
          `${avg((c) => c.server)}/${avg((c) => c.postgres)}/${avg((c) => c.bench)}`,
          fmt1(r.maxRssMb),
        ];
      }),
      [false, false, true, true, true, false, true, true, true, true],
    ),
  );
  out.push("");
  out.push("Goals (issue 2 on PostgreSQL; issue 3: ingest with earning rules)");
  out.push(
    table(
      ["goal", "target", "measured", "met"],
      goals.map((g) => [g.name, g.target, g.actual, g.met === null ? "n/a" : g.met ? "yes" : "NO"]),
      [false, false, false, false],
    ),
  );
  return out.join("\n");
}
