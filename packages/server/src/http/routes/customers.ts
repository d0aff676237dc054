import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { Customer, CustomerFields, Erase, id, limit, page } from "../schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { mutate } from "../mutate.ts";
import { errorBody, problem } from "../problem.ts";
import { upsertCustomer, updateCustomer } from "../../app/customers/upsert-customer.ts";
import { getCustomer, listCustomers } from "../../app/customers/find-customer.ts";
import { streamCustomerExport } from "../../app/customers/export-customer.ts";
import { eraseCustomer } from "../../app/customers/erase-customer.ts";

export const externalIdParam = z.object({ externalId: id.openapi({ param: { name: "externalId", in: "path" }, description: "Your id of the customer", example: "shop-customer-42" }) });

const upsert = createRoute({
  method: "put",
  path: "/v1/customers/{externalId}",
  tags: ["Customers"],
  summary: "Create or update a customer by your id",
  description: "Fields you leave out are kept; `null` clears a field. Email is lower-cased and the phone stored in E.164. 201 when created, 200 when updated.",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: { content: { "application/json": { schema: CustomerFields } }, required: true } },
  responses: { 200: ok(Customer, "Updated"), 201: ok(Customer, "Created"), ...errorResponses(400, 401, 409, 422) },
});
const patch = createRoute({
  method: "patch",
  path: "/v1/customers/{externalId}",
  tags: ["Customers"],
  summary: "Update an existing customer",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: { content: { "application/json": { schema: CustomerFields } }, required: true } },
  responses: { 200: ok(Customer, "Updated"), ...errorResponses(400, 401, 404, 409, 422) },
});
const get = createRoute({ method: "get", path: "/v1/customers/{externalId}", tags: ["Customers"], summary: "Get a customer", security, request: { params: externalIdParam }, responses: { 200: ok(Customer, "The customer"), ...errorResponses(401, 404) } });
const list = createRoute({
  method: "get",
  path: "/v1/customers",
  tags: ["Customers"],
  summary: "List and search customers",
  description: "Oldest first, `limit` at a time; pass `nextCursor` back as `cursor` for the next page. `q` matches an email, a phone number, your id, or part of a name.",
  security,
  request: {
    query: z.object({
      limit,
      cursor: z.string().max(200).optional(),
      // Trimmed before the length check: blank, it matched every name ("%%"). Up to 255: ids are.
      q: z.string().trim().min(1).max(255).optional(),
      email: z.string().max(254).optional(),
      phone: z.string().max(32).optional(),
      tag: z.string().max(64).optional(),
      status: z.enum(["active", "blocked", "erased"]).optional(),
    }),
  },
  responses: { 200: ok(page(Customer, "CustomerPage"), "A page of customers"), ...errorResponses(400, 401) },
});
const exportRoute = createRoute({
  method: "get",
  path: "/v1/customers/{externalId}/export",
  tags: ["Customers"],
  summary: "Export everything held about a customer",
  description: "Profile, summary, balances, the full ledger, orders with lines, and events: the answer to a data access request.",
  security,
  request: { params: externalIdParam },
  responses: { 200: ok(z.record(z.string(), z.unknown()).openapi("CustomerExport"), "The export"), ...errorResponses(401, 404) },
});
const erase = createRoute({
  method: "post",
  path: "/v1/customers/{externalId}/erase",
  tags: ["Customers"],
  summary: "Erase a customer's personal data",
  description: "Removes the profile and releases your id; the ledger keeps balancing under the opaque customer id. Cannot be undone.",
  security,
  request: { params: externalIdParam, headers: idempotencyHeader, body: { content: { "application/json": { schema: Erase } }, required: true } },
  responses: { 200: ok(z.object({ id: z.string(), erasedAt: z.string() }), "Erased"), ...errorResponses(400, 401, 404, 409) },
});

export function registerCustomers(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(upsert, async (c) => {
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    const program = c.get("principal").program;
    return mutate(c, deps, body, async (tx) => {
      const r = await upsertCustomer(ctx, tx, program, externalId, body);
      return r.ok ? { status: r.value.created ? 201 : 200, body: r.value.customer } : errorBody(r.error);
    }) as never;
  });

  app.openapi(patch, async (c) => {
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    const program = c.get("principal").program;
    return mutate(c, deps, body, async (tx) => {
      const r = await updateCustomer(ctx, tx, program, externalId, body);
      return r.ok ? { status: 200, body: r.value } : errorBody(r.error);
    }) as never;
  });

  app.openapi(get, async (c) => {
    const r = await getCustomer(ctx.db, c.get("principal").program.id, c.req.valid("param").externalId);
    return r.ok ? c.json(JSON.parse(JSON.stringify(r.value)), 200) : problem(c, r.error);
  });

  app.openapi(list, async (c) => {
    const r = await listCustomers(ctx.db, c.get("principal").program, c.req.valid("query"));
    return r.ok ? c.json(JSON.parse(JSON.stringify(r.value)), 200) : problem(c, r.error);
  });

  app.openapi(exportRoute, async (c) => {
    // Streamed as it is read (export-customer.ts): a long history costs the server a page of memory.
    const r = await streamCustomerExport(ctx.db, c.get("principal").program, c.req.valid("param").externalId, ctx.clock.now(), ctx.log);
    return r.ok ? (c.body(r.value, 200, { "content-type": "application/json" }) as never) : problem(c, r.error);
  });

  app.openapi(erase, async (c) => {
    const { externalId } = c.req.valid("param");
    const body = c.req.valid("json");
    const p = c.get("principal");
    return mutate(c, deps, body, async (tx) => {
      const r = await eraseCustomer(ctx, tx, p.program, externalId, { actor: body.actor ?? p.keyId, reason: body.reason });
      return r.ok ? { status: 200, body: r.value } : errorBody(r.error);
    }) as never;
  });
}
