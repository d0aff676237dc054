/**
 * The machinery of the fuzz suites (fuzz.db.test.ts, fuzz-benefits.db.test.ts): bad values by what
 * a field expects, the cases generated from an endpoint's spec (every bad value, missing and unknown
 * fields, bodies that are not objects or not JSON, wrong content types, huge and deep bodies, bad
 * authentication, bad path parameters and idempotency keys, random combinations), running them, and
 * judging the answers: a 4xx with a known code and a message, never a 5xx, nothing changed.
 *
 * Every case comes from a seeded PRNG (PATRON_FUZZ_SEED to change it), so a failure reproduces.
 */
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { ERROR_CODES, seededRandom } from "@patron/core";
import { rows } from "../src/db/connect.ts";
import type { TestApi } from "./harness.ts";
import { bodyLimitFor } from "../src/http/app.ts";

export const SEED = Number(process.env.PATRON_FUZZ_SEED ?? 20_260_310);

// Numbers JSON.stringify cannot write (NaN, Infinity, 1e400, 2^53 + 1, hex, leading zeros…): a
// placeholder string in the object, swapped for the raw literal once the body is serialised.
export const RAW = (literal: string) => `\u0000raw:${literal}\u0000`;
export const serialise = (v: unknown) => JSON.stringify(v).replace(/"\\u0000raw:([^"]*?)\\u0000"/g, "$1");

export const NOT_STRING = [0, 42, -1.5, true, false, {}, [], ["a"], { a: 1 }];
export const NOT_INT = [
  "10", "", true, false, null, {}, [], [1], 1.5, 0.001, -0.5, 1e308, "NaN", "Infinity", "1e3",
  RAW("NaN"), RAW("Infinity"), RAW("-Infinity"), RAW("1e400"), RAW("9007199254740993"), RAW("0x10"), RAW("01"), RAW(".5"), RAW("+1"),
];
export const BAD_AMOUNT = [...NOT_INT, -1, -100, 1_000_000_000_001, 9_007_199_254_740_991, -9_007_199_254_740_991];
export const NOT_BOOL = ["true", "false", 1, 0, null, {}, [], "yes"];
export const HUGE = "x".repeat(100_000); // a 100 KB string: under the 1 MB body limit, over every field limit
export const BAD_ID = ["", "a b", "tab\there", "new\nline", "é", "x".repeat(256), HUGE, 7, null, true, {}, ["id"]];
export const BAD_DATETIME = [
  "2026-02-30T10:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:59:60Z",
  "2026-01-01", "2026-01-01T10:00:00", "2026-01-01 10:00:00Z", "01/02/2026", "yesterday", "", "2026-01-01T10:00:00+25:00",
  "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", 1_767_225_600_000, null, true, {}, HUGE,
];
export const BAD_DATE = ["2026-02-30", "2025-02-29", "1990-13-01", "1990-00-10", "1990/05/01", "05/01/1990", "1990-5-1", "", "1990-05-01T00:00:00Z", "0000-01-01", 19900501, true, {}, HUGE];
export const BAD_LOCALE = ["", "e", "en_US", "english!", "x".repeat(36), "12", ...NOT_STRING];
export const BAD_CURRENCY = ["usd", "US", "USDD", "", "U$D", "usd ", 840, null, true, {}, ["USD"]];
/** Free text of 1 to `max` characters (a reason, an actor, a name). */
export const badText = (max: number, nullable = false) => [...NOT_STRING, ...(nullable ? [] : [null]), "", "x".repeat(max + 1), HUGE];

export type Body = Record<string, unknown>;

/** One mutating endpoint, described so its malformed requests can be generated. */
export interface Spec {
  /** `METHOD /route` for the report. */
  name: string;
  method: string;
  /** The path of a real target (a customer with points, an earn transaction…). */
  path: () => string;
  /** Paths whose parameter is malformed: refused whatever the body. */
  badPaths: string[];
  /** A valid body: each case breaks it. */
  base: () => Body;
  /** Dotted paths that must be present. */
  required: string[];
  /** Dotted path -> values that are wrong there, whatever the other fields hold. */
  bad: Record<string, unknown[]>;
  /** Does the endpoint honour Idempotency-Key (through http/mutate.ts)? */
  idempotent: boolean;
  /** Dotted paths of nested strict objects, where an unknown field is refused (default: those of the foundation's bodies). */
  nested?: string[];
  /** Who may call it: a program's secret key (default) or the deployment's admin token (`Fuzzer.asAdmin`). */
  auth?: "key" | "admin";
}

