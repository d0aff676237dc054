// Statement timings of a server process, for finding where ingest spends its database time.
// Load it into the benchmark's server with
//   BENCH_SERVER_NODE_FLAGS="--import ./bench/query-timing.mjs" npm run bench -- …
// Every 2 s and at exit it writes bench/results/query-timing-<pid>.txt: calls, total ms and ms per call
// for the 25 costliest statement texts (first 90 characters). Times include waiting for locks and for
// the event loop, so read them as "where a transaction's time goes", not as PostgreSQL CPU.
// It also writes query-timing-<pid>-samples.sql: the last full text (and values) of the 5 costliest.
import pg from "pg";
import { mkdirSync, writeFileSync } from "node:fs";

const stats = new Map();
// One full text per statement key (the last seen), for EXPLAIN: query-timing-<pid>-samples.sql.
const samples = new Map();
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const text = typeof config === "string" ? config : (config?.text ?? "?");
  const key = text.replace(/\s+/g, " ").trim().slice(0, 90);
  samples.set(key, { text, values: Array.isArray(values) ? values : config?.values });
  const started = process.hrtime.bigint();
  const record = () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n += 1;
    s.ms += ms;
    stats.set(key, s);
  };
  // pg.Pool's own query passes a callback (as `values` when there are none): time that path too.
  const wrap = (cb) => (err, res) => {
    if (!err) record();
    cb(err, res);
  };
  if (typeof callback === "function") callback = wrap(callback);
  else if (typeof values === "function") values = wrap(values);
  const result = original.call(this, config, values, callback);
  if (result && typeof result.then === "function") result.then(record, () => {});
  return result;
};

const dir = new URL("./results/", import.meta.url);
const dump = () => {
  mkdirSync(dir, { recursive: true });
  const lines = [...stats.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, Number(process.env.QUERY_TIMING_TOP ?? 25))
    .map(([text, s]) => `${String(s.n).padStart(7)}  ${s.ms.toFixed(0).padStart(8)} ms  ${(s.ms / s.n).toFixed(2).padStart(8)} ms/call  ${text}`);
  writeFileSync(new URL(`query-timing-${process.pid}.txt`, dir), `${lines.join("\n")}\n`);
  const top = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 5);
  const full = top.map(([key]) => {
    const s = samples.get(key);
    return `-- ${key}\n-- values: ${JSON.stringify(s?.values ?? [])}\n${s?.text};\n`;
  });
  writeFileSync(new URL(`query-timing-${process.pid}-samples.sql`, dir), full.join("\n"));
};
setInterval(dump, 2000).unref();
process.on("exit", dump);
