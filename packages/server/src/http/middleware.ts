import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Env, HttpDeps } from "./env.ts";
import { problem } from "./problem.ts";
import { protoKeyAt } from "./request-text.ts";

/** Bearer key authentication for /v1. Publishable keys may only read public program information. */
export function authenticate(deps: HttpDeps): MiddlewareHandler<Env> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return problem(c, { code: "UNAUTHENTICATED", message: "Send your API key as `Authorization: Bearer sk_…`." });
    const principal = await deps.auth.authenticate(match[1]!);
    if (!principal) return problem(c, { code: "UNAUTHENTICATED", message: "The API key is not valid or has been revoked." });
    if (principal.kind === "publishable" && !(c.req.method === "GET" && (c.req.path === "/v1/program" || c.req.path === "/v1/tiers"))) {
      return problem(c, { code: "FORBIDDEN", message: "A publishable key (pk_…) can only read public program information; use a secret key (sk_…) on your server." });
    }
    c.set("principal", principal);
    await next();
  };
}

/**
 * A token bucket per API key (rate per second, burst twice the rate), in this process. Enough to
 * stop a runaway client; a deployment with several servers divides its budget by their number.
 * `keyOf` buckets by something else (a visitor's address on public routes; null: not limited).
 */
export function rateLimit(perSecond: number, now: () => number, by: { keyOf: (c: Context<Env>) => string | null; what: string } = BY_KEY): MiddlewareHandler<Env> {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const burst = perSecond * 2;
  return async (c, next) => {
    if (perSecond <= 0) return next();
    const key = by.keyOf(c);
    if (key === null) return next();
    const t = now();
    const b = buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    // Visitors' addresses can be many: past the cap the first bucket made goes.
    if (!buckets.has(key) && buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
    if (b.tokens < 1) {
      buckets.set(key, b);
      const retry = Math.ceil((1 - b.tokens) / perSecond);
      return problem(c, { code: "RATE_LIMITED", message: `Too many requests ${by.what}; retry in ${retry} s.`, details: { retryAfterSeconds: retry } }, { "retry-after": String(retry) });
    }
    b.tokens -= 1;
    buckets.set(key, b);
    await next();
  };
}

/** At most this many buckets are kept (about 10 MB). */
const MAX_BUCKETS = 100_000;
const BY_KEY = { keyOf: (c: Context<Env>) => c.get("principal").keyId, what: "for this key" };

/**
 * hono's bodyLimit, with the common case first: a body with a Content-Length (and no
 * Transfer-Encoding) is judged by that header alone, because Node's parser never reads more bytes
 * than it declares. hono's own middleware asks for `c.req.raw.body` before looking at the header,
 * which makes @hono/node-server build a full web Request and stream for every request and takes
 * the body off its fast path (about a tenth of the server's CPU on single-event ingest). Chunked
 * bodies still go through hono's counting reader.
 */
export function limitBody(maxSize: number, onError: (c: Context<Env>) => Response | Promise<Response>): MiddlewareHandler<Env> {
  const counting = bodyLimit({ maxSize, onError });
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && /^\d+$/.test(length) && c.req.header("transfer-encoding") === undefined) {
      return Number(length) > maxSize ? onError(c) : next();
    }
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return counting(c, next);
  };
}

/**
 * Refuses a body sent with a Content-Encoding (gzip, br, …) with 415, as RFC 9110 §15.5.16 asks of
 * a server that does not decode it: the bytes were otherwise read as if plain, so a gzipped batch
 * was INVALID_JSON, and a plain body mislabelled gzip was stored as sent.
 */
export function refuseContentEncoding(): MiddlewareHandler<Env> {
  return async (c, next) => {
    const encoding = c.req.header("content-encoding");
    if (encoding === undefined || /^\s*(identity)?\s*$/i.test(encoding)) return next();
    return problem(c, { code: "UNSUPPORTED_MEDIA_TYPE", message: `Send the body uncompressed: Content-Encoding "${encoding.slice(0, 40)}" is not decoded.`, details: { contentEncoding: encoding.slice(0, 100) } });
  };
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Refuses a JSON body with an object key "__proto__" (VALIDATION_FAILED, naming where): JSON.parse
 * keeps such a key, but building the validated object drops it, so an attribute or a custom event's
 * field of that name was silently not stored. Only a body whose text could hold the key (spelled
 * out, or written with \u escapes) is parsed here; the others cost two scans of a text the validator
 * reads anyway (hono caches it).
 */
export function refuseProtoKeys(): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || !JSON_TYPE.test(c.req.header("content-type") ?? "")) return next();
    const text = await c.req.text();
    if (!text.includes("__proto__") && !text.includes("\\u")) return next();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return next(); // the validator answers INVALID_JSON
    }
    const at = protoKeyAt(body);
    if (at === null) return next();
    const message = `${at || "body"}: an object key named "__proto__" cannot be stored; rename it`;
    return problem(c, { code: "VALIDATION_FAILED", message, details: { issues: [{ path: at, message: 'an object key named "__proto__" cannot be stored; rename it' }] } });
  };
}
