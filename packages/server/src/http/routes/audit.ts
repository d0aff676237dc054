import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { limit, page } from "../schemas.ts";
import { errorResponses, ok, security } from "./common.ts";
import { problem } from "../problem.ts";
import { listAuditLog } from "../../app/audit-log.ts";

const AuditEntry = z
  .object({ id: z.string(), actor: z.string(), action: z.string(), target: z.string().nullable(), reason: z.string().nullable(), data: z.record(z.string(), z.unknown()), at: z.string() })
  .openapi("AuditEntry");

const list = createRoute({
  method: "get",
  path: "/v1/audit-log",
  tags: ["Program"],
  summary: "The program's audit log",
  description:
    "Who did what and why: manual adjustments, reversals, erasures, key changes, settings changes. Newest first; filter by `action` (for example `points.adjusted`) or `target` (a customer, transaction or key id). The database refuses edits to it.",
  security,
  request: { query: z.object({ limit, cursor: z.string().max(200).optional(), action: z.string().max(100).optional(), target: z.string().max(100).optional() }) },
  responses: { 200: ok(page(AuditEntry, "AuditPage"), "A page of entries"), ...errorResponses(400, 401, 403) },
});

export function registerAudit(app: App, deps: HttpDeps) {
  app.openapi(list, async (c) => {
    const r = await listAuditLog(deps.ctx.db, c.get("principal").program.id, c.req.valid("query"));
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });
}
