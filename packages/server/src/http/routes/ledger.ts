import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { isoDateTime, limit, page, queryInt } from "../schemas.ts";
import { Adjustment, Balances, Reversal, Transaction } from "../ledger-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { externalIdParam } from "./customers.ts";
import { mutate } from "../mutate.ts";
import { errorBody, problem } from "../problem.ts";
import { getCustomer } from "../../app/customers/find-customer.ts";
import { programExpiring, customerSummary, getBalances, getTransaction, listTransactions } from "../../app/ledger/read-ledger.ts";
import { adjustPoints } from "../../app/ledger/adjust-points.ts";
import { reverseTransaction } from "../../app/ledger/reverse-transaction.ts";
import { settleProgram } from "../../app/ledger/settle-holdings.ts";

const TYPES = [
  "earn", "refund", "adjustment", "reversal", "expiry", "release", "redemption", "redemption_return", "stamp_completion",
  // Wallets and gift cards (docs/wallet.md)
  "payment", "payment_refund", "payout", "payout_paid", "payout_returned", "gift_card_issue",
] as const;

const balances = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/balances",
  tags: ["Ledger"],
  summary: "A customer's balances",
  description: "Available and pending points, when pending points become available, and what expires within `days` (default 30).",
  security,
  request: { params: externalIdParam, query: z.object({ days: queryInt(1, 3650, 30) }) },
  responses: { 200: ok(Balances, "Balances"), ...errorResponses(401, 404) },
});
const history = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/transactions",
  tags: ["Ledger"],
  summary: "A customer's ledger history",
  description: "Every asset (points, stamps, bonus, cash), newest first; each transaction says its `asset` and its `changes` per asset. Filter by `type` (comma-separated), by `asset`, and by effective time (`from` inclusive, `to` exclusive).",
  security,
  request: {
    params: externalIdParam,
    query: z.object({
      limit,
      cursor: z.string().max(200).optional(),
      type: z.string().max(200).regex(new RegExp(`^(${TYPES.join("|")})(,(${TYPES.join("|")}))*$`), `comma-separated types from: ${TYPES.join(", ")}`).optional(),
      from: isoDateTime.optional(),
      to: isoDateTime.optional(),
      asset: z.string().max(80).regex(/^(points|bonus|cash|stamps:[A-Za-z0-9_-]{1,64})$/, "points, bonus, cash or stamps:{cardId}").optional()
        .openapi({ description: "Only transactions that move this asset: `points`, `bonus`, `cash` or `stamps:{cardId}`." }),
    }),
  },
  responses: { 200: ok(page(Transaction, "TransactionPage"), "A page of transactions"), ...errorResponses(400, 401, 404) },
});
const summary = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/summary",
  tags: ["Ledger"],
  summary: "A customer's order and points summary",
  security,
  request: { params: externalIdParam },
  responses: {
    200: ok(
      z.object({ lifetimeOrders: z.number().int(), lifetimeSpend: z.number().int(), refundedAmount: z.number().int(), currency: z.string(), firstOrderAt: z.string().nullable(), lastOrderAt: z.string().nullable(), pointsEarned: z.number().int(), pointsDebited: z.number().int() }).openapi("CustomerSummary"),
      "Summary",
    ),
    ...errorResponses(401, 404),
  },
});
const adjust = createRoute({
  method: "post",
  path: "/v1/customers/{externalId}/adjustments",
  tags: ["Ledger"],
  summary: "Credit or debit points by hand",
  description: "With a reason and an actor, recorded in the audit log. A debit never takes the balance below zero (INSUFFICIENT_POINTS).",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: { content: { "application/json": { schema: Adjustment } }, required: true } },
  responses: { 201: ok(Transaction, "The adjustment transaction"), ...errorResponses(400, 401, 404, 409, 422) },
});
const getTxn = createRoute({
  method: "get",
  path: "/v1/transactions/{transactionId}",
  tags: ["Ledger"],
  summary: "A ledger transaction with its postings",
  security,
  request: { params: z.object({ transactionId: z.string().max(64) }) },
  responses: { 200: ok(Transaction, "The transaction"), ...errorResponses(401, 404) },
});
const reverse = createRoute({
  method: "post",
  path: "/v1/transactions/{transactionId}/reverse",
  tags: ["Ledger"],
  summary: "Reverse a transaction",
  description:
    "Writes a new transaction that mirrors the original; history is never edited. Earn and adjustment transactions can be reversed, once. If the customer has already spent the points, INSUFFICIENT_POINTS, unless `force`, which records a clawback (a negative balance).",
  security,
  request: { params: z.object({ transactionId: z.string().max(64) }), headers: idempotencyHeader, body: { content: { "application/json": { schema: Reversal } }, required: true } },
  responses: { 201: ok(Transaction, "The reversal"), ...errorResponses(400, 401, 404, 409, 422) },
});
const settle = createRoute({
  method: "post",
  path: "/v1/ledger/settle",
  tags: ["Ledger"],
  summary: "Release and expire what is due now",
  description: "The server does this every minute by itself; call it to settle at once. Safe to run twice or concurrently.",
  security,
  responses: { 200: ok(z.object({ transactions: z.number().int(), customers: z.number().int() }), "What was settled"), ...errorResponses(401) },
});

