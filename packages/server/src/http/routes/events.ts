import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { Event, EventResult } from "../schemas.ts";
import { errorResponses, idempotencyHeader, ok, security } from "./common.ts";
import { problem } from "../problem.ts";
import { ingestEvents, ingestInTransaction } from "../../app/events/ingest-events.ts";
import { mutate } from "../mutate.ts";
import { IngestQueue } from "../../app/events/ingest-queue.ts";
import { dryRunEvent } from "../../app/events/dry-run.ts";
import type { EventInput, EventResult as Result } from "../../app/events/event-input.ts";

export const MAX_BATCH = 1000;

const one = createRoute({
  method: "post",
  path: "/v1/events",
  tags: ["Events"],
  summary: "Send one event",
  description:
    "Types: `customer.signed_up`, `order.completed`, `order.refunded`, `custom`, `customer.birthday` (sent by Patron's birthday job), `review.submitted` and `social.followed` (sent by the store once it has verified them), `wallet.topped_up` (a top-up: cashback rules listen to it; it credits nothing by itself). Every type runs the enabled earning rules that listen to it. The event's `id` is its idempotency key, forever: the same id and body returns the first result with `Idempotent-Replayed: true`; the same id with another body is IDEMPOTENCY_CONFLICT. A refused event has no effect and may be fixed and sent again with the same id.",
  security,
  request: { body: { content: { "application/json": { schema: Event } }, required: true } },
  responses: { 200: ok(EventResult, "Accepted (or replayed)"), ...errorResponses(400, 401, 409, 413, 422, 429) },
});

const batch = createRoute({
  method: "post",
  path: "/v1/events/batch",
  tags: ["Events"],
  summary: "Send up to 1,000 events at once",
  description:
    "Applied in order, in one database transaction. The whole batch is validated first (a malformed event refuses the batch with VALIDATION_FAILED and nothing is applied); each valid event then gets its own result: accepted, replayed, or rejected with a code, in the order sent. Rejected events have no effect.",
  security,
  request: { headers: idempotencyHeader, body: { content: { "application/json": { schema: z.strictObject({ events: z.array(Event).min(1).max(MAX_BATCH) }).openapi("EventBatch") } }, required: true } },
  responses: {
    200: ok(z.object({ results: z.array(EventResult), accepted: z.number().int(), replayed: z.number().int(), rejected: z.number().int() }).openapi("EventBatchResult"), "One result per event, in order"),
    ...errorResponses(400, 401, 413, 429),
  },
});

const dryRun = createRoute({
  method: "post",
  path: "/v1/events/dry-run",
  tags: ["Events", "Rules"],
  summary: "Evaluate an event without recording it",
  description:
    "Runs the event through the enabled rules exactly as `POST /v1/events` would now (schedules, conditions, limits, the customer's history), and returns the same result plus `effects.trace`: for each rule listening to the event, whether it awarded, did not match (with the part of the condition that was false and its value), was outside its schedule, over a limit, failed, or was not evaluated after a stop. Nothing is written.",
  security,
  request: { body: { content: { "application/json": { schema: Event } }, required: true } },
  responses: { 200: ok(EventResult, "What the event would do"), ...errorResponses(400, 401, 409, 413, 422, 429) },
});

type Parsed = z.infer<typeof Event>;
const toInput = (e: Parsed): EventInput => ({ ...e, occurredAt: e.occurredAt ? new Date(e.occurredAt) : undefined }) as EventInput;

export function registerEvents(app: App, deps: HttpDeps) {
  const queue = deps.ingest ?? new IngestQueue((program, events) => ingestEvents(deps.ctx, program, events), 1);
  app.openapi(one, async (c) => {
    const r = await queue.submit(c.get("principal").program, toInput(c.req.valid("json")));
    deps.afterIngest?.(1);
    if (r.status === "rejected") return problem(c, r.error);
    const { replayed, ...body } = r;
    return c.json(body, 200, replayed ? { "idempotent-replayed": "true" } : {});
  });

  app.openapi(dryRun, async (c) => {
    const r = await dryRunEvent(deps.ctx, c.get("principal").program, toInput(c.req.valid("json")));
    if (r.status === "rejected") return problem(c, r.error);
    const { replayed: _replayed, ...body } = r;
    return c.json(body, 200);
  });

  app.openapi(batch, async (c) => {
    const program = c.get("principal").program;
    const events = c.req.valid("json").events.map(toInput);
    deps.afterIngest?.(events.length);
    const answer = (results: Result[]) => {
      const count = (f: (r: Result) => boolean) => results.filter(f).length;
      return { results, accepted: count((r) => r.status === "accepted" && !r.replayed), replayed: count((r) => r.status === "accepted" && r.replayed), rejected: count((r) => r.status === "rejected") };
    };
    // With an Idempotency-Key the whole answer is stored and replayed byte for byte; without one,
    // each event is still idempotent by its id and a resent batch reports per-event replays.
    if (c.req.header("idempotency-key") !== undefined) {
      return mutate(c, deps, { events }, async (tx) => ({ status: 200, body: answer(await ingestInTransaction(deps.ctx, tx, program, events)) })) as never;
    }
    return c.json(answer(await ingestEvents(deps.ctx, program, events)) as never, 200);
  });
}
