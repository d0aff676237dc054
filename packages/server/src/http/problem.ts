import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { DomainError } from "@patron/core";
import { ERROR_STATUS } from "./error-status.ts";

/**
 * The error body every endpoint uses: `{ code, message, details }`. Typed `never` so a handler's
 * typed success response stays what the route declares; error responses are declared per route
 * with the shared ErrorBody schema.
 */
/** The same error as a stored response (`mutate` and the idempotency store take status + body). */
export const errorBody = (e: DomainError) => ({ status: ERROR_STATUS[e.code] as number, body: { code: e.code, message: e.message, details: e.details ?? {} } });

/** A use case's result as a mutate() answer: the value with `status`, or the error's own status and body. */
export const resultBody = <T>(r: { ok: true; value: T } | { ok: false; error: DomainError }, status = 200) => (r.ok ? { status, body: r.value as unknown } : errorBody(r.error));

export function problem(c: Context, e: DomainError, headers?: Record<string, string>): never {
  const status = ERROR_STATUS[e.code] as ContentfulStatusCode;
  return c.json({ code: e.code, message: e.message, details: e.details ?? {} }, status, headers) as never;
}
