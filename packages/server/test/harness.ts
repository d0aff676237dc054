/**
 * Test harness: a fresh database per call (PGlite clone or PostgreSQL database per the project),
 * a fake clock, and the HTTP app driven in process. Tests meet Patron the way a store does: HTTP.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { openPglite, openPostgres, type Database } from "../src/db/connect.ts";
import { createApp } from "../src/http/app.ts";
import { AutoAnalyze } from "../src/db/analyze.ts";
import { KeyAuthenticator } from "../src/app/keys/authenticate.ts";
import { randomSecrets, ulidIds, type Clock } from "../src/app/ports.ts";
import type { AppContext } from "../src/app/context.ts";
import { createProgram, type ProgramInput } from "../src/app/programs/create-program.ts";
import { clonePrefix, withDatabase } from "./global-setup.ts";
import { CampaignStore } from "../src/app/promotions/campaign-store.ts";
import { RuleStore } from "../src/app/rules/rule-store.ts";
import { StampCardStore } from "../src/app/stamps/stamp-card-store.ts";

export const dbKind = (): "pglite" | "postgres" => inject("patronDb").kind;

export async function testDatabase(opts: { pool?: number } = {}): Promise<Database> {
  const cfg = inject("patronDb");
  if (cfg.kind === "pglite") {
    const db = await openPglite({ loadDataDir: new Blob([readFileSync(cfg.dump)]) });
    return db;
  }
  return openPostgres({ url: await testDatabaseUrl(), pool: opts.pool ?? 10 });
}

export class FakeClock implements Clock {
  constructor(private t = new Date("2026-03-10T03:00:00Z")) {}
  now() {
    return new Date(this.t);
  }
  set(d: Date | string) {
    this.t = new Date(d);
  }
  advanceDays(days: number) {
    this.t = new Date(this.t.getTime() + days * 86_400_000);
  }
}

const silent = { info() {}, warn() {}, error(o: object) { if (process.env.PATRON_TEST_LOG) console.error(JSON.stringify(o)); }, debug() {} };

export interface TestApi {
  ctx: AppContext;
  clock: FakeClock;
  database: Database;
  programId: string;
  secretKey: string;
  publishableKey: string;
  /** JSON request with the program's secret key (or `key`). Returns status, parsed body and headers. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  raw(init: { method: string; path: string; body?: string; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export const DEFAULT_PROGRAM: ProgramInput = {
  name: "Test Café",
  pointsSingular: "Star",
  pointsPlural: "Stars",
  currency: "USD",
  timeZone: "America/New_York",
  earning: { enabled: true, points: 1, per: 100, rounding: "floor" },
  ledgerPolicy: { pendingDays: 0, expiry: { kind: "never" }, clawback: "allow_negative" },
};

/**
 * For the PostgreSQL-only concurrency suites: a program's API on a database of its own with a pool
 * of 20, opened before the suite's tests (`use` receives it) and closed after them.
 */
export function concurrentApi(use: (api: TestApi) => void, program?: Partial<ProgramInput>): void {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await testApi({ database: await testDatabase({ pool: 20 }), ...(program ? { program } : {}) });
    use(api);
  });
  afterAll(async () => {
    await api?.close();
    await api?.database.close();
  });
}

/** A database, a program with keys, and the app. `database` reuses one (several programs in one database). */
export async function testApi(opts: { program?: Partial<ProgramInput>; database?: Database; clock?: FakeClock; rateLimit?: number; validateRateLimit?: number; clickRateLimit?: number; trustProxy?: boolean; publicUrl?: string } = {}): Promise<TestApi> {
  const database = opts.database ?? (await testDatabase());
  const clock = opts.clock ?? new FakeClock();
  const ctx: AppContext = { db: database.db, dbKind: database.kind, clock, ids: ulidIds(), secrets: randomSecrets, log: silent, rules: new RuleStore(), campaigns: new CampaignStore(), stamps: new StampCardStore() };
  const created = await createProgram(ctx, { ...DEFAULT_PROGRAM, ...opts.program });
  if (!created.ok) throw new Error(created.error.message);
  // Wired as main.ts wires it: statistics kept fresh as ingest adds rows (see db/analyze.ts).
  const analyze = new AutoAnalyze(ctx);
  const app = createApp({ ctx, auth: new KeyAuthenticator(ctx.db, clock, 0), adminToken: "admin-token-for-tests-only", publicUrl: opts.publicUrl, rateLimit: opts.rateLimit ?? 0, validateRateLimit: opts.validateRateLimit ?? 0, clickRateLimit: opts.clickRateLimit ?? 0, trustProxy: opts.trustProxy ?? false, afterIngest: (n) => analyze.record(n) });
  const secretKey = created.value.secretKey.secret;
  const raw = (init: { method: string; path: string; body?: string; headers?: Record<string, string> }) =>
    Promise.resolve(app.request(init.path, { method: init.method, body: init.body, headers: init.headers }));
  return {
    ctx,
    clock,
    database,
    programId: created.value.program.id,
    secretKey,
    publishableKey: created.value.publishableKey.secret,
    raw,
    async call(method, path, body, headers = {}) {
      const res = await raw({
        method,
        path,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { authorization: `Bearer ${secretKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed, headers: res.headers, text };
    },
    close: () => (opts.database ? Promise.resolve() : database.close()),
  };
}

/** The body of an answer that must have `status` (the body is in the failure message when it has not). */
export async function ok<T = any>(p: Promise<{ status: number; body: any }>, status = 200): Promise<T> {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body as T;
}

/** An order.completed event with one line, for brevity. */
export function orderEvent(id: string, customerId: string, orderId: string, amount: number, extra: Record<string, unknown> = {}) {
  return { id, type: "order.completed", customerId, data: { orderId, currency: "USD", lines: [{ sku: "SKU-1", quantity: 1, unitPrice: amount }] }, ...extra };
}

/**
 * PostgreSQL only: a fresh database cloned from the migrated template, as testDatabase() makes,
 * but returned as a URL, for tests that run the server as a separate process.
 */
export async function testDatabaseUrl(): Promise<string> {
  const cfg = inject("patronDb");
  if (cfg.kind !== "postgres") throw new Error("testDatabaseUrl() needs the postgres test project");
  const name = `${clonePrefix(cfg.template)}${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: cfg.adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${cfg.template}`);
  } finally {
    await admin.end();
  }
  return withDatabase(cfg.adminUrl, name);
}

/**
 * Round trips to PostgreSQL while `fn` runs. A trip is the queries handed to node-postgres in one
 * synchronous run (the pipelined client puts them on the wire in one write and then waits); each
 * shows as its queries' first two words joined by " + ", e.g. "BEGIN + with ik".
 */
export async function countTrips<T>(fn: () => Promise<T>): Promise<{ value: T; trips: string[] }> {
  const original = pg.Client.prototype.query;
  const trips: string[][] = [];
  let open: string[] | null = null;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const c = args[0] as string | { text: string };
    if (open === null) {
      const trip: string[] = [];
      open = trip;
      trips.push(trip);
      queueMicrotask(() => (open = null));
    }
    open.push((typeof c === "string" ? c : c.text).trim().split(/\s+/).slice(0, 2).join(" "));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { value: await fn(), trips: trips.map((t) => t.join(" + ")) };
  } finally {
    pg.Client.prototype.query = original;
  }
}
