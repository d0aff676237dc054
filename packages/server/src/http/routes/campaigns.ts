import { createRoute, z } from "@hono/zod-openapi";
import { CAMPAIGN_KINDS, type CampaignDefinition } from "@patron/core";
import type { App, HttpDeps } from "../env.ts";
import { Campaign, CampaignCode, CampaignCreate, CampaignPatch, CodeGeneration, CodeGenerationResult, CodeImport, CodeImportResult } from "../campaign-schemas.ts";
import { limit, page } from "../schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { CAMPAIGN_STATUSES, type CampaignStatus } from "../../app/promotions/campaign.ts";
import { createCampaign, getCampaign, listCampaigns, setCampaignStatus, updateCampaign } from "../../app/promotions/manage-campaigns.ts";
import { customerDiscounts } from "../../app/promotions/customer-discounts.ts";
import { externalIdParam } from "./customers.ts";
import { generateCampaignCodes, importCampaignCodes, listCampaignCodes, streamCampaignCodes } from "../../app/promotions/campaign-codes.ts";
import { codesFromCsv } from "../../app/csv-codes.ts";

const tags = ["Campaigns"];
const campaignId = z.object({ campaignId: z.string().min(1).max(64) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const list = createRoute({
  method: "get",
  path: "/v1/campaigns",
  tags,
  summary: "The program's promotion campaigns",
  security,
  request: { query: z.object({ status: z.enum(CAMPAIGN_STATUSES).optional(), kind: z.enum(CAMPAIGN_KINDS).optional() }) },
  responses: { 200: ok(z.object({ data: z.array(Campaign) }), "Campaigns, oldest first"), ...errorResponses(400, 401, 403) },
});
const create = createRoute({
  method: "post",
  path: "/v1/campaigns",
  tags,
  summary: "Create a campaign",
  description:
    "The audience and the cart condition are type-checked before anything is saved: a syntax error, an unknown variable or a wrong type is CAMPAIGN_INVALID with the position. A reusable code is unique in the program, across campaigns and bulk codes (CODE_TAKEN). Changes reach every server within a second.",
  security,
  request: { headers: idempotencyHeader, body: json(CampaignCreate) },
  responses: { 201: ok(Campaign, "The campaign, version 1"), ...errorResponses(400, 401, 403, 409, 422) },
});
const get = createRoute({
  method: "get",
  path: "/v1/campaigns/{campaignId}",
  tags,
  summary: "One campaign, with what it has used",
  security,
  request: { params: campaignId },
  responses: { 200: ok(Campaign, "The campaign"), ...errorResponses(401, 403, 404) },
});
const patch = createRoute({
  method: "patch",
  path: "/v1/campaigns/{campaignId}",
  tags,
  summary: "Change a campaign (saved as the next version)",
  description: "Redemptions keep naming the version they were made under; the audit log keeps the definition each change replaced.",
  security,
  request: { params: campaignId, headers: idempotencyHeader, body: json(CampaignPatch) },
  responses: { 200: ok(Campaign, "The campaign at its new version"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const statusRoute = (action: "enable" | "disable" | "archive") =>
  createRoute({
    method: "post",
    path: `/v1/campaigns/{campaignId}/${action}`,
    tags,
    summary: action === "archive" ? "Archive a campaign (final; its reusable code becomes free)" : `${action[0]!.toUpperCase()}${action.slice(1)} a campaign`,
    security,
    request: { params: campaignId, headers: idempotencyHeader },
    responses: { 200: ok(Campaign, "The campaign"), ...errorResponses(401, 403, 404, 409) },
  });
const generate = createRoute({
  method: "post",
  path: "/v1/campaigns/{campaignId}/codes/generate",
  tags,
  summary: "Generate unique codes for a bulk_codes campaign",
  description: "Up to 100,000 at once, from a pattern. Each is new in the program: a code that collides with any other is drawn again. Read them with GET …/codes or …/codes.csv.",
  security,
  request: { params: campaignId, headers: idempotencyHeader, body: json(CodeGeneration) },
  responses: { 201: ok(CodeGenerationResult, "How many were made, and the campaign's codes now"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const importCodes = createRoute({
  method: "post",
  path: "/v1/campaigns/{campaignId}/codes",
  tags,
  summary: "Import your own codes into a bulk_codes campaign",
  description:
    "`csv` (the first column; a header `code` is skipped) or `codes`. Codes are normalised (upper case, no spaces or hyphens). All or nothing: a code another campaign holds is CODE_TAKEN and nothing is added; codes repeated in the upload or already in this campaign are skipped and reported.",
  security,
  request: { params: campaignId, headers: idempotencyHeader, body: json(CodeImport) },
  responses: { 200: ok(CodeImportResult, "What was added and skipped"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const listCodes = createRoute({
  method: "get",
  path: "/v1/campaigns/{campaignId}/codes",
  tags,
  summary: "A bulk_codes campaign's codes, a page at a time",
  description: "In code order, `limit` at a time; pass `nextCursor` back as `cursor` for the next page.",
  security,
  request: { params: campaignId, query: z.object({ limit, cursor: z.string().max(200).optional() }) },
  responses: { 200: ok(page(CampaignCode, "CampaignCodePage"), "Codes"), ...errorResponses(400, 401, 403, 404, 422) },
});
const exportCodes = createRoute({
  method: "get",
  path: "/v1/campaigns/{campaignId}/codes.csv",
  tags,
  summary: "Every code of a bulk_codes campaign as CSV",
  description: "Columns `code,used,max_uses,expires_at,customer` (your id of the customer a personal code belongs to).",
  security,
  request: { params: campaignId },
  responses: { 200: { description: "The codes", content: { "text/csv": { schema: z.string() } } }, ...errorResponses(401, 403, 404, 422) },
});

const CustomerDiscount = z
  .object({
    campaignId: z.string().openapi({ description: "The campaign, or `tier:{key}` for the tier's standing discount." }),
    name: z.string(),
    kind: z.enum(["progressive_percent", "spend_ladder", "tier"]),
    code: z.string().nullable().openapi({ description: "The code to type, for code campaigns; null when it applies by itself." }),
    percent: z.number().openapi({ description: "The rate a cart gets now (before other campaigns, the margin guard and caps)." }),
    progress: z.number().int().nullable().openapi({ description: "Visits or spend counted this period (lifetime spend for a ladder)." }),
    next: z.object({ percent: z.number(), remaining: z.number().int() }).nullable().openapi({ description: "The next rate and the visits or spend still needed; null at the top." }),
    resetsAt: z.string().nullable().openapi({ description: "When the count starts again; null: never." }),
  })
  .openapi("CustomerDiscount");
const discounts = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/discounts",
  tags,
  summary: "The discounts that grow with this customer's activity, at their current rate",
  description: "Progressive percentages (\"5% + 1% per lunch this month, up to 15%\"), spend ladders and the tier's standing discount, as the customer's next cart would get them.",
  security,
  request: { params: externalIdParam },
  responses: { 200: ok(z.object({ data: z.array(CustomerDiscount) }), "Discounts"), ...errorResponses(401, 403, 404) },
});

const STATUS: Record<"enable" | "disable" | "archive", CampaignStatus> = { enable: "enabled", disable: "disabled", archive: "archived" };

export function registerCampaigns(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(list, async (c) => c.json({ data: await listCampaigns(ctx.db, c.get("principal").program.id, c.req.valid("query")) }, 200));
  app.openapi(discounts, async (c) => {
    const r = await customerDiscounts(ctx, ctx.db, c.get("principal").program, c.req.valid("param").externalId);
    return r.ok ? c.json({ data: r.value }, 200) : problem(c, r.error);
  });

  app.openapi(create, async (c) => {
    const { status, ...def } = c.req.valid("json");
    const p = c.get("principal");
    return mutate(c, deps, { status, def }, async (tx) => resultBody(await createCampaign(ctx, tx, p.program, def as CampaignDefinition, status, p.keyId), 201)) as never;
  });

  app.openapi(get, async (c) => {
    const { campaignId: id } = c.req.valid("param");
    const r = await getCampaign(ctx.db, c.get("principal").program.id, id);
    return r ? c.json(r, 200) : problem(c, { code: "CAMPAIGN_NOT_FOUND", message: `No campaign "${id}" in this program.`, details: { id } });
  });

  app.openapi(patch, async (c) => {
    const p = c.get("principal");
    const { campaignId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => resultBody(await updateCampaign(ctx, tx, p.program, id, body as Partial<CampaignDefinition>, p.keyId))) as never;
  });

  for (const action of ["enable", "disable", "archive"] as const) {
    app.openapi(statusRoute(action), async (c) => {
      const p = c.get("principal");
      const { campaignId: id } = c.req.valid("param");
      return mutate(c, deps, { id, action }, async (tx) => resultBody(await setCampaignStatus(ctx, tx, p.program, id, STATUS[action], p.keyId))) as never;
    });
  }

  app.openapi(generate, async (c) => {
    const p = c.get("principal");
    const { campaignId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => resultBody(await generateCampaignCodes(ctx, tx, p.program, id, body, p.keyId), 201)) as never;
  });

  app.openapi(importCodes, async (c) => {
    const p = c.get("principal");
    const { campaignId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    const lines = body.csv !== undefined ? codesFromCsv(body.csv) : body.codes!.map((typed, i) => ({ line: i + 1, typed }));
    return mutate(c, deps, { id, body }, async (tx) => resultBody(await importCampaignCodes(ctx, tx, p.program, id, { lines, maxUses: body.maxUses, expiresAt: body.expiresAt }, p.keyId))) as never;
  });

  app.openapi(listCodes, async (c) => {
    const r = await listCampaignCodes(ctx.db, c.get("principal").program.id, c.req.valid("param").campaignId, c.req.valid("query"));
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });

  app.openapi(exportCodes, async (c) => {
    const { campaignId: id } = c.req.valid("param");
    // Streamed as it is read (campaign-codes.ts): a million codes cost the server a page of them.
    const r = await streamCampaignCodes(ctx.db, c.get("principal").program.id, id, ctx.log);
    if (!r.ok) return problem(c, r.error);
    return c.body(r.value, 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${id}-codes.csv"` }) as never;
  });
}
