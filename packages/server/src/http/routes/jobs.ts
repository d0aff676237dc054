import { createRoute, z } from "@hono/zod-openapi";
import type { App, HttpDeps } from "../env.ts";
import { errorResponses, ok, security } from "./common.ts";
import { listJobRuns, runDaily } from "../../jobs/daily.ts";
import { queryInt } from "../schemas.ts";

const DailyResult = z
  .object({
    date: z.string().openapi({ description: "The program's local date the run was for." }),
    settled: z.object({ transactions: z.number().int(), customers: z.number().int() }).openapi({ description: "Expiry and release transactions written, and the customers they touched." }),
    tiers: z.object({ reviewed: z.number().int(), downgraded: z.number().int() }),
    birthdays: z.object({ day: z.number().int(), monthStart: z.number().int() }).openapi({ description: "Birthday events sent." }),
  })
  .openapi("DailyJobResult");

const JobRun = z
  .object({ job: z.string(), runKey: z.string().openapi({ description: "For the daily job, the local date." }), ranAt: z.string(), runs: z.number().int().openapi({ description: "Runs of this key: retries, other servers and manual runs count." }), result: z.unknown().openapi({ description: "For the daily job, a DailyJobResult: what all the runs of the date did, added up." }) })
  .openapi("JobRun");

const history = createRoute({
  method: "get",
  path: "/v1/jobs",
  tags: ["Program"],
  summary: "The program's job history",
  description: "What the program's scheduled jobs did, newest first: the daily job (expiry, tier reviews, birthdays) once per local date.",
  security,
  request: { query: z.object({ limit: queryInt(1, 366, 30) }) },
  responses: { 200: ok(z.object({ data: z.array(JobRun) }).openapi("JobRuns"), "Job runs"), ...errorResponses(400, 401) },
});

const daily = createRoute({
  method: "post",
  path: "/v1/jobs/daily",
  tags: ["Program"],
  summary: "Run the daily job now",
  description:
    "The job queue runs it for each program at 00:05 in the program's time zone: lots whose date has come expire, tiers whose period has ended are reviewed, and the day's birthday events are sent. Run it now, for example after changing the clock of a test deployment; running it twice or concurrently changes nothing twice.",
  security,
  responses: { 200: ok(DailyResult, "What the run did"), ...errorResponses(401) },
});

export function registerJobs(app: App, deps: HttpDeps) {
  const { ctx } = deps;
  app.openapi(history, async (c) => c.json({ data: await listJobRuns(ctx, c.get("principal").program.id, c.req.valid("query").limit) }, 200));
  app.openapi(daily, async (c) => c.json(await runDaily(ctx, c.get("principal").program), 200));
}