const expiring = createRoute({
  method: "get",
  path: "/v1/ledger/expiring",
  tags: ["Ledger"],
  summary: "Points about to expire in the program",
  description: "What is left in lots whose expiry date falls in the next `days` days (30 by default), in total and per local date, with the customers who hold them: the liability that is about to lapse, and who to remind.",
  security,
  request: { query: z.object({ days: queryInt(1, 365, 30) }) },
  responses: {
    200: ok(z.object({ days: z.number().int(), until: z.string(), points: z.number().int(), customers: z.number().int(), byDay: z.array(z.object({ date: z.string(), points: z.number().int(), customers: z.number().int() })) }).openapi("ProgramExpiring"), "Points expiring"),
    ...errorResponses(400, 401),
  },
});

export function registerLedger(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  const customerOf = async (programId: string, externalId: string) => getCustomer(ctx.db, programId, externalId);

  app.openapi(expiring, async (c) => {
    const p = c.get("principal").program;
    return c.json(await programExpiring(ctx.db, p.id, ctx.clock.now(), c.req.valid("query").days, p.timeZone), 200);
  });

  app.openapi(balances, async (c) => {
    const p = c.get("principal").program;
    const cu = await customerOf(p.id, c.req.valid("param").externalId);
    if (!cu.ok) return problem(c, cu.error);
    return c.json(await getBalances(ctx.db, p.id, cu.value.id, ctx.clock.now(), c.req.valid("query").days), 200);
  });

  app.openapi(history, async (c) => {
    const p = c.get("principal").program;
    const cu = await customerOf(p.id, c.req.valid("param").externalId);
    if (!cu.ok) return problem(c, cu.error);
    const q = c.req.valid("query");
    const r = await listTransactions(ctx.db, p.id, cu.value.id, { limit: q.limit, cursor: q.cursor, type: q.type?.split(","), from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, asset: q.asset });
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });

  app.openapi(summary, async (c) => {
    const p = c.get("principal").program;
    const cu = await customerOf(p.id, c.req.valid("param").externalId);
    if (!cu.ok) return problem(c, cu.error);
    return c.json(await customerSummary(ctx.db, p.id, cu.value.id, p.currency), 200);
  });

  app.openapi(adjust, async (c) => {
    const pr = c.get("principal");
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => {
      const r = await adjustPoints(ctx, tx, pr.program, externalId, { amount: body.amount, reason: body.reason, actor: body.actor ?? pr.keyId, expiry: body.expiry });
      return r.ok ? { status: 201, body: r.value } : errorBody(r.error);
    }) as never;
  });

  app.openapi(getTxn, async (c) => {
    const r = await getTransaction(ctx.db, c.get("principal").program.id, c.req.valid("param").transactionId);
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });

  app.openapi(reverse, async (c) => {
    const pr = c.get("principal");
    const { transactionId } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, body, async (tx) => {
      const r = await reverseTransaction(ctx, tx, pr.program, transactionId, { reason: body.reason, actor: body.actor ?? pr.keyId, force: body.force });
      return r.ok ? { status: 201, body: r.value } : errorBody(r.error);
    }) as never;
  });

  app.openapi(settle, async (c) => c.json(await settleProgram(ctx, c.get("principal").program.id), 200));
}