export interface Case {
  label: string;
  method: string;
  path: string;
  body?: string | undefined;
  headers: Record<string, string>;
  /** The code this case must get, when it is certain. */
  code?: string | undefined;
}

export function setPath(obj: Body, path: string, value: unknown): Body {
  const copy = structuredClone(obj);
  const parts = path.split(".");
  let cur: any = copy;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== "object") cur[p] = {};
    cur = cur[p];
  }
  cur[parts.at(-1)!] = value;
  return copy;
}
export function deletePath(obj: Body, path: string): Body {
  const copy = structuredClone(obj);
  const parts = path.split(".");
  let cur: any = copy;
  for (const p of parts.slice(0, -1)) cur = cur?.[p];
  if (cur && typeof cur === "object") delete cur[parts.at(-1)!];
  return copy;
}
export function getPath(obj: unknown, path: string): unknown {
  return path.split(".").reduce<any>((cur, p) => (cur === null || cur === undefined ? undefined : cur[p]), obj);
}
export function short(v: unknown, max = 40): string {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}…(${s.length})` : s;
}
export const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
export const deepObject = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

const FOUNDATION_NESTED = ["data", "data.lines.0", "consent", "earning", "expiry", "trigger", "effect", "limits.0", "effects.0", "limits.perCustomer"];

/** Generates cases against one program's API, from one seed. */
export class Fuzzer {
  readonly rand: () => number;
  readonly cases: Case[] = [];
  readonly auth: Record<string, string>;
  readonly json: Record<string, string>;
  private serial = 0;
  private readonly randomJunk: unknown[];
  private readonly unknownKeys: string[];

  constructor(
    private readonly api: TestApi,
    readonly seed = SEED,
    /** The admin token, for a fuzzer of the admin endpoints (its requests carry it instead of the secret key). */
    private readonly adminToken: string | null = null,
  ) {
    this.rand = seededRandom(seed);
    this.auth = { authorization: `Bearer ${adminToken ?? api.secretKey}` };
    this.json = { ...this.auth, "content-type": "application/json" };
    this.randomJunk = fc.sample(fc.jsonValue({ maxDepth: 3 }), { numRuns: 40, seed });
    this.unknownKeys = ["points", "balance", "externalId", "__proto__", "constructor", "Email", "amount_cents", ...fc.sample(fc.string({ minLength: 1, maxLength: 12 }), { numRuns: 20, seed: seed + 1 })];
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /** A fresh id for a valid body (events, orders): never one the program has seen. */
  fresh(prefix: string): string {
    return `${prefix}-${this.seed}-${++this.serial}`;
  }

  add(s: { name: string; method: string }, label: string, path: string, body: string | undefined, headers: Record<string, string> = this.json, code?: string): void {
    this.cases.push({ label: `${s.name}: ${label}`, method: s.method, path, body, headers, code });
  }

  /** Breaks one field of a valid body: a wrong value, or (if it is required) its absence. */
  breakField(s: Spec, body: Body): { label: string; body: Body } {
    if (s.required.length > 0 && this.rand() < 0.2) {
      const f = this.pick(s.required);
      return { label: `missing ${f}`, body: deletePath(body, f) };
    }
    const f = this.pick(Object.keys(s.bad));
    const v = this.pick(s.bad[f]!);
    return { label: `${f} = ${short(v)}`, body: setPath(body, f, v) };
  }

  /** Every listed bad value, missing field, unknown field, broken body and header of each spec, once. */
  specCases(specs: readonly Spec[]): void {
    for (const s of specs) {
      const known = new Set([...Object.keys(s.bad), ...Object.keys(s.base())]);
      for (const [f, values] of Object.entries(s.bad)) for (const v of values) this.add(s, `${f} = ${short(v)}`, s.path(), serialise(setPath(s.base(), f, v)));
      for (const f of s.required) this.add(s, `missing ${f}`, s.path(), serialise(deletePath(s.base(), f)));
      // Unknown fields: at the top and in nested strict objects.
      for (const k of this.unknownKeys.filter((k) => !known.has(k))) this.add(s, `unknown field ${short(k)}`, s.path(), serialise({ ...s.base(), [k]: this.pick(this.randomJunk) }));
      // (A custom event's `data` is an open record, so it is left out here.)
      for (const nested of (s.nested ?? FOUNDATION_NESTED).filter((n) => typeof getPath(s.base(), n) === "object" && !(s.name.includes("custom") && n === "data"))) {
        this.add(s, `unknown field in ${nested}`, s.path(), serialise(setPath(s.base(), `${nested}.surprise`, 1)));
      }
      // Not an object, not JSON, not declared JSON, too big, too deep.
      for (const b of ["null", "true", "0", "-1", '"text"', "[]", serialise([s.base()]), "{}".repeat(2)]) this.add(s, `body ${short(b)}`, s.path(), b);
      for (const j of this.randomJunk.filter((v) => v === null || typeof v !== "object" || Array.isArray(v) || Object.keys(v as object).some((k) => !known.has(k)))) this.add(s, `junk ${short(j)}`, s.path(), JSON.stringify(j));
      const good = serialise(s.base());
      for (const [label, b] of [
        ["truncated JSON", good.slice(0, -1)],
        ["trailing comma", good.replace(/}$/, ",}")],
        ["single quotes", good.replaceAll('"', "'")],
        ["unquoted keys", good.replace(/"(\w+)":/g, "$1:")],
        ["trailing garbage", `${good}garbage`],
        ["two documents", `${good}${good}`],
        ["bare NaN", "NaN"],
        ["a lone brace", "{"],
        ["bad escape", '{"reason": "\\x41"}'],
        ["unterminated string", '{"reason": "abc'],
        ["empty", ""],
        ["whitespace", "   \n\t "],
        ["NUL", "\u0000"],
        ["comment", `/* hi */ ${good}`],
      ] as const) {
        this.add(s, label, s.path(), b, this.json, "INVALID_JSON");
      }
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonx", "json", "text/json"]) {
        this.add(s, `content-type ${type}`, s.path(), good, { ...this.auth, "content-type": type }, "UNSUPPORTED_MEDIA_TYPE");
      }
      this.add(s, "no content-type (the runtime calls it text/plain)", s.path(), good, this.auth, "UNSUPPORTED_MEDIA_TYPE");
      this.add(s, "no body, JSON content-type", s.path(), undefined, this.json);
      this.add(s, "100 KB unknown field", s.path(), serialise({ ...s.base(), padding: HUGE }));
      this.add(s, "a body over the limit", s.path(), serialise({ ...s.base(), padding: "x".repeat(bodyLimitFor(s.path()) + 1_000) }), this.json, "PAYLOAD_TOO_LARGE");
      this.add(s, "deeply nested array body (100k)", s.path(), deepArray(100_000));
      this.add(s, "deeply nested object in an unknown field (50k)", s.path(), good.replace(/}$/, `,"deep":${deepObject(50_000)}}`));
      if (s.auth === "admin") this.adminAuthCases(s, s.path(), good);
      else this.authCases(s, s.path(), good);
      // Malformed path parameters, with an otherwise valid body.
      for (const p of s.badPaths) this.add(s, `bad path ${short(p)}`, p, good);
      if (s.idempotent) this.idempotencyCases(s, s.path(), good);
    }
  }

  /** Authentication comes first: no key, a made-up key, a publishable key, another scheme. */
  authCases(s: { name: string; method: string }, path: string, body?: string): void {
    for (const [label, value] of [["no Authorization", undefined], ["unknown key", `Bearer sk_${"a".repeat(32)}`], ["publishable key", `Bearer ${this.api.publishableKey}`], ["Basic scheme", "Basic dXNlcjpwYXNz"], ["empty Bearer", "Bearer "]] as const) {
      const h: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
      if (value) h.authorization = value;
      this.add(s, label, path, body, h, label === "publishable key" ? "FORBIDDEN" : "UNAUTHENTICATED");
    }
  }

  /** The admin token or nothing: no header, a wrong token, a program's secret key, another scheme. */
  adminAuthCases(s: { name: string; method: string }, path: string, body?: string): void {
    const wrong = [undefined, "Bearer wrong-token", `Bearer ${this.adminToken ?? ""}x`, `Bearer ${this.api.secretKey}`, "Basic dXNlcjpwYXNz", "Bearer "];
    for (const value of wrong) {
      const h: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
      if (value) h.authorization = value;
      this.add(s, value ? `Authorization ${short(value)}` : "no Authorization", path, body, h, "UNAUTHENTICATED");
    }
  }

  /** A valid request under an invalid Idempotency-Key: refused before anything runs. */
  idempotencyCases(s: { name: string; method: string }, path: string, body?: string): void {
    const headers = body === undefined ? this.auth : this.json;
    for (const k of ["", "a b", "x".repeat(256), "clé", "tab\there"]) this.add(s, `Idempotency-Key ${short(k)}`, path, body, { ...headers, "idempotency-key": k }, "VALIDATION_FAILED");
  }

  /** `n` random combinations: one to three broken fields (and sometimes an unknown one) per request. */
  randomCases(specs: readonly Spec[], n: number): void {
    for (let i = 0; i < n; i++) {
      const s = this.pick(specs);
      let body = s.base();
      const labels: string[] = [];
      for (let k = 1 + Math.floor(this.rand() * 3); k > 0; k--) {
        const b = this.breakField(s, body);
        body = b.body;
        labels.push(b.label);
      }
      if (this.rand() < 0.3) {
        body = { ...body, [this.pick(this.unknownKeys.filter((u) => !(u in body)))]: this.pick(this.randomJunk) };
        labels.push("unknown field");
      }
      this.add(s, `random: ${labels.join(", ")}`, s.path(), serialise(body));
    }
  }
}

export interface FuzzResult {
  c: Case;
  status: number;
  text: string;
}

/** Sends the cases a few at a time: PGlite runs them one by one anyway, PostgreSQL gets some concurrency. */
export async function runCases(api: TestApi, cases: readonly Case[]): Promise<FuzzResult[]> {
  const results: FuzzResult[] = [];
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const res = await api.raw({ method: c.method, path: c.path, body: c.body, headers: c.headers });
        results.push({ c, status: res.status, text: await res.text() });
      }
    }),
  );
  return results;
}

/** What is wrong with each answer: not a 4xx, not a JSON object, an unknown code, no message, another code than the case expects. */
export function problemsOf(results: readonly FuzzResult[]): string[] {
  const codes = new Set<string>(ERROR_CODES);
  return results
    .map(({ c, status, text }) => {
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const problems: string[] = [];
      if (status < 400 || status > 499) problems.push(`status ${status}`);
      if (!body || typeof body !== "object") problems.push("body is not a JSON object");
      else {
        if (!codes.has(body.code)) problems.push(`unknown code ${JSON.stringify(body.code)}`);
        if (typeof body.message !== "string" || body.message.length === 0) problems.push("no message");
        if (c.code && body.code !== c.code) problems.push(`expected ${c.code}`);
      }
      return problems.length ? `${c.label} [${c.method} ${short(c.path)}] -> ${status} ${short(text, 160)}: ${problems.join("; ")}` : null;
    })
    .filter((f) => f !== null);
}

/** How many cases each endpoint got (the part of the label before the first colon, without a parenthesised variant). */
export function countByEndpoint(results: readonly FuzzResult[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { c } of results) {
    const endpoint = c.label.split(":")[0]!.replace(/ \(.*\)$/, "");
    out.set(endpoint, (out.get(endpoint) ?? 0) + 1);
  }
  return out;
}

/** Every row of every table (count and content, in a stable order): what "nothing changed" is checked on. */
export async function snapshotTables(api: TestApi, tables?: readonly string[]): Promise<Record<string, { count: number; rows: string }>> {
  const names = tables ?? (await rows<{ t: string }>(api.ctx.db, sql`select tablename as t from pg_tables where schemaname = 'public' order by tablename`)).map((r) => r.t);
  const out: Record<string, { count: number; rows: string }> = {};
  for (const t of names) {
    const [r] = await rows<{ count: number; rows: string }>(
      api.ctx.db,
      sql`select count(*)::int as count, coalesce(string_agg(x::text, E'\n' order by x::text), '') as rows from ${sql.raw(t)} x`,
    );
    out[t] = { count: Number(r!.count), rows: r!.rows };
  }
  return out;
}
