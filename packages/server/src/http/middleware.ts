import type { MiddlewareHandler } from "hono";
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
