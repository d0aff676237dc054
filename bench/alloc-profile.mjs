// Where a server process allocates, for finding what feeds its garbage collector.
// Load it into the benchmark's server with
//   BENCH_SERVER_NODE_FLAGS="--import ./bench/alloc-profile.mjs" npm run bench -- …
// It samples every allocation (one sample per ALLOC_PROFILE_INTERVAL bytes, default 64 KB) including
// objects that the garbage collector has since freed, and at exit (and every 5 s) writes
// bench/results/alloc-<pid>.txt: the bytes allocated per function (self), per function and its
// caller, and per function with what it calls (total), the 40 largest of each. Figures are sampled, so read them as shares.
import { Session } from "node:inspector";
import { mkdirSync, writeFileSync } from "node:fs";

const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));

const interval = Number(process.env.ALLOC_PROFILE_INTERVAL ?? 65536);
await post("HeapProfiler.enable");
await post("HeapProfiler.startSampling", { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });

const name = (f) => `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;

function report(profile) {
  const self = new Map();
  const total = new Map();
  const withCaller = new Map();
  let all = 0;
  const walk = (node, stack) => {
    const key = name(node.callFrame);
    const size = node.selfSize;
    all += size;
    self.set(key, (self.get(key) ?? 0) + size);
    const caller = stack.length > 0 ? `${stack[stack.length - 1]} > ` : "";
    withCaller.set(caller + key, (withCaller.get(caller + key) ?? 0) + size);
    const seen = new Set(stack);
    const here = [...stack, key];
    // Total: every distinct function on the path gets the node's own bytes once.
    for (const k of new Set(here)) total.set(k, (total.get(k) ?? 0) + size);
    for (const c of node.children) walk(c, seen.has(key) ? stack : here);
  };
  walk(profile.head, []);
  const top = (m) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]) => `${(v / 1048576).toFixed(1).padStart(9)} MB ${((v / all) * 100).toFixed(1).padStart(5)}%  ${k}`).join("\n");
  return `allocated (sampled) ${(all / 1048576).toFixed(0)} MB\n\nself:\n${top(self)}\n\nself, by caller:\n${top(withCaller)}\n\ntotal (with callees):\n${top(total)}\n`;
}

const dir = new URL("./results/", import.meta.url);
let last = null;
const dump = async () => {
  const { profile } = await post("HeapProfiler.getSamplingProfile");
  last = report(profile);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`alloc-${process.pid}.txt`, dir), last);
};
setInterval(() => void dump(), 5000).unref();
process.on("exit", () => {
  if (last) writeFileSync(new URL(`alloc-${process.pid}.txt`, dir), last);
});
