import { serve, type ServerType } from "@hono/node-server";
import { mkdirSync } from "node:fs";
import pino from "pino";
import type { Config } from "./config.ts";
import { openPglite, openPostgres, type Database } from "./db/connect.ts";
import { createApp } from "./http/app.ts";
import { KeyAuthenticator } from "./app/keys/authenticate.ts";
import { randomSecrets, systemClock, ulidIds, type Clock } from "./app/ports.ts";
import type { AppContext } from "./app/context.ts";
import { startSettlement } from "./jobs/settlement.ts";
import { startJobQueue, type JobQueue } from "./jobs/job-queue.ts";
import { IngestQueue } from "./app/events/ingest-queue.ts";
import { AutoAnalyze } from "./db/analyze.ts";
import { ingestEvents } from "./app/events/ingest-events.ts";
import { CampaignStore } from "./app/promotions/campaign-store.ts";
import { RuleStore } from "./app/rules/rule-store.ts";
import { StampCardStore } from "./app/stamps/stamp-card-store.ts";

/** The composition root: every adapter is chosen here, once. */

export async function openDatabase(config: Config): Promise<Database> {
  if (config.database.kind === "postgres") return openPostgres(config.database);
  mkdirSync(config.database.dataDir, { recursive: true });
  return openPglite({ dataDir: config.database.dataDir });
}

export function createLogger(level: Config["logLevel"]) {
  // Structured JSON logs. Nothing logs request bodies, API keys or customer data (see http/app.ts).
  return pino({ level, base: { service: "patron" }, redact: ["req.headers.authorization", "*.secret", "*.email", "*.phone"] });
}

export function createContext(database: Database, log: AppContext["log"], clock: Clock = systemClock): AppContext {
  return { db: database.db, dbKind: database.kind, clock, ids: ulidIds(), secrets: randomSecrets, log, rules: new RuleStore(), campaigns: new CampaignStore(), stamps: new StampCardStore() };
}

export interface RunningServer {
  url: string;
  database: Database;
  ctx: AppContext;
  close(): Promise<void>;
}

/** Opens the database, migrates, and serves the API until `close()`. */
export async function startServer(config: Config, opts: { database?: Database } = {}): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  const database = opts.database ?? (await openDatabase(config));
  await database.migrate();
  const ctx = createContext(database, log);
  const ingest = new IngestQueue((program, events) => ingestEvents(ctx, program, events), config.ingestConcurrency, { lingerMs: config.ingestLingerMs });
  const analyze = new AutoAnalyze(ctx);
  const app = createApp({ ctx, auth: new KeyAuthenticator(ctx.db, ctx.clock), adminToken: config.adminToken, publicUrl: config.publicUrl, rateLimit: config.rateLimit, validateRateLimit: config.validateRateLimit, clickRateLimit: config.clickRateLimit, trustProxy: config.trustProxy, ingest, afterIngest: (n) => analyze.record(n) });
  const settlement = startSettlement(ctx, config.settleIntervalSeconds);
  const jobs: JobQueue | null = config.jobs ? await startJobQueue(ctx, database) : null;
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once("error", (e: NodeJS.ErrnoException) => {
      settlement.stop();
      void jobs?.stop();
      reject(e.code === "EADDRINUSE" ? new Error(`Port ${config.port} on ${config.host} is already in use: stop the other process or set PORT.`) : e);
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info({ url, database: database.kind }, "Patron is listening");
  return {
    url,
    database,
    ctx,
    async close() {
      settlement.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await jobs?.stop();
      await database.close();
    },
  };
}
