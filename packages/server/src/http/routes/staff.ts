import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { StaffConfirmation, StaffConfirmationResult, StaffCreate, StaffMember } from "../stamp-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { createStaff, disableStaff, issueStaffKey, listStaff } from "../../app/staff/manage-staff.ts";
import { confirmStaffAction, type StaffAction } from "../../app/staff/confirm-staff-action.ts";

const tags = ["Staff"];
const staffId = z.object({ staffId: z.string().min(1).max(64) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const list = createRoute({
  method: "get",
  path: "/v1/staff",
  tags,
  summary: "The program's staff",
  security,
  request: { query: z.object({ status: z.enum(["active", "disabled"]).optional() }) },
  responses: { 200: ok(z.object({ data: z.array(StaffMember) }), "Staff, oldest first (never their PINs)"), ...errorResponses(400, 401, 403) },
});
const create = createRoute({
  method: "post",
  path: "/v1/staff",
  tags,
  summary: "Add a staff member who confirms stamps and actions in the shop",
  description:
    "The PIN (4 to 8 digits) is unique among the program's active staff (STAFF_PIN_TAKEN), stored as a salted scrypt hash and never returned. With an Idempotency-Key, the name and store are what a retry is compared on; the PIN is neither compared nor stored.",
  security,
  request: { headers: idempotencyHeader, body: json(StaffCreate) },
  responses: { 201: ok(StaffMember, "The staff member"), ...errorResponses(400, 401, 403, 409) },
});
const disable = createRoute({
  method: "post",
  path: "/v1/staff/{staffId}/disable",
  tags,
  summary: "Disable a staff member: their PIN confirms nothing from now on",
  security,
  request: { params: staffId, headers: idempotencyHeader },
  responses: { 200: ok(StaffMember, "The staff member"), ...errorResponses(401, 403, 404, 409) },
});
const issueKey = createRoute({
  method: "post",
  path: "/v1/staff/{staffId}/key",
  tags,
  summary: "Issue a staff member a badge key, to confirm by scanning instead of typing the PIN",
  description:
    "The response carries the whole key (`stk_…`) in `key`, this once; only a hash is stored. A new key replaces the old one, which stops working at once. A replay under the same Idempotency-Key returns `key: null`.",
  security,
  request: { params: staffId, headers: idempotencyHeader },
  responses: { 201: ok(z.object({ staff: StaffMember, key: z.string().nullable() }).openapi("StaffKey"), "The staff member and their new key"), ...errorResponses(401, 403, 404, 409) },
});
const confirm = createRoute({
  method: "post",
  path: "/v1/staff/confirmations",
  tags: [...tags, "Stamp cards"],
  summary: "Confirm a stamp or a custom action in the shop with a staff PIN or badge key",
  description:
    "`stamp`: `count` stamps (default 1) on a stamp card, capped by its maxPerOrder and limits, completing cards exactly as orders do. `custom`: a `custom` event named `name` is recorded with `data.confirmedBy` = the staff id, and the earning rules that listen to it apply (\"brought own cup\"). A PIN that matches no active staff member (or not the one `staffId` names) is STAFF_PIN_INVALID, nothing more said; a badge key (`key`, instead of `pin`) that no active staff member holds is STAFF_KEY_INVALID. `id` is the idempotency key, forever: the same id and action answer the first result with `Idempotent-Replayed: true`; a refused confirmation leaves nothing behind.",
  security,
  request: { body: json(StaffConfirmation) },
  responses: { 200: ok(StaffConfirmationResult, "What was confirmed and what it gave"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});

export function registerStaff(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(list, async (c) => c.json({ data: await listStaff(ctx.db, c.get("principal").program.id, c.req.valid("query").status) }, 200));
  app.openapi(create, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    // The PIN stays out of the idempotency hash: a hash of 4 to 8 digits is no secret.
    return mutate(c, deps, { name: body.name, store: body.store ?? null }, async (tx) => resultBody(await createStaff(ctx, tx, p.program, body, p.keyId), 201)) as never;
  });
  app.openapi(disable, async (c) => {
    const p = c.get("principal");
    const { staffId: id } = c.req.valid("param");
    return mutate(c, deps, { id }, async (tx) => resultBody(await disableStaff(ctx, tx, p.program, id, p.keyId))) as never;
  });
  app.openapi(issueKey, async (c) => {
    const p = c.get("principal");
    const { staffId: id } = c.req.valid("param");
    return mutate(c, deps, { id }, async (tx) => resultBody(await issueStaffKey(ctx, tx, p.program, id, p.keyId), 201), (b) => ({ ...(b as object), key: null })) as never;
  });
  app.openapi(confirm, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    const r = await confirmStaffAction(ctx, p.program, { ...body, action: body.action as StaffAction }, p.keyId);
    if (!r.ok) return problem(c, r.error);
    return c.json(r.value as never, 200, r.replayed ? { "idempotent-replayed": "true" } : {});
  });
}
