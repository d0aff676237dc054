/**
 * Crash safety (issue 2, acceptance, PostgreSQL only): the real server runs as a child process, a
 * client sends 10,000 distinct order.completed events and retries each until it is acknowledged,
 * and the server is killed with SIGKILL three times along the way and restarted on the same
 * database. Afterwards the database holds exactly one order, one event and one earn transaction per
 * event, and every balance equals the model: nothing lost, nothing doubled.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { dbKind, testDatabaseUrl } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const EVENTS = 10_000;
const CUSTOMERS = 250;
const SENDERS = 8;
const BATCH = 50;
/** Kill -9 when this many events have been acknowledged. */
const KILL_AT = [2_500, 6_500, 8_800];
const ADMIN_TOKEN = "crash-test-admin-token-0123456789";
const DEADLINE_MS = Number(process.env.PATRON_CRASH_DEADLINE_MS ?? 240_000);

// The model: event i is customer c(i % CUSTOMERS)'s order o-i of a fixed amount, 1 point per 100 cents, floor
// (DEFAULT_EARNING in src/app/programs/program.ts; the program is created without an earning setting).
const amountOf = (i: number) => 100 + ((i * 7_919) % 50_000);
const eventOf = (i: number) => ({
  id: `crash-evt-${i}`,
  type: "order.completed",
  customerId: `crash-c${i % CUSTOMERS}`,
  occurredAt: "2026-03-10T12:00:00Z",
  data: { orderId: `crash-o-${i}`, currency: "USD", lines: [{ sku: `SKU-${i % 17}`, quantity: 1, unitPrice: amountOf(i) }] },
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(dbKind() !== "postgres")("crash: kill -9 while a client sends 10,000 events", () => {
  let child: ChildProcess | null = null;
  let stderr = "";
  /** Set in afterAll: a restart still under way must not leave a server behind. */
  let stopped = false;

  async function start(databaseUrl: string, port: number): Promise<void> {
    const proc = spawn(process.execPath, ["--import", "./packages/cli/bin/register.js", "packages/cli/src/main.ts", "serve"], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        PATRON_RATE_LIMIT: "0",
        PATRON_SETTLE_INTERVAL: "0",
        PATRON_JOBS: "0",
        PATRON_DB_POOL: "10",
        LOG_LEVEL: "warn",
        PATRON_ADMIN_TOKEN: ADMIN_TOKEN,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    child = proc;
    if (stopped) {
      proc.kill("SIGKILL");
      throw new Error("the test is over");
    }
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the server exited while starting (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`the server did not become ready within 60 s: ${stderr}`);
  }

  async function killHard(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGKILL");
    await exited;
  }

  afterAll(async () => {
    stopped = true;
    await killHard();
  });

  it("keeps exactly one effect per event across three kill -9 and restarts", { timeout: 300_000 }, async () => {
    const databaseUrl = await testDatabaseUrl();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    await start(databaseUrl, port);

    const created = await fetch(`${base}/v1/programs`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Crash Café", currency: "USD", timeZone: "UTC" }),
    });
    expect(created.status).toBe(201);
    const secret: string = (await created.json()).secretKey.secret;

    // Work units: 2,000 events alone on /v1/events, the rest in batches of 50, shuffled together so
    // kills land in both kinds of request.
    const units: number[][] = [];
    const singles = 2_000;
    for (let i = 0; i < singles; i++) units.push([i]);
    for (let i = singles; i < EVENTS; i += BATCH) units.push(Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => i + k));
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (let i = units.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [units[i], units[j]] = [units[j]!, units[i]!];
    }

    const deadline = Date.now() + DEADLINE_MS;
    const acked = new Set<number>();
    let replayed = 0;
    let retries = 0;
    let fatal: string | null = null;
    let lastFailure = "";
    let kills = 0;
    const downtimes: number[] = [];
    let restarting: Promise<void> | null = null;

    const maybeKill = () => {
      if (restarting || kills >= KILL_AT.length || acked.size < KILL_AT[kills]!) return;
      kills++;
      restarting = (async () => {
        const t = performance.now();
        await killHard();
        await sleep(200);
        await start(databaseUrl, port);
        downtimes.push(Math.round(performance.now() - t));
      })()
        .catch((e: Error) => {
          fatal ??= `restart failed: ${e.message}`;
        })
        .finally(() => {
          restarting = null;
        });
    };

    /** Sends one unit until it is acknowledged: connection errors, timeouts and 5xx are retried. */
    async function send(unit: number[]): Promise<void> {
      const single = unit.length === 1;
      const body = JSON.stringify(single ? eventOf(unit[0]!) : { events: unit.map(eventOf) });
      let serverErrors = 0;
      for (let attempt = 0; ; attempt++) {
        if (fatal) return;
        if (Date.now() > deadline) {
          fatal = `deadline passed with ${acked.size} events acknowledged; last failure: ${lastFailure}; server stderr: ${stderr}`;
          return;
        }
        let res: Response;
        let json: any;
        try {
          res = await fetch(`${base}${single ? "/v1/events" : "/v1/events/batch"}`, {
            method: "POST",
            headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(15_000),
          });
          json = await res.json();
        } catch (e) {
          lastFailure = `${(e as Error).message} ${String((e as { cause?: unknown }).cause ?? "")}`;
          retries++;
          await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500));
          continue;
        }
        if (res.status >= 500) {
          lastFailure = `${res.status} ${JSON.stringify(json).slice(0, 300)}`;
          // A crash answers with refused connections, not 5xx: the same unit failing on a running
          // server this often is a bug, so fail now rather than at the deadline.
          if (++serverErrors > 30) {
            fatal = `unit ${unit[0]}: ${serverErrors} server errors in a row, last: ${lastFailure}; server stderr: ${stderr}`;
            return;
          }
          retries++;
          await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500));
          continue;
        }
        if (res.status !== 200) {
          fatal = `unit ${unit[0]}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`;
          return;
        }
        const results: any[] = single ? [json] : json.results;
        const bad = results.find((r) => r.status !== "accepted");
        if (bad || results.length !== unit.length) {
          fatal = `unit ${unit[0]}: not accepted: ${JSON.stringify(bad ?? json).slice(0, 300)}`;
          return;
        }
        for (const r of results) if (r.replayed || res.headers.get("idempotent-replayed") === "true") replayed++;
        for (const i of unit) acked.add(i);
        maybeKill();
        return;
      }
    }

    const queue = [...units];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        for (let u = queue.shift(); u && !fatal; u = queue.shift()) await send(u);
      }),
    );
    // A restart still in progress must finish before the checks (and before afterAll kills it).
    while (restarting) await restarting;
    console.info(
      `crash: ${acked.size} events acknowledged in ${Math.round(performance.now() - started)} ms, ${kills} kills (down ${downtimes.join(", ")} ms), ${retries} retried requests, ${replayed} replayed acknowledgements`,
    );
    expect(fatal).toBeNull();
    expect(kills).toBe(KILL_AT.length);
    expect(acked.size).toBe(EVENTS);

    await killHard();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const one = async (q: string) => Number((await client.query<{ n: string }>(q)).rows[0]!.n);
      expect(await one("select count(*) as n from orders")).toBe(EVENTS);
      expect(await one("select count(distinct external_id) as n from orders")).toBe(EVENTS);
      expect(await one("select count(*) as n from events")).toBe(EVENTS);
      expect(await one("select count(distinct external_id) as n from events")).toBe(EVENTS);
      expect(await one("select count(*) as n from ledger_transactions where type = 'earn'")).toBe(EVENTS);
      expect(await one("select count(distinct reference) as n from ledger_transactions where type = 'earn'")).toBe(EVENTS);
      expect(await one("select count(*) as n from ledger_transactions")).toBe(EVENTS);
      // Every event's idempotency row was written with its event, and the event with its answer, in the same transaction.
      expect(await one("select count(*) as n from idempotency_keys where scope = 'event'")).toBe(EVENTS);
      expect(await one("select count(*) as n from idempotency_keys k join events e on e.program_id = k.program_id and e.external_id = k.key where k.scope = 'event' and e.response is not null")).toBe(EVENTS);

      const expected = new Map<string, number>();
      let total = 0;
      for (let i = 0; i < EVENTS; i++) {
        const points = Math.floor(amountOf(i) / 100);
        expected.set(`crash-c${i % CUSTOMERS}`, (expected.get(`crash-c${i % CUSTOMERS}`) ?? 0) + points);
        total += points;
      }
      const { rows: balances } = await client.query<{ external_id: string; available: string; pending: string }>(
        `select c.external_id, coalesce(b.available, 0) as available, coalesce(b.pending, 0) as pending
           from customers c left join account_balances b on b.customer_id = c.id and b.asset = 'points'`,
      );
      expect(balances).toHaveLength(CUSTOMERS);
      const actual = new Map(balances.map((b) => [b.external_id, Number(b.available)]));
      expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expected].sort()));
      expect(balances.every((b) => Number(b.pending) === 0)).toBe(true);
      expect(await one("select coalesce(sum(points_earned), 0) as n from orders")).toBe(total);
      expect(await one("select coalesce(sum(amount), 0) as n from ledger_postings")).toBe(total);
    } finally {
      await client.end();
    }
  });
});
