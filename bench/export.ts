/**
 * `npm run bench:export`: what a customer with a long history costs, on PostgreSQL, against a server
 * process started as an operator would (bench/README.md). One customer gets `--events` orders (one
 * earn transaction, one lot, one order and one event each); then it times their balances, a debit
 * and a page of their ledger, and fetches their export `--runs` times: the time to the last byte, the
 * size, and the server's highest RSS during each export against its RSS before. It prints figures;
 * it is not a test.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { killAllChildren, RssSampler, startServerProcess } from "./server-process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: { events: { type: "string", default: "50000" }, codes: { type: "string", default: "0" }, runs: { type: "string", default: "3" }, "pg-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432" }, help: { type: "boolean" } },
});
if (values.help) {
  console.log("npm run bench:export -- [--events N (50000)] [--codes N (0: none)] [--runs N (3)] [--pg-url postgres://postgres@127.0.0.1:5432]");
  process.exit(0);
}
const events = Number(values.events);
const runs = Number(values.runs);
const codes = Number(values.codes);
const pgUrl = values["pg-url"]!;
if (!Number.isInteger(events) || events < 1 || events > 1_000_000 || !Number.isInteger(runs) || runs < 1 || runs > 20 || !Number.isInteger(codes) || codes < 0 || codes > 5_000_000) {
  console.error("--events is 1 to 1,000,000, --codes 0 to 5,000,000 and --runs 1 to 20");
  process.exit(2);
}
// A hard stop, whatever happens: the bench talks only to 127.0.0.1 and ends by itself.
setTimeout(() => {
  console.error("bench:export: 15 minutes passed; stopping");
  killAllChildren();
  process.exit(1);
}, 15 * 60_000).unref();

async function admin(): Promise<pg.Client> {
  const connect = async () => {
    const c = new pg.Client({ connectionString: `${pgUrl}/postgres` });
    await c.connect();
    return c;
  };
  try {
    return await connect();
  } catch (e) {
    // The local cluster may be down (a fresh machine): start it, as the ingest bench does.
    let versions: string[];
    try {
      versions = readdirSync("/etc/postgresql");
    } catch {
      throw e;
    }
    execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", versions[0]!, "main", "start"], { stdio: "inherit" });
    for (let i = 0; ; i++) {
      try {
        return await connect();
      } catch (err) {
        if (i >= 30) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

const name = `patron_bench_export_${Date.now()}`;
const token = randomBytes(24).toString("hex");
const a = await admin();
await a.query(`create database ${name}`);
await a.end();
const server = await startServerProcess({
  cwd: ROOT,
  label: "postgres",
  env: { DATABASE_URL: `${pgUrl}/${name}`, PORT: "0", PATRON_RATE_LIMIT: "0", PATRON_SETTLE_INTERVAL: "0", PATRON_JOBS: "0", LOG_LEVEL: "warn", PATRON_ADMIN_TOKEN: token },
});
try {
  const created = await fetch(`${server.url}/v1/programs`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Export bench", currency: "USD", timeZone: "UTC" }) });
  const key = ((await created.json()) as { secretKey: { secret: string } }).secretKey.secret;
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const t0 = performance.now();
  for (let i = 0; i < events; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, events - i) }, (_, k) => ({
      id: `e-${i + k}`, type: "order.completed", customerId: "heavy",
      data: { orderId: `o-${i + k}`, currency: "USD", lines: [{ sku: "BEAN-1", name: "Beans", category: "coffee", quantity: 1, unitPrice: 1250 }, { sku: "CUP-1", name: "Cup", category: "merch", quantity: 2, unitPrice: 400 }] },
    }));
    const r = await fetch(`${server.url}/v1/events/batch`, { method: "POST", headers, body: JSON.stringify({ events: batch }) });
    if (r.status !== 200) throw new Error(`batch: ${r.status} ${await r.text()}`);
  }
  console.log(`one customer with ${events.toLocaleString("en-US")} orders (an earn transaction and an event each), loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // What else a long history costs: the balances (pending and expiring lots), a debit (the lots it
  // spends), a page of the ledger. Medians of `runs` requests each, in milliseconds.
  const requests: [string, string, unknown][] = [
    ["GET", "/v1/customers/heavy/balances", undefined],
    ["POST", "/v1/customers/heavy/adjustments", { amount: -5, reason: "bench debit" }],
    ["GET", "/v1/customers/heavy/transactions?limit=200", undefined],
  ];
  for (const [method, path, body] of requests) {
    const ms: number[] = [];
    for (let k = 0; k < Math.max(runs, 3); k++) {
      const t = performance.now();
      const r = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      await r.text();
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status}`);
      ms.push(performance.now() - t);
    }
    ms.sort((x, y) => x - y);
    console.log(`${method} ${path}: median ${ms[ms.length >> 1]!.toFixed(1)} ms of ${ms.length}`);
  }
  console.log("export run  seconds  MB sent  server RSS before -> max during (MB)");
  for (let run = 1; run <= runs; run++) {
    const sampler = new RssSampler(server.pid, 20);
    const before = sampler.max;
    const start = performance.now();
    const res = await fetch(`${server.url}/v1/customers/heavy/export`, { headers });
    let bytes = 0;
    for await (const chunk of res.body!) bytes += (chunk as Uint8Array).byteLength;
    const seconds = (performance.now() - start) / 1000;
    const max = sampler.stop();
    if (res.status !== 200) throw new Error(`export: ${res.status}`);
    console.log(`${String(run).padStart(10)}  ${seconds.toFixed(2).padStart(7)}  ${(bytes / 1e6).toFixed(1).padStart(7)}  ${before.toFixed(0)} -> ${max.toFixed(0)}`);
  }
  if (codes > 0) {
    // A bulk_codes campaign with `codes` codes, then its CSV export (GET …/codes.csv).
    const c = await fetch(`${server.url}/v1/campaigns`, { method: "POST", headers, body: JSON.stringify({ name: "Bulk", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 100 }] }) });
    const campaign = ((await c.json()) as { id: string }).id;
    const t1 = performance.now();
    for (let i = 0; i < codes; i += 100_000) {
      const r = await fetch(`${server.url}/v1/campaigns/${campaign}/codes/generate`, { method: "POST", headers, body: JSON.stringify({ count: Math.min(100_000, codes - i) }) });
      if (r.status >= 300) throw new Error(`generate: ${r.status} ${await r.text()}`);
    }
    console.log(`a campaign with ${codes.toLocaleString("en-US")} codes, generated in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    console.log("codes.csv run  seconds  MB sent  server RSS before -> max during (MB)");
    for (let run = 1; run <= runs; run++) {
      const sampler = new RssSampler(server.pid, 20);
      const before = sampler.max;
      const start = performance.now();
      const res = await fetch(`${server.url}/v1/campaigns/${campaign}/codes.csv`, { headers });
      let bytes = 0;
      for await (const chunk of res.body!) bytes += (chunk as Uint8Array).byteLength;
      const seconds = (performance.now() - start) / 1000;
      const max = sampler.stop();
      if (res.status !== 200) throw new Error(`codes.csv: ${res.status}`);
      console.log(`${String(run).padStart(13)}  ${seconds.toFixed(2).padStart(7)}  ${(bytes / 1e6).toFixed(1).padStart(7)}  ${before.toFixed(0)} -> ${max.toFixed(0)}`);
    }
  }
} finally {
  await server.stop();
  const c = await admin();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.end();
}
