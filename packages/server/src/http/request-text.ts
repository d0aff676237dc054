/**
 * Request text that no database column can keep, or that JavaScript cannot hold: checked once per
 * request by walking what it sent, instead of a refinement on each of the API's strings and open
 * records.
 */

// NUL, or a UTF-16 surrogate without its other half (valid JSON and percent-encoding carry both).
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_MESSAGE = "must not contain the NUL character (\\u0000) or an unpaired UTF-16 surrogate (\\ud800 to \\udfff): they cannot be stored";
const unstorable = (s: string) => UNSTORABLE.test(s);

/**
 * The first string of a validated request (a value, or an object key) that PostgreSQL cannot store,
 * as a `{path, message}` issue; null when there is none. text and jsonb refuse NUL, and jsonb refuses
 * an unpaired surrogate's escape (500s); in text the driver wrote the surrogate as U+FFFD, so what
 * was stored was not what was sent. Run on every request input (app.ts's validation hook).
 */
export function unstorableText(v: unknown): { path: string; message: string } | null {
  // Every request passes through here (a batch of 1,000 events is some 30,000 strings): the first
  // walk makes no paths and no entry lists, and only a request that holds such text is walked again
  // to name where (building both on every request had made this the largest allocator of ingest).
  if (!holdsUnstorable(v)) return null;
  const found = locate(v, unstorable, unstorable);
  return found && { path: found.path, message: found.inKey ? `a key ${UNSTORABLE_MESSAGE}` : UNSTORABLE_MESSAGE };
}

/**
 * The path of the first object (depth first) of a parsed JSON body with an own key "__proto__", which
 * JSON.parse keeps and building the validated object by assignment drops; null when there is none.
 */
export function protoKeyAt(v: unknown): string | null {
  return locate(v, (k) => k === "__proto__", null)?.path ?? null;
}

/** Whether some string or key of `v` is unstorable. Iterative: open JSON is bounded in depth, but not by this walk. */
function holdsUnstorable(v: unknown): boolean {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === "string") {
      if (UNSTORABLE.test(x)) return true;
      continue;
    }
    if (x === null || typeof x !== "object") continue;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) stack.push(x[i]);
      continue;
    }
    // for-in makes no list of keys; request inputs are plain objects (parsed JSON, zod's output), with nothing inherited.
    for (const k in x) {
      if (UNSTORABLE.test(k)) return true;
      stack.push((x as Record<string, unknown>)[k]);
    }
  }
  return false;
}

/** A place in the walk: its key and the place of its parent (a path kept as links, copied only once found). */
type Place = { key: string | number; up: Place } | null;
const pathOf = (p: Place): string => {
  const keys: (string | number)[] = [];
  for (let at = p; at !== null; at = at.up) keys.push(at.key);
  return keys.reverse().join(".");
};

/**
 * Where the first bad object key (the path of its object) or bad string value (its own path) of `v`
 * is, depth first and in order; null when there is none. `badString` null: values are not judged.
 * Each value keeps a link to its parent's place, and only a hit's path is built: copying the path at
 * every level made a body nested 20,000 levels deep (40 KB, with a \u escape so the "__proto__" check
 * runs) hold the event loop for 20 s, and a 1 MB one for hours.
 */
function locate(v: unknown, badKey: (k: string) => boolean, badString: ((s: string) => boolean) | null): { path: string; inKey: boolean } | null {
  const stack: [unknown, Place][] = [[v, null]];
  while (stack.length > 0) {
    const [x, place] = stack.pop()!;
    if (typeof x === "string") {
      if (badString?.(x)) return { path: pathOf(place), inKey: false };
      continue;
    }
    if (x === null || typeof x !== "object") continue;
    const entries = Array.isArray(x) ? x.map((c, i) => [i, c] as const) : Object.entries(x);
    for (const [k] of entries) if (typeof k === "string" && badKey(k)) return { path: pathOf(place), inKey: true };
    for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], { key: entries[i]![0], up: place }]);
  }
  return null;
}
