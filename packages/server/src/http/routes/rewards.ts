import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { CodeValidation, Redemption, Reward, RewardCreate, RewardPatch } from "../reward-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { externalIdParam } from "./customers.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { rateLimit } from "../middleware.ts";
import { addPoolCodes, createReward, getReward, listRewards, updateReward, type RewardInput } from "../../app/rewards/manage-rewards.ts";
import { redeemReward } from "../../app/rewards/redeem-reward.ts";
import { codesFromCsv } from "../../app/csv-codes.ts";
import { cancelRedemption, setFulfilment } from "../../app/rewards/cancel-redemption.ts";
import { getRedemption, listRedemptions } from "../../app/rewards/list-redemptions.ts";
import { validateCode } from "../../app/rewards/validate-code.ts";
import { payWithPoints } from "../../app/rewards/pay-with-points.ts";

const tags = ["Rewards"];
const rewardId = z.object({ rewardId: z.string().min(1).max(64) });
const redemptionId = z.object({ redemptionId: z.string().min(1).max(64) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const list = createRoute({ method: "get", path: "/v1/rewards", tags, summary: "The reward catalogue", security, request: { query: z.object({ status: z.enum(["enabled", "disabled", "archived"]).optional() }) }, responses: { 200: ok(z.object({ data: z.array(Reward) }), "Rewards, cheapest first"), ...errorResponses(400, 401, 403) } });
const create = createRoute({ method: "post", path: "/v1/rewards", tags, summary: "Add a reward to the catalogue", security, request: { headers: idempotencyHeader, body: json(RewardCreate) }, responses: { 201: ok(Reward, "The reward"), ...errorResponses(400, 401, 403, 409, 422) } });
const get = createRoute({ method: "get", path: "/v1/rewards/{rewardId}", tags, summary: "One reward", security, request: { params: rewardId }, responses: { 200: ok(Reward, "The reward"), ...errorResponses(401, 403, 404) } });
const patch = createRoute({ method: "patch", path: "/v1/rewards/{rewardId}", tags, summary: "Change a reward (issued redemptions keep it as it was)", security, request: { params: rewardId, headers: idempotencyHeader, body: json(RewardPatch) }, responses: { 200: ok(Reward, "The reward"), ...errorResponses(400, 401, 403, 404, 409, 422) } });
const codes = createRoute({
  method: "post",
  path: "/v1/rewards/{rewardId}/codes",
  tags,
  summary: "Upload partner codes to a partner_coupon reward's pool",
  description: "`csv`: one code per line, or the first column (a header `code` is skipped; `,`, `;` or tab ends it unless the field is quoted), up to 1 MB; or `codes`: a list, taken as it is. Codes already in the pool are skipped.",
  security,
  request: { params: rewardId, headers: idempotencyHeader, body: json(z.strictObject({ csv: z.string().min(1).max(1_000_000).optional(), codes: z.array(z.string().min(1).max(100)).min(1).max(50_000).optional() }).refine((b) => (b.csv === undefined) !== (b.codes === undefined), "give csv or codes")) },
  responses: { 200: ok(z.object({ added: z.number().int(), duplicates: z.number().int(), available: z.number().int() }), "What the pool holds now"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const redeem = createRoute({
  method: "post",
  path: "/v1/customers/{externalId}/redemptions",
  tags,
  summary: "Redeem a reward with the customer's points",
  description: "One transaction: the points are debited (available lots, soonest-expiring first) and the reward is issued with its code, partner code or fulfilment status. Send an Idempotency-Key: a retried request then gets the same redemption, never a second one.",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: json(z.strictObject({ rewardId: z.string().min(1).max(64) })) },
  responses: { 201: ok(Redemption, "The redemption"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const pay = createRoute({
  method: "post",
  path: "/v1/customers/{externalId}/pay-with-points",
  tags,
  summary: "Spend points as money off an order",
  description: "At the program's `payWithPoints` rate, within its minimum, maximum and step. The points are debited and a one-off code for the money is issued; send it in the order's `data.codes`. `orderTotal`, when given, caps the discount at the order.",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: json(z.strictObject({ points: z.number().int().min(1).max(1_000_000_000_000), orderTotal: z.number().int().min(0).max(1_000_000_000_000).optional() })) },
  responses: { 201: ok(Redemption, "The redemption, with its code and `reward.config.amount`"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const customerRedemptions = createRoute({ method: "get", path: "/v1/customers/{externalId}/redemptions", tags, summary: "A customer's redemptions, newest first", security, request: { params: externalIdParam }, responses: { 200: ok(z.object({ data: z.array(Redemption) }), "Redemptions"), ...errorResponses(401, 403, 404) } });
const one = createRoute({ method: "get", path: "/v1/redemptions/{redemptionId}", tags, summary: "One redemption", security, request: { params: redemptionId }, responses: { 200: ok(Redemption, "The redemption"), ...errorResponses(401, 403, 404) } });
const cancel = createRoute({
  method: "post",
  path: "/v1/redemptions/{redemptionId}/cancel",
  tags,
  summary: "Cancel an issued redemption and give its points back, once",
  security,
  request: { params: redemptionId, headers: idempotencyHeader, body: json(z.strictObject({ reason: z.string().min(1).max(500), actor: z.string().min(1).max(200).optional() })) },
  responses: { 200: ok(Redemption, "The cancelled redemption"), ...errorResponses(400, 401, 403, 404, 409) },
});
const fulfil = createRoute({
  method: "post",
  path: "/v1/redemptions/{redemptionId}/fulfilment",
  tags,
  summary: "Move a physical gift to shipped or delivered",
  security,
  request: { params: redemptionId, headers: idempotencyHeader, body: json(z.strictObject({ status: z.enum(["shipped", "delivered"]) })) },
  responses: { 200: ok(Redemption, "The redemption"), ...errorResponses(400, 401, 403, 404, 409) },
});
const validate = createRoute({
  method: "post",
  path: "/v1/codes/validate",
  tags,
  summary: "Check a reward code against a cart (without using it)",
  description:
    "Answers the discount the code gives on this cart, or why not. Every code that cannot be used (unknown, used, expired, cancelled, another customer's) gets the same answer, `CODE_NOT_VALID`, and the endpoint has its own, stricter rate limit (`PATRON_VALIDATE_RATE_LIMIT` per key per second). The code is used when an `order.completed` event carries it in `data.codes`.",
  security,
  request: { body: json(CodeValidation) },
  responses: {
    200: ok(
      z.object({ valid: z.boolean(), reason: z.enum(["CODE_NOT_VALID", "MIN_ORDER_NOT_MET", "PRODUCT_NOT_IN_CART"]).optional(), message: z.string().optional(), redemptionId: z.string().optional(), customerId: z.string().optional(), reward: z.object({ name: z.string(), kind: z.string() }).optional(), discount: z.number().int().optional(), currency: z.string().optional() }).openapi("CodeValidationResult"),
      "The discount, or why not",
    ),
    ...errorResponses(400, 401, 403, 429),
  },
});

export function registerRewards(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(list, async (c) => c.json({ data: await listRewards(ctx.db, c.get("principal").program.id, c.req.valid("query")) }, 200));
  app.openapi(create, async (c) => {
    const { status, ...input } = c.req.valid("json");
    const p = c.get("principal");
    return mutate(c, deps, { status, input }, async (tx) => {
      const r = await createReward(ctx, tx, p.program, input as RewardInput, status, p.keyId);
      return resultBody(r, 201);
    }) as never;
  });
  app.openapi(get, async (c) => {
    const r = await getReward(ctx.db, c.get("principal").program.id, c.req.valid("param").rewardId);
    return r ? c.json(r, 200) : problem(c, { code: "REWARD_NOT_FOUND", message: `No reward "${c.req.valid("param").rewardId}" in this program.` });
  });
  app.openapi(patch, async (c) => {
    const p = c.get("principal");
    const { rewardId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => {
      const r = await updateReward(ctx, tx, p.program, id, body as Partial<RewardInput>, p.keyId);
      return resultBody(r);
    }) as never;
  });
  app.openapi(codes, async (c) => {
    const p = c.get("principal");
    const { rewardId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => {
      const r = await addPoolCodes(ctx, tx, p.program, id, body.csv !== undefined ? codesFromCsv(body.csv).map((l) => l.typed) : body.codes!, p.keyId);
      return resultBody(r);
    }) as never;
  });
  app.openapi(redeem, async (c) => {
    const p = c.get("principal");
    const { externalId } = c.req.valid("param");
    const { rewardId: id } = c.req.valid("json");
    return mutate(c, deps, { externalId, id }, async (tx) => {
      const r = await redeemReward(ctx, tx, p.program, externalId, id, p.keyId);
      return resultBody(r, 201);
    }) as never;
  });
  app.openapi(pay, async (c) => {
    const p = c.get("principal");
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { externalId, body }, async (tx) => resultBody(await payWithPoints(ctx, tx, p.program, externalId, body, p.keyId), 201)) as never;
  });
  app.openapi(customerRedemptions, async (c) => {
    const r = await listRedemptions(ctx.db, c.get("principal").program.id, c.req.valid("param").externalId, ctx.clock.now());
    return r.ok ? c.json({ data: r.value }, 200) : problem(c, r.error);
  });
  app.openapi(one, async (c) => {
    const r = await getRedemption(ctx.db, c.get("principal").program.id, c.req.valid("param").redemptionId, ctx.clock.now());
    return r ? c.json(r, 200) : problem(c, { code: "REDEMPTION_NOT_FOUND", message: `No redemption "${c.req.valid("param").redemptionId}" in this program.` });
  });
  app.openapi(cancel, async (c) => {
    const p = c.get("principal");
    const { redemptionId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => {
      const r = await cancelRedemption(ctx, tx, p.program, id, { reason: body.reason, actor: body.actor ?? p.keyId });
      return resultBody(r);
    }) as never;
  });
  app.openapi(fulfil, async (c) => {
    const p = c.get("principal");
    const { redemptionId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => {
      const r = await setFulfilment(ctx, tx, p.program, id, body.status, p.keyId);
      return resultBody(r);
    }) as never;
  });
  // Its own bucket, stricter than the general one: this is the endpoint a guesser would hammer.
  const limiter = rateLimit(deps.validateRateLimit ?? 0, () => ctx.clock.now().getTime());
  app.use("/v1/codes/validate", (c, next) => limiter(c, next));
  app.openapi(validate, async (c) => {
    const body = c.req.valid("json");
    return c.json(await validateCode(ctx.db, c.get("principal").program, body, ctx.clock.now()), 200);
  });
}
