import { createRoute, z } from "@hono/zod-openapi";
import type { StampCardDefinition } from "@patron/core";
import type { App, HttpDeps } from "../env.ts";
import { CustomerStampCard, StampCard, StampCardCreate, StampCardPatch } from "../stamp-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { externalIdParam } from "./customers.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { STAMP_CARD_STATUSES } from "../../app/stamps/stamp-card.ts";
import { archiveStampCard, createStampCard, getStampCard, listStampCards, stampCardNotFound, updateStampCard } from "../../app/stamps/manage-stamp-cards.ts";
import { customerStampCards } from "../../app/stamps/customer-stamp-cards.ts";

const tags = ["Stamp cards"];
const cardId = z.object({ cardId: z.string().min(1).max(64) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const list = createRoute({
  method: "get",
  path: "/v1/stamp-cards",
  tags,
  summary: "The program's stamp cards",
  security,
  request: { query: z.object({ status: z.enum(STAMP_CARD_STATUSES).optional() }) },
  responses: { 200: ok(z.object({ data: z.array(StampCard) }), "Cards, oldest first"), ...errorResponses(400, 401, 403) },
});
const create = createRoute({
  method: "post",
  path: "/v1/stamp-cards",
  tags,
  summary: "Create a stamp card",
  description:
    "N stamps for qualifying purchases, then a reward; the card starts again keeping any extra stamps. The qualifying condition is type-checked before anything is saved (STAMP_CARD_INVALID with the position). Every enabled card stamps every `order.completed` of an active customer whose lines qualify; several cards run at once. See docs/stamps.md.",
  security,
  request: { headers: idempotencyHeader, body: json(StampCardCreate) },
  responses: { 201: ok(StampCard, "The card"), ...errorResponses(400, 401, 403, 409, 422) },
});
const get = createRoute({ method: "get", path: "/v1/stamp-cards/{cardId}", tags, summary: "One stamp card", security, request: { params: cardId }, responses: { 200: ok(StampCard, "The card"), ...errorResponses(401, 403, 404) } });
const patch = createRoute({
  method: "patch",
  path: "/v1/stamp-cards/{cardId}",
  tags,
  summary: "Change a stamp card, or enable or disable it",
  description: "Stamps already given stay; a new size applies from the next stamp (a card that now holds enough completes then). The audit log keeps the definition each change replaced.",
  security,
  request: { params: cardId, headers: idempotencyHeader, body: json(StampCardPatch) },
  responses: { 200: ok(StampCard, "The card"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const archive = createRoute({
  method: "post",
  path: "/v1/stamp-cards/{cardId}/archive",
  tags,
  summary: "Archive a stamp card (final)",
  description: "It gives no more stamps and leaves customers' lists. Stamps on it stay in the ledger and still expire.",
  security,
  request: { params: cardId, headers: idempotencyHeader },
  responses: { 200: ok(StampCard, "The card"), ...errorResponses(401, 403, 404, 409) },
});
const customerCards = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/stamp-cards",
  tags,
  summary: "A customer's stamp cards",
  description: "Every card that is not archived: the stamps on it now, how many are still needed, completions so far, the stamps that expire first, and the last completion.",
  security,
  request: { params: externalIdParam },
  responses: { 200: ok(z.object({ data: z.array(CustomerStampCard) }), "Cards, oldest first"), ...errorResponses(401, 403, 404) },
});

export function registerStampCards(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(list, async (c) => c.json({ data: await listStampCards(ctx.db, c.get("principal").program.id, c.req.valid("query")) }, 200));
  app.openapi(create, async (c) => {
    const { status, ...input } = c.req.valid("json");
    const p = c.get("principal");
    return mutate(c, deps, { status, input }, async (tx) => resultBody(await createStampCard(ctx, tx, p.program, input as StampCardDefinition, status, p.keyId), 201)) as never;
  });
  app.openapi(get, async (c) => {
    const { cardId: id } = c.req.valid("param");
    const r = await getStampCard(ctx.db, c.get("principal").program.id, id);
    return r ? c.json(r, 200) : problem(c, stampCardNotFound(id));
  });
  app.openapi(patch, async (c) => {
    const p = c.get("principal");
    const { cardId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => resultBody(await updateStampCard(ctx, tx, p.program, id, body as Partial<StampCardDefinition> & { status?: "enabled" | "disabled" }, p.keyId))) as never;
  });
  app.openapi(archive, async (c) => {
    const p = c.get("principal");
    const { cardId: id } = c.req.valid("param");
    return mutate(c, deps, { id }, async (tx) => resultBody(await archiveStampCard(ctx, tx, p.program, id, p.keyId))) as never;
  });
  app.openapi(customerCards, async (c) => {
    const r = await customerStampCards(ctx.db, c.get("principal").program.id, c.req.valid("param").externalId, ctx.clock.now());
    return r.ok ? c.json({ data: r.value }, 200) : problem(c, r.error);
  });
}
