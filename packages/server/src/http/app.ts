import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { Env, HttpDeps } from "./env.ts";
import { problem } from "./problem.ts";
import { unstorableText } from "./request-text.ts";
import { authenticate, limitBody, rateLimit, refuseContentEncoding, refuseProtoKeys } from "./middleware.ts";
import { registerPrograms } from "./routes/programs.ts";
import { registerKeys } from "./routes/keys.ts";
import { registerCustomers } from "./routes/customers.ts";
import { registerLedger } from "./routes/ledger.ts";
import { registerEvents } from "./routes/events.ts";
import { registerAudit } from "./routes/audit.ts";
import { registerRules } from "./routes/rules.ts";
import { registerRewards } from "./routes/rewards.ts";
import { registerCheckout } from "./routes/checkout.ts";
import { registerCampaigns } from "./routes/campaigns.ts";
import { registerTiers } from "./routes/tiers.ts";
import { registerReferrals } from "./routes/referrals.ts";
import { registerStampCards } from "./routes/stamp-cards.ts";
import { registerStaff } from "./routes/staff.ts";
import { registerWallet } from "./routes/wallet.ts";
import { registerGiftCards } from "./routes/gift-cards.ts";
import { registerJobs } from "./routes/jobs.ts";
import { ping } from "../db/connect.ts";
import { openApiDocument } from "./openapi.ts";
import { docsPage } from "./docs-page.ts";

/**
 * The HTTP API. Every request body, query and path is validated by the same zod schemas that
 * generate openapi.json; every error is `{ code, message, details }` with the status from
 * error-status.ts; an unexpected exception is logged with the request id and answered INTERNAL.
 */
