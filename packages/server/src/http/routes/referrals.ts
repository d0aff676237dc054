import { createRoute, z } from "@hono/zod-openapi";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { ReferralSettings as CoreReferralSettings } from "@patron/core";
import type { App, HttpDeps } from "../env.ts";
import { Attribution, AttributionBody, Referrer, ReferralFunnel, ReferralSettings, ReferralSettingsBody } from "../referral-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { externalIdParam } from "./customers.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { setReferralSettings } from "../../app/referrals/referral-settings.ts";
import { attributeReferral } from "../../app/referrals/attribute-referral.ts";
import { reviewReferral } from "../../app/referrals/review-referral.ts";
import { referralFunnel, referrerView } from "../../app/referrals/referral-stats.ts";
import { recordClick } from "../../app/referrals/record-click.ts";
import { listReferrals, REFERRAL_STATUSES } from "../../app/referrals/list-referrals.ts";
import { limit, page } from "../schemas.ts";
import { unstorableText } from "../request-text.ts";
import { findProgram } from "../../app/programs/program-repo.ts";
import { rateLimit } from "../middleware.ts";

const tags = ["Referrals"];
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const getSettings = createRoute({ method: "get", path: "/v1/referrals", tags, summary: "The referral programme", security, responses: { 200: ok(z.object({ settings: ReferralSettings.nullable(), landingUrl: z.string().nullable() }), "Settings"), ...errorResponses(401, 403) } });
const putSettings = createRoute({
  method: "put", path: "/v1/referrals", tags, summary: "Set the referral programme",
  description: "Friend reward (a personal code of a bulk_codes campaign and/or points), referrer reward with its trigger, hold and ladder, commission, caps, review of suspicious referrals, and the page referral links land on.",
  security, request: { headers: idempotencyHeader, body: json(ReferralSettingsBody) },
  responses: { 200: ok(z.object({ settings: ReferralSettings.nullable(), landingUrl: z.string().nullable() }), "Settings"), ...errorResponses(400, 401, 403, 409, 422) },
});
const referrer = createRoute({ method: "get", path: "/v1/customers/{externalId}/referral", tags, summary: "A customer's referral code, link and stats", description: "The code is made on first ask and never changes.", security, request: { params: externalIdParam }, responses: { 200: ok(Referrer, "The referrer"), ...errorResponses(401, 403, 404, 409) } });
const attribute = createRoute({
  method: "post", path: "/v1/referrals", tags, summary: "Attribute a friend to a referrer (at signup or checkout)",
  description: "By the click id the link carried (first touch, within the attribution window) or a typed code. Self-referrals are recorded as `blocked` (or `held` for review) with their flags and earn nothing. Send an Idempotency-Key.",
  security, request: { headers: idempotencyHeader, body: json(AttributionBody) },
  responses: { 201: ok(Attribution, "The referral"), ...errorResponses(400, 401, 403, 409, 422) },
});
const review = (decision: "approve" | "reject") =>
  createRoute({
    method: "post", path: `/v1/referrals/{referralId}/${decision}`, tags, summary: decision === "approve" ? "Approve a held referral" : "Reject a held referral", security,
    request: { params: z.object({ referralId: z.string().min(1).max(64) }), headers: idempotencyHeader, body: json(z.strictObject({ reason: z.string().min(1).max(500) })) },
    responses: { 200: ok(z.object({ referralId: z.string(), status: z.string() }), "The referral"), ...errorResponses(400, 401, 403, 404, 409) },
  });
const ReferralEntry = z
  .object({
    id: z.string(), referrerId: z.string(), friendId: z.string(), code: z.string(), status: z.enum(REFERRAL_STATUSES),
    flags: z.array(z.string()).openapi({ description: "Why it was blocked or held." }), friendCode: z.string().nullable(),
    attributedAt: z.string(), convertedAt: z.string().nullable(), reviewedAt: z.string().nullable(),
  })
  .openapi("ReferralEntry");
