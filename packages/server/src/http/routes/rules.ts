import { createRoute, z } from "@hono/zod-openapi";
import type { RuleDefinition } from "@patron/core";
import type { App, HttpDeps } from "../env.ts";
import { Rule, RuleCreate, RulePatch } from "../rule-schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { mutate, refuseBadIdempotencyKey } from "../mutate.ts";
import { problem, resultBody } from "../problem.ts";
import { runBirthdays } from "../../jobs/birthdays.ts";
import { backtestRule } from "../../app/rules/backtest.ts";
import { createRule, getRule, listRules, ruleVersionsOf, setRuleStatus, updateRule, type RuleStatus } from "../../app/rules/manage-rules.ts";

const tags = ["Rules"];
const ruleId = z.object({ ruleId: z.string().min(1).max(64) });

const list = createRoute({
  method: "get",
  path: "/v1/rules",
  tags,
  summary: "List the program's earning rules",
  security,
  request: { query: z.object({ status: z.enum(["enabled", "disabled", "archived"]).optional() }) },
  responses: { 200: ok(z.object({ data: z.array(Rule) }), "Rules, oldest first"), ...errorResponses(400, 401, 403) },
});
const create = createRoute({
  method: "post",
  path: "/v1/rules",
  tags,
  summary: "Create an earning rule",
  description: "The condition is type-checked against the rule context (docs/rules.md) before anything is saved: a syntax error, an unknown variable or a wrong type is RULE_INVALID with the position.",
  security,
  request: { headers: idempotencyHeader, body: { content: { "application/json": { schema: RuleCreate } }, required: true } },
  responses: { 201: ok(Rule, "The rule, version 1"), ...errorResponses(400, 401, 403, 409, 422) },
});
const get = createRoute({
  method: "get",
  path: "/v1/rules/{ruleId}",
  tags,
  summary: "A rule, with its run-time failures",
  security,
  request: { params: ruleId },
  responses: { 200: ok(Rule, "The rule"), ...errorResponses(401, 403, 404) },
});
const versions = createRoute({
  method: "get",
  path: "/v1/rules/{ruleId}/versions",
  tags,
  summary: "Every version of a rule",
  security,
  request: { params: ruleId },
  responses: { 200: ok(z.object({ data: z.array(z.object({ version: z.number().int(), definition: z.record(z.string(), z.unknown()), createdAt: z.string() })) }), "Versions, oldest first"), ...errorResponses(401, 403, 404) },
});
const patch = createRoute({
  method: "patch",
  path: "/v1/rules/{ruleId}",
  tags,
  summary: "Change a rule (saved as a new version)",
  security,
  request: { params: ruleId, headers: idempotencyHeader, body: { content: { "application/json": { schema: RulePatch } }, required: true } },
  responses: { 200: ok(Rule, "The rule at its new version"), ...errorResponses(400, 401, 403, 404, 409, 422) },
});
const statusRoute = (action: "enable" | "disable" | "archive") =>
  createRoute({
    method: "post",
    path: `/v1/rules/{ruleId}/${action}`,
    tags,
    summary: action === "archive" ? "Archive a rule (final: it stops and cannot change again)" : `${action[0]!.toUpperCase()}${action.slice(1)} a rule`,
    security,
    request: { params: ruleId, headers: idempotencyHeader },
    responses: { 200: ok(Rule, "The rule"), ...errorResponses(401, 403, 404, 409) },
  });

const birthdays = createRoute({
  method: "post",
  path: "/v1/rules/birthdays/run",
  tags,
  summary: "Send today's birthday events now",
  description:
    "The scheduler does this once per local day of the program. Sending them again is harmless: event ids are `birthday:{customer}:{year}:{on}`, so each customer gets one event per year and kind. The run is idempotent by itself, so an `Idempotency-Key` is checked for form (400 VALIDATION_FAILED when malformed) but not stored: a second run answers with what it newly sent, 0 for a day already run.",
  security,
  request: { headers: idempotencyHeader },
  responses: { 200: ok(z.object({ date: z.string(), day: z.number().int(), monthStart: z.number().int() }).openapi("BirthdayRun"), "What was sent: events accepted now (replays of an earlier run are not counted)"), ...errorResponses(400, 401, 403) },
});

