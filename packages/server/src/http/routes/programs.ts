import { createRoute, z } from "@hono/zod-openapi";
import { timingSafeEqual } from "node:crypto";
import type { App, HttpDeps } from "../env.ts";
import { Program, ProgramCreate, ProgramPatch, Key } from "../schemas.ts";
import { errorResponses, idempotencyHeader, ok, programView, security } from "./common.ts";
import { errorBody, problem } from "../problem.ts";
import { createProgram } from "../../app/programs/create-program.ts";
import { updateProgram } from "../../app/programs/update-program.ts";
import { mutate, refuseBadIdempotencyKey } from "../mutate.ts";
import { runIdempotent } from "../../app/idempotency.ts";
import { requestHash } from "../../app/json.ts";

const getProgram = createRoute({
  method: "get",
  path: "/v1/program",
  tags: ["Program"],
  summary: "The program this key belongs to",
  description: "With a publishable key, only public information (name, points names, currency, locales).",
  security,
  responses: { 200: ok(Program, "The program"), ...errorResponses(401) },
});

const patchProgram = createRoute({
  method: "patch",
  path: "/v1/program",
  tags: ["Program"],
  summary: "Change the program's settings",
  description: "The currency is fixed at creation.",
  security,
  request: { headers: idempotencyHeader, body: { content: { "application/json": { schema: ProgramPatch } }, required: true } },
  responses: { 200: ok(Program, "The updated program"), ...errorResponses(400, 401, 403, 409, 422) },
});

const createProgramRoute = createRoute({
  method: "post",
  path: "/v1/programs",
  tags: ["Program"],
  summary: "Create a program (deployment admin)",
  description: "Authenticated with the deployment's `PATRON_ADMIN_TOKEN`, not a program key. Returns the new program's first secret and publishable keys, shown once.",
  security,
  request: { headers: idempotencyHeader, body: { content: { "application/json": { schema: ProgramCreate } }, required: true } },
  responses: {
    201: ok(z.object({ program: Program, secretKey: Key, publishableKey: Key }), "The program and its keys"),
    ...errorResponses(400, 401, 422),
  },
});

function adminOk(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function registerPrograms(app: App, deps: HttpDeps) {
  app.openapi(getProgram, (c) => {
    const p = c.get("principal");
    return c.json(programView(p.program, p.kind === "secret"), 200);
  });

  app.openapi(patchProgram, async (c) => {
    const body = c.req.valid("json");
    const p = c.get("principal");
    // Through `mutate`, like every other mutating endpoint: the route declares Idempotency-Key, which
    // was ignored (a replay ran again, wrote a second audit row and had no Idempotent-Replayed header).
    const res = await mutate(c, deps, body, async (tx) => {
      const r = await updateProgram(deps.ctx, tx, p.program.id, body, p.keyId);
      return r.ok ? { status: 200, body: programView(r.value, true) } : errorBody(r.error);
    });
    deps.auth.forget();
    return res as never;
  });

  // The token is checked before the body is validated: without it, nothing about the body is told.
  app.use("/v1/programs", async (c, next) => {
    if (c.req.method === "POST" && !adminOk(c.req.header("authorization"), deps.adminToken)) {
      return problem(c, { code: "UNAUTHENTICATED", message: "Creating a program needs the deployment's admin token (PATRON_ADMIN_TOKEN), or use `patron programs create`." });
    }
    await next();
  });

  app.openapi(createProgramRoute, async (c) => {
    const body = c.req.valid("json");
    // The same rule for the key as every other endpoint (mutate.ts): an empty or non-ASCII key was
    // taken as none, or as a key, and the program created.
    const bad = refuseBadIdempotencyKey(c);
    if (bad) return bad as never;
    const header = c.req.header("idempotency-key");
    // Deployment-level, so the key is scoped to no program; the keys' secrets are never stored, so a
    // replay answers with `secret: null`.
    const req = header ? { programId: "_deployment", scope: "POST /v1/programs", key: header, hash: requestHash(body) } : null;
    const res = await runIdempotent(
      deps.ctx.db,
      req,
      async (tx) => {
        const r = await createProgram(deps.ctx, body, tx);
        if (!r.ok) return errorBody(r.error);
        return { status: 201, body: { program: programView(r.value.program, true), secretKey: r.value.secretKey, publishableKey: r.value.publishableKey } };
      },
      (b) => {
        const x = b as { secretKey?: object; publishableKey?: object };
        return x.secretKey ? { ...x, secretKey: { ...x.secretKey, secret: null }, publishableKey: { ...x.publishableKey, secret: null } } : b;
      },
    );
    return c.body(res.body, res.status as 201, { "content-type": "application/json", ...(res.replayed ? { "idempotent-replayed": "true" } : {}) }) as never;
  });
}
