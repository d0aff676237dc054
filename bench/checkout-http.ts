/**
 * Checkout benchmark (issue 5): `POST /v1/carts/evaluate` over HTTP on PostgreSQL, 32 connections,
 * 200 active campaigns (bench/campaign-set.ts), members drawn at random from 1,000. It measures two
 * ways, and compares both with GET /v1/program (no work: the program comes with the cached key), the
 * floor no endpoint can beat on this machine:
 *
 * - closed loop: each connection sends its next cart when the last is answered. Carts/s, p50, p99 and
 *   the CPU per cart of the server and of PostgreSQL. At full speed latency is queueing: p99 is at
 *   least 32 / throughput.
 * - open loop (`--rates`): carts due at a fixed rate over at most 32 connections, as a store's
 *   checkouts arrive, with latency counted from the time each was due (a slow answer charges the carts
 *   queued behind it too). This is the latency a checkout sees at that load.
 *
 * It ends with the ratio to pgbench running, on the same database with the same 32 clients, what a
 * cart evaluation has to read at the least: a customer's balance and the program's active campaigns.
 *
 *   npm run bench:checkout                      # 3 runs of 8 s each way, pgbench 10 s
 *   npm run bench:checkout -- --runs 5 --seconds 5 --campaigns 20 --rates 100,250,500 --trace
 *   npm run bench:checkout -- --keep-db             # keep the database for EXPLAIN
 *
 * Goal: p99 ≤ 5 ms. The server runs as its own process (as in production), on a fresh database that
 * is dropped at the end.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { BadResponse, Client, drive, drivePaced, type Measurement, type PacedMeasurement } from "./load.ts";
import { median } from "./report.ts";
import { cpuSeconds, killAllChildren, postgresCpuByPid, postgresCpuDelta, startServerProcess } from "./server-process.ts";
import { benchCart, campaignDefinition } from "./campaign-set.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
    campaigns: { type: "string", default: "200" },
    connections: { type: "string", default: "32" },
    "pgbench-seconds": { type: "string", default: "10" },
    /** Open-loop runs at these rates, carts/s (empty: none). */
    rates: { type: "string", default: "250,500" },
    trace: { type: "boolean", default: false },
    /** Keep the database at the end, for EXPLAIN (with BENCH_SERVER_NODE_FLAGS="--import ./bench/query-timing.mjs"). */
    "keep-db": { type: "boolean", default: false },
    "pg-url": { type: "string", default: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432" },
  },
});
const runs = Math.max(1, Number(args.runs));
const seconds = Math.max(1, Number(args.seconds));
const warmup = Math.max(0, Number(args.warmup));
const campaigns = Math.max(1, Number(args.campaigns));
const connections = Math.max(1, Number(args.connections));
const pgbenchSeconds = Math.max(0, Number(args["pgbench-seconds"]));
const pgUrl = args["pg-url"]!;
const pacedRates = args.rates!.split(",").filter((f) => f.trim() !== "").map(Number).filter((f) => f > 0);
// The answer's trace is off by default here (--trace to include it): with 200 campaigns it is most of a 30 KB answer.
const trace = args.trace === true;
const CUSTOMERS = 1000;
const ADMIN = randomBytes(24).toString("hex");

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new BadResponse(`${method} ${path}`, res.status, text);
  return JSON.parse(text) as Record<string, unknown>;
}

