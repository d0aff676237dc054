import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "./env.ts";

export const API_VERSION = "0.1.0";

/** The OpenAPI 3.1 document, generated from the routes' schemas. A committed copy lives in /openapi.json. */
export function openApiDocument(app: OpenAPIHono<Env>) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Patron API",
      version: API_VERSION,
      description:
        "Patron is a self-hosted loyalty and retention engine. Authenticate with `Authorization: Bearer sk_…`. Every mutating endpoint takes an `Idempotency-Key` header (events use their own `id`). Errors are `{ code, message, details }`; codes are stable.",
    },
    servers: [{ url: "http://127.0.0.1:4700" }],
    tags: [
      { name: "Events", description: "Orders, refunds, signups and custom actions from the store" },
      { name: "Customers", description: "Profiles keyed by the store's own id" },
      { name: "Ledger", description: "Balances, history, adjustments and reversals" },
      { name: "Program", description: "Program settings" },
      { name: "Keys", description: "API keys" },
    ],
  });
}
