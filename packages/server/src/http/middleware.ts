import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Env, HttpDeps } from "./env.ts";
import { problem } from "./problem.ts";

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
 */
export function rateLimit(perSecond: number, now: () => number): MiddlewareHandler<Env> {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const burst = perSecond * 2;
  return async (c, next) => {
    if (perSecond <= 0) return next();
    const key = c.get("principal").keyId;
    const t = now();
    const b = buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    if (b.tokens < 1) {
      buckets.set(key, b);
      const retry = Math.ceil((1 - b.tokens) / perSecond);
      return problem(c, { code: "RATE_LIMITED", message: `Too many requests for this key; retry in ${retry} s.`, details: { retryAfterSeconds: retry } }, { "retry-after": String(retry) });
    }
    b.tokens -= 1;
    buckets.set(key, b);
    await next();
  };
}

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
