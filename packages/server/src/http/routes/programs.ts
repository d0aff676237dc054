import { createRoute, z } from "@hono/zod-openapi";
import { timingSafeEqual } from "node:crypto";
import type { App, HttpDeps } from "../env.ts";
import { Program, ProgramCreate, ProgramPatch, Key } from "../schemas.ts";
import { errorResponses, idempotencyHeader, ok, programView, security } from "./common.ts";
import { problem } from "../problem.ts";
import { createProgram } from "../../app/programs/create-program.ts";
import { updateProgram } from "../../app/programs/update-program.ts";
import { mutate } from "../mutate.ts";
import { errorBody } from "./customers.ts";

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
  request: { body: { content: { "application/json": { schema: ProgramCreate } }, required: true } },
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

  app.openapi(createProgramRoute, async (c) => {
    if (!adminOk(c.req.header("authorization"), deps.adminToken)) {
      return problem(c, { code: "UNAUTHENTICATED", message: "Creating a program needs the deployment's admin token (PATRON_ADMIN_TOKEN), or use `patron programs create`." });
    }
    const r = await createProgram(deps.ctx, c.req.valid("json"));
    if (!r.ok) return problem(c, r.error);
    return c.json({ program: programView(r.value.program, true), secretKey: r.value.secretKey, publishableKey: r.value.publishableKey }, 201);
  });
}
