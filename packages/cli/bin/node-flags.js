// The node flags Patron's processes start with (bin/patron.js; bench/server-process.ts uses the same).
//
// A heap limit: without one, V8 sizes the old generation from the machine's memory and hands little
// back once a burst of batch ingest has grown it, so a server on a 24 GiB machine sat at 300-350 MB
// resident under steady load. With 192 MB of old generation it stays near 220-240 MB at the same
// throughput (bench/README.md). PATRON_MAX_HEAP_MB changes it (at least 64); 0 leaves V8's default.
export function nodeFlags(env) {
  const raw = env.PATRON_MAX_HEAP_MB ?? "192";
  if (!/^\d+$/.test(raw) || (Number(raw) !== 0 && Number(raw) < 64)) {
    throw new Error(`PATRON_MAX_HEAP_MB must be a whole number of megabytes, at least 64 (or 0 for node's default); got "${raw}"`);
  }
  return raw === "0" ? [] : [`--max-old-space-size=${raw}`];
}
