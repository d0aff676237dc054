import { createRoute, z } from "@hono/zod-openapi";
import { PAYOUT_STATUSES, type PayoutAction } from "@patron/core";
import type { App, HttpDeps } from "../env.ts";
import { limit, page, queryInt } from "../schemas.ts";
import { Transaction } from "../ledger-schemas.ts";
import { Payout, PayoutDecision, PayoutRejection, PayoutRequest, Wallet, WalletAdjustment } from "../wallet-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { externalIdParam } from "./customers.ts";
import { mutate } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { getCustomer } from "../../app/customers/find-customer.ts";
import { getWallet, listWalletHistory, WALLET_ASSETS } from "../../app/wallet/read-wallet.ts";
import { adjustWallet } from "../../app/wallet/adjust-wallet.ts";
import { requestPayout } from "../../app/wallet/request-payout.ts";
import { decidePayout } from "../../app/wallet/decide-payout.ts";
import { getPayout, listPayouts } from "../../app/wallet/payout.ts";

const tags = ["Wallet"];
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
const payoutId = z.object({ payoutId: z.string().min(1).max(64) });

const wallet = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/wallet",
  tags,
  summary: "A customer's bonus and cash balances and gift cards",
  description: "Available, pending (and until when), what expires soonest and what within `days` (default 30); the cash in open payouts.",
  security,
  request: { params: externalIdParam, query: z.object({ days: queryInt(1, 3650, 30) }) },
  responses: { 200: ok(Wallet, "The wallet"), ...errorResponses(400, 401, 403, 404) },
});
const history = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/wallet/history",
  tags,
  summary: "The ledger history of the bonus or the cash balance",
  description: "Newest first, a page at a time: credits, payments at checkout and their refunds, payouts, releases and expiries.",
  security,
  request: { params: externalIdParam, query: z.object({ asset: z.enum(WALLET_ASSETS), limit, cursor: z.string().max(200).optional() }) },
  responses: { 200: ok(page(Transaction, "WalletHistoryPage"), "A page of transactions"), ...errorResponses(400, 401, 403, 404) },
});
const adjust = createRoute({
  method: "post",
  path: "/v1/customers/{externalId}/wallet/adjustments",
  tags,
  summary: "Credit or debit the bonus or the cash balance by hand",
  description: "With a reason and an actor, in the audit log. A debit never takes a balance below zero (INSUFFICIENT_FUNDS). A cash credit is held for the program's `wallet.payouts.holdDays`.",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: json(WalletAdjustment) },
  responses: { 201: ok(Transaction, "The adjustment transaction"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const request = createRoute({
  method: "post",
  path: "/v1/customers/{externalId}/payouts",
  tags,
  summary: "Ask for part of the cash balance to be paid out",
  description: "Only cash: the bonus balance is never paid out. Within the program's `wallet.payouts` minimum and maximum; the amount leaves the available cash for the payout's hold at once (INSUFFICIENT_FUNDS when it is not there). Send an Idempotency-Key: a retry then gets the same payout.",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: json(PayoutRequest) },
  responses: { 201: ok(Payout, "The payout, pending"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const list = createRoute({
  method: "get",
  path: "/v1/payouts",
  tags,
  summary: "Payout requests, newest first",
  description: "Filter by `status` (`pending` is the queue to approve) or by `customerId` (your id).",
  security,
  request: { query: z.object({ status: z.enum(PAYOUT_STATUSES).optional(), customerId: z.string().min(1).max(255).optional(), limit, cursor: z.string().max(200).optional() }) },
  responses: { 200: ok(page(Payout, "PayoutPage"), "A page of payouts"), ...errorResponses(400, 401, 403, 404) },
});
const one = createRoute({ method: "get", path: "/v1/payouts/{payoutId}", tags, summary: "One payout", security, request: { params: payoutId }, responses: { 200: ok(Payout, "The payout"), ...errorResponses(401, 403, 404) } });

const decide = (action: PayoutAction, summary: string, description: string, body: typeof PayoutDecision | typeof PayoutRejection) =>
  createRoute({
    method: "post",
    path: `/v1/payouts/{payoutId}/${action}`,
    tags,
    summary,
    description,
    security,
    request: { params: payoutId, headers: idempotencyHeader, body: json(body) },
    responses: { 200: ok(Payout, "The payout"), ...errorResponses(400, 401, 403, 404, 409) },
  });
const approve = decide("approve", "Approve a pending payout", "pending → approved. No money moves. Anything else is PAYOUT_STATE_CONFLICT.", PayoutDecision);
const pay = decide("pay", "Mark an approved payout as paid", "approved → paid: the hold goes to `world` (the money has left for the customer). Anything else is PAYOUT_STATE_CONFLICT.", PayoutDecision);
const reject = decide("reject", "Reject a payout and return its money", "pending or approved → rejected: the hold goes back to the customer's available cash, into the lots it came from. Anything else is PAYOUT_STATE_CONFLICT.", PayoutRejection);

export function registerWallet(app: App, deps: HttpDeps) {
  const { ctx } = deps;

  app.openapi(wallet, async (c) => {
    const p = c.get("principal").program;
    const cu = await getCustomer(ctx.db, p.id, c.req.valid("param").externalId);
    if (!cu.ok) return problem(c, cu.error);
    return c.json(await getWallet(ctx.db, p, cu.value.id, ctx.clock.now(), c.req.valid("query").days), 200);
  });

  app.openapi(history, async (c) => {
    const p = c.get("principal").program;
    const cu = await getCustomer(ctx.db, p.id, c.req.valid("param").externalId);
    if (!cu.ok) return problem(c, cu.error);
    const q = c.req.valid("query");
    const r = await listWalletHistory(ctx.db, p.id, cu.value.id, q.asset, { limit: q.limit, cursor: q.cursor });
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });

  app.openapi(adjust, async (c) => {
    const pr = c.get("principal");
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) =>
      resultBody(await adjustWallet(ctx, tx, pr.program, externalId, { asset: body.asset, amount: body.amount, reason: body.reason, actor: body.actor ?? pr.keyId, expiry: body.expiry }), 201),
    ) as never;
  });

  app.openapi(request, async (c) => {
    const pr = c.get("principal");
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => resultBody(await requestPayout(ctx, tx, pr.program, externalId, { amount: body.amount, actor: body.actor ?? pr.keyId }), 201)) as never;
  });

  app.openapi(list, async (c) => {
    const p = c.get("principal").program;
    const q = c.req.valid("query");
    let customerId: string | undefined;
    if (q.customerId !== undefined) {
      const cu = await getCustomer(ctx.db, p.id, q.customerId);
      if (!cu.ok) return problem(c, cu.error);
      customerId = cu.value.id;
    }
    const r = await listPayouts(ctx.db, p.id, p.currency, { limit: q.limit, cursor: q.cursor, status: q.status, customerId });
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });

  app.openapi(one, async (c) => {
    const p = c.get("principal").program;
    const r = await getPayout(ctx.db, p.id, p.currency, c.req.valid("param").payoutId);
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });

  for (const [route, action] of [[approve, "approve"], [pay, "pay"], [reject, "reject"]] as const) {
    app.openapi(route, async (c) => {
      const pr = c.get("principal");
      const body = c.req.valid("json");
      return mutate(c, deps, body, async (tx) => resultBody(await decidePayout(ctx, tx, pr.program, c.req.valid("param").payoutId, action, { reason: body.reason, actor: body.actor ?? pr.keyId }))) as never;
    });
  }
}