export function createApp(deps: HttpDeps) {
  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      // Runs on success too: what passed its schema may still hold text no database column can keep.
      const unstorable = result.success ? unstorableText(result.data) : null;
      if (unstorable) return problem(c, { code: "VALIDATION_FAILED", message: `${unstorable.path || result.target}: ${unstorable.message}`, details: { issues: [unstorable] } });
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        const first = issues[0];
        return problem(c, {
          code: "VALIDATION_FAILED",
          message: first ? `${first.path || "body"}: ${first.message}` : "The request is not valid.",
          details: { issues: issues.slice(0, 50) },
        });
      }
    },
  });

  app.use("*", requestId({ generator: () => deps.ctx.ids.next("req") }));
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    const level = c.res.status >= 500 ? "error" : "info";
    // The route pattern, never the concrete path or query: those can carry personal data (an email search).
    deps.ctx.log[level](
      { requestId: c.get("requestId"), method: c.req.method, route: c.req.routePath, status: c.res.status, ms: Math.round(performance.now() - started), program: c.get("principal")?.program.id },
      "request",
    );
  });

  // HEAD runs the GET route, and Hono then drops the response's body unread. A streamed body
  // (snapshot-stream.ts: an export, written from a transaction as the client reads) would wait for a
  // reader that never comes, holding its transaction (on PGlite, the only connection) until its stall
  // limit. Cancelled here, it ends at once.
  app.use("*", async (c, next) => {
    await next();
    if (c.req.method === "HEAD" && c.res.body && !c.res.bodyUsed) await c.res.body.cancel().catch(() => {});
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await ping(deps.ctx.db);
      return c.json({ status: "ready", database: deps.ctx.dbKind });
    } catch {
      return c.json({ status: "unavailable", database: deps.ctx.dbKind }, 503);
    }
  });
  // Built on first ask and kept: the routes do not change once the app is made, and building the
  // document took 45-150 ms of event loop per request on these public, unauthenticated routes.
  let spec: { json: string; docs: string } | null = null;
  const built = () => {
    if (!spec) {
      const doc = openApiDocument(app);
      spec = { json: JSON.stringify(doc), docs: docsPage(doc) };
    }
    return spec;
  };
  app.get("/openapi.json", (c) => c.body(built().json, 200, { "content-type": "application/json" }));
  app.get("/docs", (c) => c.html(built().docs));

  const batchLimit = limitBody(LARGE_BODY, tooLarge);
  const requestLimit = limitBody(BODY, tooLarge);
  app.use("/v1/*", async (c, next) => (bodyLimitFor(c.req.path) === LARGE_BODY ? batchLimit(c, next) : requestLimit(c, next)));
  const auth = authenticate(deps);
  app.use("/v1/*", async (c, next) => (c.req.path === "/v1/programs" ? next() : auth(c, next)));
  // The limiter is built once: its buckets must outlive a request (built per request, every request
  // got a fresh, full bucket and nothing was ever limited).
  const limiter = rateLimit(deps.rateLimit, () => deps.ctx.clock.now().getTime());
  app.use("/v1/*", async (c, next) => (c.req.path === "/v1/programs" ? next() : limiter(c, next)));
  app.use("/v1/*", refuseContentEncoding());
  app.use("/v1/*", refuseProtoKeys());

  registerPrograms(app, deps);
  registerKeys(app, deps);
  registerCustomers(app, deps);
  registerLedger(app, deps);
  registerEvents(app, deps);
  registerAudit(app, deps);
  registerJobs(app, deps);
  registerRules(app, deps);
  registerRewards(app, deps);
  registerCampaigns(app, deps);
  registerTiers(app, deps);
  registerReferrals(app, deps);
  registerStampCards(app, deps);
  registerStaff(app, deps);
  registerWallet(app, deps);
  registerGiftCards(app, deps);
  registerCheckout(app, deps);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "A program's secret key (sk_…), or a publishable key (pk_…) for public reads." });

  app.notFound((c) => problem(c, { code: "NOT_FOUND", message: `No route for ${c.req.method} ${c.req.path}. See /docs.` }));
  app.onError((e, c) => {
    if (e instanceof HTTPException) {
      if (e.status === 400 && /json/i.test(e.message)) return problem(c, { code: "INVALID_JSON", message: "The request body is not valid JSON." });
      if (e.status === 413) return tooLarge(c);
      // @hono/zod-openapi's media-type gate throws 415 for a body that is not declared JSON; unmapped, it became a 500.
      if (e.status === 415) return problem(c, { code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the body as JSON, with `Content-Type: application/json`." });
      if (e.status === 400) return problem(c, { code: "VALIDATION_FAILED", message: e.message || "The request is not valid." });
    }
    if (e instanceof SyntaxError) return problem(c, { code: "INVALID_JSON", message: "The request body is not valid JSON." });
    deps.ctx.log.error({ requestId: c.get("requestId"), err: { message: e.message, stack: e.stack } }, "unhandled error");
    return problem(c, { code: "INTERNAL", message: `Something went wrong on our side; nothing was applied. Quote request id ${c.get("requestId")}.` });
  });
  return app;
}

const BODY = 1024 * 1024;
const LARGE_BODY = 16 * 1024 * 1024;
/** Code uploads of campaigns and of partner_coupon rewards. */
const BULK_UPLOAD = /^\/v1\/(campaigns|rewards)\/[^/]+\/codes$/;

/**
 * The most bytes a request body to `path` may have: 16 MB for event batches and code uploads (up to
 * 100,000 codes, or a CSV of 1,000,000 characters, is more than 1 MB as JSON), 1 MB for the rest.
 */
export function bodyLimitFor(path: string): number {
  return path === "/v1/events/batch" || BULK_UPLOAD.test(path) ? LARGE_BODY : BODY;
}

// Typed as a plain handler so it serves both bodyLimit and onError.
function tooLarge(c: Parameters<typeof problem>[0]) {
  return problem(c, { code: "PAYLOAD_TOO_LARGE", message: "The request body is too large: 1 MB at most, 16 MB for /v1/events/batch and code uploads." });
}