/** pgbench with a read of one balance and of the active campaigns, as a floor for what an evaluation reads. */
function pgbenchRead(database: string, programId: string): number {
  const dir = mkdtempSync(join(tmpdir(), "patron-pgbench-"));
  const script = join(dir, "read.sql");
  writeFileSync(
    script,
    `\\set c random(0, ${CUSTOMERS - 1})
SELECT b.available FROM customers c JOIN account_balances b ON b.program_id = c.program_id AND b.customer_id = c.id AND b.asset = 'points' WHERE c.program_id = '${programId}' AND c.external_id = 'member-' || :c;
SELECT id, version, definition FROM campaigns WHERE program_id = '${programId}' AND status = 'enabled';
`,
  );
  const u = new URL(pgUrl);
  try {
    const out = execFileSync("/usr/bin/pgbench", ["-h", u.hostname, "-p", u.port || "5432", "-U", u.username || "postgres", "-n", "-f", script, "-c", String(connections), "-j", "2", "-T", String(pgbenchSeconds), database], { encoding: "utf8" });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
    if (!tps) throw new Error(`could not parse pgbench output:\n${out}`);
    return Number(tps[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const name = `patron_bench_checkout_${Date.now()}`;
  const admin = new pg.Client({ connectionString: `${pgUrl}/postgres` });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const server = await startServerProcess({
    cwd: ROOT, label: "postgres",
    env: { DATABASE_URL: `${pgUrl}/${name}`, PORT: "0", PATRON_RATE_LIMIT: "0", PATRON_SETTLE_INTERVAL: "0", PATRON_JOBS: "0", LOG_LEVEL: "warn", PATRON_DB_POOL: "16", PATRON_ADMIN_TOKEN: ADMIN },
  });
  try {
    const created = (await call(server.url, ADMIN, "POST", "/v1/programs", { name: "Bench", currency: "VND", timeZone: "Asia/Ho_Chi_Minh" })) as { program: { id: string }; secretKey: { secret: string } };
    const token = created.secretKey.secret;
    const programId = created.program.id;
    for (let i = 0; i < campaigns; i++) {
      const { kind, code, ...def } = campaignDefinition(i);
      await call(server.url, token, "POST", "/v1/campaigns", { ...def, kind, ...(code ? { code } : {}) });
    }
    for (let i = 0; i < CUSTOMERS; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => call(server.url, token, "POST", `/v1/customers/member-${i + k}/adjustments`, { amount: 100, reason: "bench" }).catch(async () => {
        await call(server.url, token, "PUT", `/v1/customers/member-${i + k}`, { tags: ["vip"] });
        await call(server.url, token, "POST", `/v1/customers/member-${i + k}/adjustments`, { amount: 100, reason: "bench" });
      })));
    }
    await admin.query(`vacuum analyze`).catch(() => {});
    const client = new Client(server.url, connections);
    const send = async () => {
      const body = { customerId: `member-${Math.floor(Math.random() * CUSTOMERS)}`, lines: benchCart.lines, shipping: benchCart.shipping, codes: ["CODE9", "NOPE1234"], trace };
      const res = await client.post("/v1/carts/evaluate", body, token, false);
      if (res.status !== 200) throw new BadResponse("POST /v1/carts/evaluate", res.status, res.text);
      return 1;
    };
    console.log(`POST /v1/carts/evaluate${trace ? " (with trace)" : ""}, ${campaigns} campaigns, ${connections} connections, PostgreSQL ${(await admin.query("show server_version")).rows[0].server_version}`);
    const getProgram = async () => {
      const res = await client.get("/v1/program", token, false);
      if (res.status !== 200) throw new BadResponse("GET /v1/program", res.status, res.text);
      return 1;
    };
    const ms = (x: number) => `${x.toFixed(2)} ms`;

    // Closed loop: every connection sends its next cart when the last is answered, so this is the
    // most the machine does; at that point latency is queueing (p99 >= connections / throughput).
    console.log(`closed loop, ${connections} connections (each sends its next cart when the last is answered):`);
    const closed: Measurement[] = [];
    for (let r = 0; r < runs; r++) {
      let cpu0 = { server: 0, pg: new Map<number, number>() };
      let cpu1 = cpu0;
      const read = () => ({ server: cpuSeconds(server.pid), pg: postgresCpuByPid(name) });
      const m = await drive(send, connections, warmup * 1000, seconds * 1000, { onMeasureStart: () => (cpu0 = read()), onMeasureEnd: () => (cpu1 = read()) });
      closed.push(m);
      // CPU per cart shows what a change saved even when the machine's other load moves the throughput.
      const perCart = (s: number) => ((s * 1000) / m.events).toFixed(2);
      console.log(`  run ${r + 1}: ${Math.round(m.eventsPerSec).toLocaleString("en")} carts/s, p50 ${ms(m.p50Ms)}, p99 ${ms(m.p99Ms)}; CPU per cart: server ${perCart(cpu1.server - cpu0.server)} ms, postgres ${perCart(postgresCpuDelta(cpu0.pg, cpu1.pg))} ms`);
    }
    const rate = median(closed.map((m) => m.eventsPerSec));
    const closedP99 = median(closed.map((m) => m.p99Ms));
    console.log(`  median: ${Math.round(rate).toLocaleString("en")} carts/s, p50 ${ms(median(closed.map((m) => m.p50Ms)))}, p99 ${ms(closedP99)}`);
    // The floor: the same driver on an authenticated request that does no work (GET /v1/program
    // answers from the cached key). No endpoint can beat it on this machine.
    const floor = await drive(getProgram, connections, warmup * 1000, seconds * 1000);
    console.log(`  floor, GET /v1/program: ${Math.round(floor.eventsPerSec).toLocaleString("en")} requests/s, p50 ${ms(floor.p50Ms)}, p99 ${ms(floor.p99Ms)}`);

    // Open loop: carts due at a fixed rate, as a store's checkouts arrive whatever the server does,
    // with latency counted from the time each was due. This is what a checkout waits at that load.
    const verdicts: string[] = [];
    if (pacedRates.length) console.log(`open loop, at most ${connections} connections (carts due at a fixed rate; latency from the time each was due; medians of ${runs} runs):`);
    for (const perSec of pacedRates) {
      const paced: PacedMeasurement[] = [];
      for (let r = 0; r < runs; r++) paced.push(await drivePaced(send, connections, perSec, warmup * 1000, seconds * 1000));
      const p99 = median(paced.map((m) => m.p99Ms));
      verdicts.push(`${perSec}/s ${p99 <= 5 ? "met" : "not met"}`);
      console.log(`  ${perSec.toLocaleString("en")} carts/s (${Math.round((perSec / rate) * 100)}% of the closed loop): answered ${Math.round(median(paced.map((m) => m.answeredPerSec))).toLocaleString("en")}/s, p50 ${ms(median(paced.map((m) => m.p50Ms)))}, p99 ${ms(p99)} (runs ${paced.map((m) => m.p99Ms.toFixed(1)).join(", ")}), p99 from the moment sent ${ms(median(paced.map((m) => m.serviceP99Ms)))}`);
      const f = await drivePaced(getProgram, connections, perSec, warmup * 1000, seconds * 1000);
      console.log(`    floor, GET /v1/program at the same rate: p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}, p99 from the moment sent ${ms(f.serviceP99Ms)}`);
    }
    client.close();
    console.log(`goal p99 ≤ 5 ms: closed loop ${closedP99 <= 5 ? "met" : "not met"}${verdicts.length ? `; open loop ${verdicts.join(", ")}` : ""}`);
    if (pgbenchSeconds > 0) {
      const tps = pgbenchRead(name, programId);
      console.log(`pgbench (a balance read + the active campaigns, ${connections} clients): ${Math.round(tps).toLocaleString("en")} tps; evaluate/pgbench = ${(rate / tps).toFixed(2)}`);
    }
  } finally {
    await server.stop();
    if (args["keep-db"]) console.log(`kept the database ${name} (--keep-db); drop it with: dropdb -U postgres ${name}`);
    else await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((e) => {
  console.error(e);
  killAllChildren();
  process.exit(1);
});
