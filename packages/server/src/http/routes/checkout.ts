import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { cartFields, CartEvaluation, CartRequest, CheckoutCompletion, CheckoutReservation, PaymentsRequest } from "../checkout-schemas.ts";
import { amount, CART_OVER_MAX, cartWithinMax, id } from "../schemas.ts";
import { evaluateCheckout } from "../../app/promotions/evaluate-checkout.ts";
import { completeCheckout } from "../../app/promotions/complete-checkout.ts";
import { rollbackCheckout } from "../../app/promotions/rollback-checkout.ts";
import { releaseCheckout, reserveCheckout } from "../../app/promotions/reserve-checkout.ts";

const tags = ["Checkout"];
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const evaluate = createRoute({
  method: "post",
  path: "/v1/carts/evaluate",
  tags,
  summary: "Price a cart: discounts, gifts, refused codes, points (no writes)",
  description: "Every automatic campaign and every typed code is considered; when they cannot all apply, the combination worth most to the customer wins and the losing codes say why. Totals are always computed here from the lines. With `payments`, also what gift cards, bonus and cash would pay of the total and what is left to pay (docs/wallet.md).",
  security,
  request: { body: json(CartRequest) },
  responses: { 200: ok(CartEvaluation, "The priced cart"), ...errorResponses(400, 401, 403, 422) },
});
const reserve = createRoute({
  method: "post",
  path: "/v1/carts/reserve",
  tags,
  summary: "Price a cart and hold its limited campaigns and codes for a checkout session",
  description: "Holds one use of each applied campaign that has limits, and of each bulk code, until `ttlSeconds` (default 900). Other sessions see held uses as used. Asking again for the session replaces its holds; completing the order ends them.",
  security,
  request: { headers: idempotencyHeader, body: json(z.strictObject({ ...cartFields, sessionId: id, ttlSeconds: z.number().int().min(10).max(86_400).default(900) }).refine(cartWithinMax, CART_OVER_MAX)) },
  responses: { 200: ok(CheckoutReservation, "The priced cart and what is held"), ...errorResponses(400, 401, 403, 409, 422) },
});
const release = createRoute({
  method: "post",
  path: "/v1/carts/release",
  tags,
  summary: "End a checkout session's holds",
  security,
  request: { headers: idempotencyHeader, body: json(z.strictObject({ sessionId: id })) },
  responses: { 200: ok(z.object({ released: z.number().int() }), "How many live holds ended"), ...errorResponses(400, 401, 403, 409) },
});
const complete = createRoute({
  method: "post",
  path: "/v1/carts/complete",
  tags,
  summary: "Record an order's promotions, atomically",
  description: "The cart is priced again under the campaigns' locks and the result is recorded: uses, budgets, per-customer counters, bonus points, follow-up codes, wallet payments. The order id is the key: sending the same order again returns the first result; a different cart for it is ORDER_CONFLICT.",
  security,
  request: {
    headers: idempotencyHeader,
    body: json(
      z.strictObject({
        ...cartFields,
        orderId: id,
        expectedTotal: amount.optional().openapi({ description: "The total the customer was shown: if the cart now prices differently, nothing is recorded (CART_TOTAL_CHANGED)." }),
        payments: PaymentsRequest.optional().openapi({ description: "Wallet payments, taken in this transaction: a gift card that cannot pay or a number a balance no longer covers records nothing (GIFT_CARD_NOT_FOUND, GIFT_CARD_NOT_USABLE, INSUFFICIENT_FUNDS). Charge `payments.amountDue`." }),
      }).refine(cartWithinMax, CART_OVER_MAX),
    ),
  },
  responses: { 200: ok(CheckoutCompletion, "What was recorded"), ...errorResponses(400, 401, 403, 409, 422) },
});
const rollback = createRoute({
  method: "post",
  path: "/v1/carts/rollback",
  tags,
  summary: "Undo an order's promotions (cancelled or refunded order), once",
  description: "Gives back the campaigns' uses, budgets and per-customer counts and the codes' uses, reverses the bonus points, voids the follow-up codes it issued (a spent one stays spent, and cannot come back by a rollback of the order that spent it) and refunds the wallet payments (gift card money back to its card). A second rollback of the same order changes nothing (`effect: already_rolled_back`).",
  security,
  request: { headers: idempotencyHeader, body: json(z.strictObject({ orderId: id, reason: z.string().min(1).max(500).default("order cancelled") })) },
  responses: { 200: ok(CheckoutCompletion, "The rolled-back completion"), ...errorResponses(400, 401, 403, 404, 409) },
});

export function registerCheckout(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(evaluate, async (c) => {
    const r = await evaluateCheckout(ctx, ctx.db, c.get("principal").program, c.req.valid("json"));
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });
  app.openapi(reserve, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => resultBody(await reserveCheckout(ctx, tx, p.program, body))) as never;
  });
  app.openapi(release, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => ({ status: 200, body: await releaseCheckout(ctx, tx, p.program, body.sessionId) })) as never;
  });
  app.openapi(complete, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => resultBody(await completeCheckout(ctx, tx, p.program, body))) as never;
  });
  app.openapi(rollback, async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => resultBody(await rollbackCheckout(ctx, tx, p.program, body.orderId, { reason: body.reason, actor: p.keyId }))) as never;
  });
}
