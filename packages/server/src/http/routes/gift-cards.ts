import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { limit } from "../schemas.ts";
import { GiftCard, GiftCardIssue, GiftCardStatusChange, GiftCardWithHistory } from "../wallet-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { getGiftCard } from "../../app/gift-cards/gift-card.ts";
import { issueGiftCard, setGiftCardStatus } from "../../app/gift-cards/issue-gift-card.ts";

const tags = ["Gift cards"];
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
const codeParam = z.object({ code: z.string().min(1).max(100).openapi({ description: "The card's code, in any case, with or without hyphens." }) });

const issue = createRoute({
  method: "post",
  path: "/v1/gift-cards",
  tags,
  summary: "Issue a gift card (sold or given)",
  description: "Credits the card's balance from `world` in a ledger transaction, in one lot that expires with the card. Without `code`, a 12-character code is drawn. Send an Idempotency-Key: a retry then gets the same card.",
  security,
  request: { headers: idempotencyHeader, body: json(GiftCardIssue) },
  responses: { 201: ok(GiftCard, "The card"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const get = createRoute({
  method: "get",
  path: "/v1/gift-cards/{code}",
  tags,
  summary: "A gift card: balance, status, expiry and history",
  description: "The history is the card's ledger transactions, newest first (page with `cursor`).",
  security,
  request: { params: codeParam, query: z.object({ limit, cursor: z.string().max(200).optional() }) },
  responses: { 200: ok(GiftCardWithHistory, "The card"), ...errorResponses(400, 401, 403, 404) },
});
const status = (action: "disable" | "enable", summary: string) =>
  createRoute({
    method: "post",
    path: `/v1/gift-cards/{code}/${action}`,
    tags,
    summary,
    security,
    request: { params: codeParam, headers: idempotencyHeader, body: json(GiftCardStatusChange) },
    responses: { 200: ok(GiftCard, "The card"), ...errorResponses(400, 401, 403, 404, 409) },
  });
const disable = status("disable", "Disable a gift card: it can no longer pay (its balance stays on it)");
const enable = status("enable", "Enable a disabled gift card again");

export function registerGiftCards(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(issue, async (c) => {
    const pr = c.get("principal");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) =>
      resultBody(
        await issueGiftCard(ctx, tx, pr.program, { amount: body.amount, code: body.code, currency: body.currency, expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined, customerId: body.customerId, actor: body.actor ?? pr.keyId }),
        201,
      ),
    ) as never;
  });
  app.openapi(get, async (c) => {
    const p = c.get("principal").program;
    const q = c.req.valid("query");
    const r = await getGiftCard(ctx.db, p.id, c.req.valid("param").code, ctx.clock.now(), { limit: q.limit, cursor: q.cursor });
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });
  for (const [route, to] of [[disable, "disabled"], [enable, "active"]] as const) {
    app.openapi(route, async (c) => {
      const pr = c.get("principal");
      const body = c.req.valid("json");
      return mutate(c, deps, body, async (tx) => resultBody(await setGiftCardStatus(ctx, tx, pr.program, c.req.valid("param").code, to, { reason: body.reason, actor: body.actor ?? pr.keyId }))) as never;
    });
  }
}
