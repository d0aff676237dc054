import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Principal } from "../app/keys/authenticate.ts";
import type { AppContext } from "../app/context.ts";
import type { KeyAuthenticator } from "../app/keys/authenticate.ts";
import type { IngestQueue } from "../app/events/ingest-queue.ts";

export type Env = { Variables: { principal: Principal; requestId: string } };
export type App = OpenAPIHono<Env>;

export interface HttpDeps {
  ctx: AppContext;
  auth: KeyAuthenticator;
  adminToken: string | undefined;
  /** Requests per second per key; 0 = off. */
  rateLimit: number;
  /** Requests per second per key on POST /v1/codes/validate; 0 or absent: no separate limit. */
  validateRateLimit?: number;
  /** Referral link visits per second per visitor address; 0 or absent: no limit. */
  clickRateLimit?: number;
  /** Take visitors' addresses from X-Forwarded-For (a reverse proxy sets it); otherwise the socket's. */
  trustProxy?: boolean;
  /** Group commit for single events; createApp makes one when it is not given. */
  ingest?: IngestQueue;
  /** Where customers reach this server (PATRON_PUBLIC_URL), for absolute referral links; absent: paths only. */
  publicUrl?: string | undefined;
  /** Told how many events each ingest applied (keeps planner statistics fresh; see db/analyze.ts). */
  afterIngest?: (events: number) => void;
}
