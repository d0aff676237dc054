import { z } from "zod";

/**
 * The one typed configuration, parsed once at the edge (main.ts / the CLI) from the environment.
 * Nothing below the composition root reads process.env.
 */
const schema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://").optional(),
  PATRON_DATA_DIR: z.string().min(1).default("./.patron"),
  PORT: z.coerce.number().int().min(0).max(65535).default(4700),
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PATRON_DB_POOL: z.coerce.number().int().min(1).max(200).default(10),
  /** PostgreSQL: send BEGIN and COMMIT together with a statement (db/pipelined-client.ts). 0 sends them alone. */
  PATRON_PG_PIPELINE: z.enum(["0", "1"]).default("1"),
  /** Requests per second per API key (token bucket; burst = 2 × rate). 0 turns the limit off. */
  PATRON_RATE_LIMIT: z.coerce.number().int().min(0).default(200),
  PATRON_VALIDATE_RATE_LIMIT: z.coerce.number().int().min(0).default(20),
  /** Referral link visits (GET /r/…, public) per second per visitor address; 0 turns the limit off. */
  PATRON_CLICK_RATE_LIMIT: z.coerce.number().int().min(0).default(2),
  /** Behind a reverse proxy: take a visitor's address from X-Forwarded-For (else the socket's, which a client cannot forge). */
  PATRON_TRUST_PROXY: z.enum(["0", "1"]).default("0"),
  /** Transactions in flight per program for single events (group commit). 1 measured best (bench/README.md); PGlite is always 1. */
  PATRON_INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Group commit's linger: after a group, wait up to this long for its senders' next events (ingest-queue.ts). 0 turns it off. */
  PATRON_INGEST_LINGER_MS: z.coerce.number().int().min(0).max(50).default(2),
  /** Seconds between runs of the minute loop (pending releases). 0 turns it off. */
  PATRON_SETTLE_INTERVAL: z.coerce.number().int().min(0).default(60),
  /** The job queue (pg-boss): each program's daily job (expiry, tier reviews, birthdays). 0 turns it off. */
  PATRON_JOBS: z.enum(["0", "1"]).default("1"),
  /** Where customers reach this server (scheme, host, optional path prefix), for whole referral links. */
  PATRON_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Token for the deployment-level endpoints (POST /v1/programs). Unset: those endpoints are closed. */
  PATRON_ADMIN_TOKEN: z.string().min(16, "PATRON_ADMIN_TOKEN must be at least 16 characters").optional(),
});

export type Config = {
  database: { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string; pool: number; pipeline: boolean };
  port: number;
  host: string;
  logLevel: z.infer<typeof schema>["LOG_LEVEL"];
  rateLimit: number;
  /** POST /v1/codes/validate, per key per second (a guesser's endpoint). */
  validateRateLimit: number;
  /** GET /r/… per visitor address per second. */
  clickRateLimit: number;
  /** Read visitors' addresses from X-Forwarded-For. */
  trustProxy: boolean;
  ingestConcurrency: number;
  ingestLingerMs: number;
  settleIntervalSeconds: number;
  publicUrl: string | undefined;
  /** Run the job queue and its workers in this process. */
  jobs: boolean;
  adminToken: string | undefined;
};

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    database: e.DATABASE_URL ? { kind: "postgres", url: e.DATABASE_URL, pool: e.PATRON_DB_POOL, pipeline: e.PATRON_PG_PIPELINE === "1" } : { kind: "pglite", dataDir: e.PATRON_DATA_DIR },
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    rateLimit: e.PATRON_RATE_LIMIT,
    validateRateLimit: e.PATRON_VALIDATE_RATE_LIMIT,
    clickRateLimit: e.PATRON_CLICK_RATE_LIMIT,
    trustProxy: e.PATRON_TRUST_PROXY === "1",
    ingestConcurrency: e.DATABASE_URL ? e.PATRON_INGEST_CONCURRENCY : 1,
    ingestLingerMs: e.PATRON_INGEST_LINGER_MS,
    settleIntervalSeconds: e.PATRON_SETTLE_INTERVAL,
    jobs: e.PATRON_JOBS === "1",
    publicUrl: e.PATRON_PUBLIC_URL?.replace(/\/+$/, ""),
    adminToken: e.PATRON_ADMIN_TOKEN,
  };
}
