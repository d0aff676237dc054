import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { Key, KeyCreate } from "../schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { mutate } from "../mutate.ts";
import { createKey } from "../../app/keys/create-key.ts";
import { listKeys, revokeKey } from "../../app/keys/manage-keys.ts";
import { recordAudit } from "../../app/audit.ts";
import { errorBody } from "../problem.ts";

const list = createRoute({ method: "get", path: "/v1/keys", tags: ["Keys"], summary: "List the program's API keys", security, responses: { 200: ok(z.object({ data: z.array(Key) }), "Keys (never their secrets)"), ...errorResponses(401, 403) } });
const create = createRoute({
  method: "post",
  path: "/v1/keys",
  tags: ["Keys"],
  summary: "Create an API key",
  description: "The response carries the whole key in `secret`, this once. Only a hash is stored; a replay under the same Idempotency-Key returns `secret: null`.",
  security,
  request: { headers: idempotencyHeader, body: { content: { "application/json": { schema: KeyCreate } }, required: true } },
  responses: { 201: ok(Key, "The new key with its secret"), ...errorResponses(400, 401, 403, 409) },
});
const revoke = createRoute({
  method: "delete",
  path: "/v1/keys/{keyId}",
  tags: ["Keys"],
  summary: "Revoke an API key",
  description: "Takes effect at once on this server and within 5 seconds on others. Revoking twice is harmless.",
  security,
  request: { params: z.object({ keyId: z.string().max(64) }), headers: idempotencyHeader },
  responses: { 200: ok(Key, "The revoked key"), ...errorResponses(401, 403, 404) },
});

export function registerKeys(app: App, deps: HttpDeps) {
  app.openapi(list, async (c) => c.json({ data: (await listKeys(deps.ctx.db, c.get("principal").program.id)).map((k) => ({ ...k, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null })) }, 200));

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const p = c.get("principal");
    return mutate(
      c,
      deps,
      body,
      async (tx) => {
        const key = await createKey(deps.ctx, tx, p.program.id, body);
        await recordAudit(deps.ctx, tx, { programId: p.program.id, actor: p.keyId, action: "key.created", target: key.id, reason: null, data: { kind: key.kind } });
        return { status: 201, body: key };
      },
      (b) => ({ ...(b as object), secret: null }),
    ) as never;
  });

  app.openapi(revoke, async (c) => {
    const p = c.get("principal");
    const { keyId } = c.req.valid("param");
    const res = await mutate(c, deps, { keyId }, async (tx) => {
      const r = await revokeKey(deps.ctx, tx, p.program.id, keyId, p.keyId);
      return r.ok ? { status: 200, body: r.value } : errorBody(r.error);
    });
    deps.auth.forget();
    return res as never;
  });
}