const entries = createRoute({
  method: "get", path: "/v1/referrals/entries", tags, summary: "The program's referrals",
  description: "Newest first. `status=held` is the review queue (approve or reject each); `status=blocked` shows what the self-referral checks stopped, with their flags; `referrerId` gives one referrer's.",
  security,
  request: { query: z.object({ limit, cursor: z.string().max(200).optional(), status: z.enum(REFERRAL_STATUSES).optional(), referrerId: z.string().min(1).max(255).optional() }) },
  responses: { 200: ok(page(ReferralEntry, "ReferralPage"), "A page of referrals"), ...errorResponses(400, 401, 403) },
});
const funnel = createRoute({ method: "get", path: "/v1/referrals/funnel", tags, summary: "The program's referral funnel", security, responses: { 200: ok(ReferralFunnel, "Clicks, signups, conversions, rewards"), ...errorResponses(401, 403, 409) } });

/** The visitor's address: the first X-Forwarded-For hop behind a proxy, else the socket's peer. */
/**
 * The visitor's address: the socket's, or behind a reverse proxy (PATRON_TRUST_PROXY) the first of
 * X-Forwarded-For, which a client could otherwise write itself (and so dodge the click limit).
 */
function clientIp(c: Context, trustProxy: boolean): string | null {
  const forwarded = trustProxy ? c.req.header("x-forwarded-for")?.split(",")[0]?.trim() : undefined;
  if (forwarded) return forwarded;
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // in-process requests (tests) have no socket
  }
}

export function registerReferrals(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(getSettings, (c) => {
    const p = c.get("principal").program;
    return c.json({ settings: p.referrals, landingUrl: p.referralLandingUrl }, 200) as never;
  });
  app.openapi(putSettings, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    const res = await mutate(c, deps, body, async (tx) => resultBody(await setReferralSettings(ctx, tx, p.program.id, { settings: body.settings as CoreReferralSettings | null, landingUrl: body.landingUrl }, p.keyId)));
    deps.auth.forget();
    return res as never;
  });
  app.openapi(entries, async (c) => {
    const r = await listReferrals(ctx.db, c.get("principal").program.id, c.req.valid("query"));
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });
  app.openapi(referrer, async (c) => {
    const r = await referrerView(ctx, ctx.db, c.get("principal").program, c.req.valid("param").externalId);
    return r.ok ? c.json({ ...r.value, link: deps.publicUrl ? `${deps.publicUrl}${r.value.linkPath}` : null } as never, 200) : problem(c, r.error);
  });
  app.openapi(attribute, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => resultBody(await attributeReferral(ctx, tx, p.program, body), 201)) as never;
  });
  for (const decision of ["approve", "reject"] as const) {
    app.openapi(review(decision), async (c) => {
      const p = c.get("principal");
      const { referralId } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      return mutate(c, deps, { referralId, reason }, async (tx) => resultBody(await reviewReferral(ctx, tx, p.program, referralId, decision, reason, p.keyId))) as never;
    });
  }
  app.openapi(funnel, async (c) => {
    const r = await referralFunnel(ctx, ctx.db, c.get("principal").program);
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });
  // The shareable link: public (a friend has no key), outside /v1. Records the visit and redirects.
  // Limited per visitor address, since every visit with a known code writes a row.
  const trustProxy = deps.trustProxy === true;
  const visits = rateLimit(deps.clickRateLimit ?? 0, () => ctx.clock.now().getTime(), { keyOf: (c) => clientIp(c, trustProxy), what: "from this address" });
  app.get("/r/:programId/:code", visits, async (c) => {
    // No schema validates this route's parameters: a NUL in them reached the database (a 500).
    if (unstorableText(c.req.param())) return c.text("Not found", 404);
    const program = await findProgram(ctx.db, c.req.param("programId"));
    if (!program) return c.text("Not found", 404);
    const r = await recordClick(ctx, ctx.db, program, c.req.param("code"), { ip: clientIp(c, trustProxy), device: c.req.header("x-device-id") ?? c.req.header("user-agent") ?? null });
    if (!r) return c.text("This program has no referral page.", 404);
    return c.redirect(r.location, 302);
  });
}
