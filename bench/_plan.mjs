import fs from "node:fs"; import pg from "pg";
const [file, prefix, db] = process.argv.slice(2);
const s = fs.readFileSync(file, "utf8");
const blocks = s.split(/\n(?=-- )/);
let text = null, values = null;
for (let i = 0; i < blocks.length; i++) if (blocks[i].startsWith("-- " + prefix)) { const v = blocks[i + 1]; const nl = v.indexOf("\n"); values = JSON.parse(v.slice("-- values: ".length, nl)); text = v.slice(nl + 1).replace(/;\s*$/, ""); break; }
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` }); await c.connect();
console.log("params:", values.map((v) => (typeof v === "string" ? v.slice(0, 60) : v)));
for (const mode of ["force_custom_plan", "force_generic_plan"]) {
  await c.query(`set plan_cache_mode = ${mode}`);
  await c.query({ name: `p_${mode}`, text, values });
  const ts = [];
  for (let i = 0; i < 20; i++) { await c.query("begin"); const t = performance.now(); await c.query({ name: `p_${mode}`, text, values }); ts.push(performance.now() - t); await c.query("rollback"); }
  ts.sort((a, b) => a - b);
  console.log(mode, "median", ts[10].toFixed(2), "ms");
  const r = await c.query({ text: "explain (analyze, costs off, timing off, summary on) " + text, values });
  console.log(r.rows.map((x) => x["QUERY PLAN"]).filter((l) => /Scan|Join|Loop|Execution|Planning|Rows Removed/.test(l)).map((l) => l.replace(/\{[^}]{60,}\}/g, "{…}").slice(0, 160)).join("\n"));
}
await c.end();
