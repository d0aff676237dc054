import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Tx } from "../db/connect.ts";
import { runIdempotent } from "../app/idempotency.ts";
import { requestHash } from "../app/json.ts";
import type { Env, HttpDeps } from "./env.ts";
import { problem } from "./problem.ts";

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs a mutating endpoint under the `Idempotency-Key` header (optional but recommended): same key
 * and body -> the first response again with `Idempotent-Replayed: true`; same key, other body ->
 * IDEMPOTENCY_CONFLICT. The key is scoped to the program and the endpoint.
 */
export async function mutate(
  c: Context<Env>,
  deps: HttpDeps,
  input: unknown,
  fn: (tx: Tx) => Promise<{ status: number; body: unknown }>,
  redact?: (body: unknown) => unknown,
): Promise<Response> {
  const bad = refuseBadIdempotencyKey(c);
  if (bad) return bad;
  const header = c.req.header("idempotency-key");
  const program = c.get("principal").program;
  const req = header ? { programId: program.id, scope: `${c.req.method} ${c.req.routePath}`, key: header, hash: requestHash({ path: c.req.path, input }) } : null;
  const res = await runIdempotent(deps.ctx.db, req, fn, redact);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (res.replayed) headers["idempotent-replayed"] = "true";
  return c.body(res.body, res.status as ContentfulStatusCode, headers);
}

/** The answer to a malformed `Idempotency-Key` (empty, too long, not printable ASCII), or null when it is absent or well formed. */
export function refuseBadIdempotencyKey(c: Context<Env>): Response | null {
  const header = c.req.header("idempotency-key");
  if (header === undefined || KEY.test(header)) return null;
  return problem(c, { code: "VALIDATION_FAILED", message: "Idempotency-Key must be 1 to 255 printable ASCII characters.", details: { header: "Idempotency-Key" } });
}
