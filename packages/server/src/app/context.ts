import type { Db } from "../db/connect.ts";
import type { Clock, IdGenerator, Logger, SecretGenerator } from "./ports.ts";
import type { RuleStore } from "./rules/rule-store.ts";
import type { CampaignStore } from "./promotions/campaign-store.ts";
import type { StampCardStore } from "./stamps/stamp-card-store.ts";

/** Everything a use case may touch, chosen once in the composition root (main.ts or a test). */
export interface AppContext {
  db: Db;
  dbKind: "pglite" | "postgres";
  clock: Clock;
  ids: IdGenerator;
  secrets: SecretGenerator;
  log: Logger;
  /** Compiled earning rules per program, cached. */
  rules: RuleStore;
  /** Compiled promotion campaigns per program, cached (fresh within a second on every process). */
  campaigns: CampaignStore;
  /** Stamp cards per program, compiled and cached (ingest pays nothing for them in a program without cards). */
  stamps: StampCardStore;
}
