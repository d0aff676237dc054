import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { CustomerTier, SetTier, TierChange, TierImport, TierScheme, TierSet } from "../tier-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { externalIdParam } from "./customers.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { setTierScheme } from "../../app/tiers/manage-tiers.ts";
import { importTiers, setTier } from "../../app/tiers/set-tier.ts";
import { listTierChanges, readCustomerTier } from "../../app/tiers/read-tier.ts";
import { reviewTiers } from "../../app/tiers/review-tiers.ts";
import { getCustomer } from "../../app/customers/find-customer.ts";
import type { TierScheme as CoreTierScheme } from "@patron/core";
import { queryInt } from "../schemas.ts";

const tags = ["Tiers"];
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const getScheme = createRoute({ method: "get", path: "/v1/tiers", tags, summary: "The program's tiers (null: none)", description: "Readable with a publishable key: the program page shows the levels.", security, responses: { 200: ok(z.object({ tiers: TierScheme.nullable() }), "The scheme"), ...errorResponses(401) } });
const putScheme = createRoute({
  method: "put",
  path: "/v1/tiers",
  tags,
  summary: "Set the program's tiers",
  description: "Replaces the scheme. A level customers hold cannot be removed or renamed (TIERS_INVALID lists them): move them first. Changing thresholds moves nobody at once: upgrades follow activity, downgrades follow reviews. `{\"tiers\": null}` turns tiers off.",
  security,
  request: { headers: idempotencyHeader, body: json(z.strictObject({ tiers: TierScheme.nullable() })) },
  responses: { 200: ok(z.object({ tiers: TierScheme.nullable() }), "The scheme"), ...errorResponses(400, 401, 403, 409, 422) },
});
const customerTier = createRoute({ method: "get", path: "/v1/customers/{externalId}/tier", tags, summary: "A customer's tier, progress and history", security, request: { params: externalIdParam }, responses: { 200: ok(CustomerTier, "The tier"), ...errorResponses(401, 403, 404, 409) } });
const putCustomerTier = createRoute({
  method: "put",
  path: "/v1/customers/{externalId}/tier",
  tags,
  summary: "Set a customer's tier by hand, with a reason",
  description: "Recorded in the tier history and the audit log. The tier holds until the end of the current period (or `reviewAt`), then is reviewed like any other. A level the customer never reached before gives its entry points and entry reward (unless `gift: false`).",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: json(SetTier) },
  responses: { 200: ok(TierSet, "The change, with the entry gifts of a level reached for the first time"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const importRoute = createRoute({
  method: "post",
  path: "/v1/tiers/import",
  tags,
  summary: "Import customers' tiers from another system",
  description: "Up to 1,000 rows, all or none. Unknown customers are created. Imported levels give no entry points and count as reached.",
  security,
  request: { headers: idempotencyHeader, body: json(TierImport) },
  responses: { 200: ok(z.object({ imported: z.number().int() }), "How many rows were imported"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const changes = createRoute({
  method: "get",
  path: "/v1/tier-changes",
  tags,
  summary: "Tier changes in the order they happened (the tier-change event feed)",
  description: "Upgrades, downgrades, renewals, manual and imported changes, oldest first; poll with `cursor` to react to them.",
  security,
  request: { query: z.object({ customerId: z.string().min(1).max(255).optional(), cursor: z.string().max(200).optional(), limit: queryInt(1, 500, 100) }) },
  responses: { 200: ok(z.object({ data: z.array(TierChange), nextCursor: z.string().nullable() }), "Changes"), ...errorResponses(400, 401, 403, 404) },
});
const runReviews = createRoute({
  method: "post",
  path: "/v1/tiers/reviews",
  tags,
  summary: "Run the tier reviews that are due now",
  description: "The server runs them on its settlement interval; this runs them at once (after a clock change in tests, or from a cron). Safe to run any time.",
  security,
  responses: { 200: ok(z.object({ reviewed: z.number().int(), downgraded: z.number().int() }), "What was reviewed"), ...errorResponses(401, 403) },
});

export function registerTiers(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(getScheme, (c) => c.json({ tiers: c.get("principal").program.tiers }, 200));
  app.openapi(putScheme, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    const res = await mutate(c, deps, body, async (tx) => {
      const r = await setTierScheme(ctx, tx, p.program.id, body.tiers as CoreTierScheme | null, p.keyId);
      return r.ok ? { status: 200, body: { tiers: r.value } } : resultBody(r);
    });
    deps.auth.forget();
    return res as never;
  });
  app.openapi(customerTier, async (c) => {
    const r = await readCustomerTier(ctx, ctx.db, c.get("principal").program, c.req.valid("param").externalId);
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });
  app.openapi(putCustomerTier, async (c) => {
    const p = c.get("principal");
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { externalId, body }, async (tx) => {
      const input = { tier: body.tier, reason: body.reason, gift: body.gift, ...(body.reviewAt !== undefined ? { reviewAt: body.reviewAt === null ? null : new Date(body.reviewAt) } : {}) };
      return resultBody(await setTier(ctx, tx, p.program, externalId, input, p.keyId));
    }) as never;
  });
  app.openapi(importRoute, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => {
      const rows = body.customers.map((r) => ({ customerId: r.customerId, tier: r.tier, ...(r.since ? { since: new Date(r.since) } : {}), ...(r.reviewAt !== undefined ? { reviewAt: r.reviewAt === null ? null : new Date(r.reviewAt) } : {}) }));
      return resultBody(await importTiers(ctx, tx, p.program, rows, p.keyId));
    }) as never;
  });
  app.openapi(changes, async (c) => {
    const p = c.get("principal");
    const q = c.req.valid("query");
    let customerId: string | undefined;
    if (q.customerId) {
      const found = await getCustomer(ctx.db, p.program.id, q.customerId);
      if (!found.ok) return problem(c, found.error);
      customerId = found.value.id;
    }
    const r = await listTierChanges(ctx.db, p.program, { customerId, cursor: q.cursor, limit: q.limit });
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });
  app.openapi(runReviews, async (c) => c.json(await reviewTiers(ctx, c.get("principal").program), 200));
}