const backtest = createRoute({
  method: "post",
  path: "/v1/rules/backtest",
  tags,
  summary: "Backtest a draft rule over the stored events of the last N days",
  description:
    "Replays the stored events of the window through the enabled rules plus the draft, and reports what the draft alone would have given: awards, points, customers touched, and the liability at the program's point value. Order metrics are taken as of each event; profiles are today's; limits count from the start of the window. At most 100,000 events (`truncated` says when there were more). Nothing is written.",
  security,
  request: { body: { content: { "application/json": { schema: z.strictObject({ rule: RuleCreate.omit({ status: true }), days: z.number().int().min(1).max(366) }).openapi("BacktestRequest") } }, required: true } },
  responses: {
    200: ok(
      z.object({ from: z.string(), to: z.string(), eventsEvaluated: z.number().int(), truncated: z.boolean(), awards: z.number().int(), pointsIssued: z.number().int(), customers: z.number().int(), liability: z.object({ amount: z.number().int(), currency: z.string() }).nullable() }).openapi("BacktestResult"),
      "What the draft would have given",
    ),
    ...errorResponses(400, 401, 403, 422),
  },
});

const STATUS: Record<"enable" | "disable" | "archive", RuleStatus> = { enable: "enabled", disable: "disabled", archive: "archived" };

export function registerRules(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(list, async (c) => c.json({ data: await listRules(ctx.db, c.get("principal").program.id, c.req.valid("query")) }, 200));

  app.openapi(create, async (c) => {
    const { status, ...def } = c.req.valid("json");
    const p = c.get("principal");
    return mutate(c, deps, { status, def }, async (tx) => {
      const r = await createRule(ctx, tx, p.program, def as RuleDefinition, status, p.keyId);
      return resultBody(r, 201);
    }) as never;
  });

  app.openapi(get, async (c) => {
    const r = await getRule(ctx.db, c.get("principal").program.id, c.req.valid("param").ruleId);
    return r ? c.json(r, 200) : problem(c, { code: "RULE_NOT_FOUND", message: `No rule "${c.req.valid("param").ruleId}" in this program.` });
  });

  app.openapi(versions, async (c) => {
    const r = await ruleVersionsOf(ctx.db, c.get("principal").program.id, c.req.valid("param").ruleId);
    return r ? c.json({ data: r }, 200) : problem(c, { code: "RULE_NOT_FOUND", message: `No rule "${c.req.valid("param").ruleId}" in this program.` });
  });

  app.openapi(patch, async (c) => {
    const p = c.get("principal");
    const { ruleId: id } = c.req.valid("param");
    const body = c.req.valid("json");
    return mutate(c, deps, { id, body }, async (tx) => {
      const r = await updateRule(ctx, tx, p.program, id, body as Partial<RuleDefinition>, p.keyId);
      return resultBody(r);
    }) as never;
  });

  app.openapi(backtest, async (c) => {
    const { rule, days } = c.req.valid("json");
    const r = await backtestRule(ctx, c.get("principal").program, rule as RuleDefinition, days);
    return r.ok ? c.json(r.value, 200) : problem(c, r.error);
  });

  app.openapi(birthdays, async (c) => {
    // Not through `mutate`: the run ingests its events in transactions of its own (on PGlite's one
    // connection it could not run inside mutate's), and it is idempotent by itself (event ids).
    const bad = refuseBadIdempotencyKey(c);
    if (bad) return bad as never;
    return c.json(await runBirthdays(ctx, c.get("principal").program, ctx.clock.now()), 200);
  });

  for (const action of ["enable", "disable", "archive"] as const) {
    app.openapi(statusRoute(action), async (c) => {
      const p = c.get("principal");
      const { ruleId: id } = c.req.valid("param");
      return mutate(c, deps, { id, action }, async (tx) => {
        const r = await setRuleStatus(ctx, tx, p.program, id, STATUS[action], p.keyId);
        return resultBody(r);
      }) as never;
    });
  }
}
