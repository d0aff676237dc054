import { and, eq, sql } from "drizzle-orm";
import type { CampaignDefinition } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { campaigns } from "../../db/schema.ts";
import { SingleFlight } from "../single-flight.ts";
import { compileCampaign, ProgramCampaigns } from "./campaign-index.ts";

/** How stale a process's view of the campaigns may be: the issue asks for fresh within 1 second. */
const CHECK_MS = 500;

/**
 * Compiled campaigns per program, cached in memory. Every campaign change bumps
 * `programs.campaigns_version` in its transaction; a process checks that number at most every
 * CHECK_MS and reloads when it moved, so a change made anywhere applies everywhere within a second.
 * Unchanged campaigns (same id and version) keep their compiled form across reloads.
 */
export class CampaignStore {
  private cache = new Map<string, { checkedAt: number; loaded: ProgramCampaigns }>();
  private checks = new SingleFlight<ProgramCampaigns>();

  invalidate(programId: string): void {
    this.cache.delete(programId);
    this.checks.forget();
  }

  async active(ex: Executor, programId: string): Promise<ProgramCampaigns> {
    const hit = this.cache.get(programId);
    if (hit && performance.now() - hit.checkedAt < CHECK_MS) return hit.loaded;
    return this.checks.run(ex, programId, () => this.check(ex, programId));
  }

  /** Reads the program's campaigns version and reloads what changed. */
  private async check(ex: Executor, programId: string): Promise<ProgramCampaigns> {
    const now = performance.now();
    const hit = this.cache.get(programId);
    const [v] = await rows<{ v: number }>(ex, sql`select campaigns_version::float8 as v from programs where id = ${programId}`);
    const version = Number(v?.v ?? 0);
    if (hit && hit.loaded.version === version) {
      hit.checkedAt = now;
      return hit.loaded;
    }
    const rs = await ex
      .select({ id: campaigns.id, version: campaigns.version, definition: campaigns.definition })
      .from(campaigns)
      .where(and(eq(campaigns.programId, programId), eq(campaigns.status, "enabled")));
    const list = rs.map((r) => {
      const had = hit?.loaded.byId.get(r.id);
      return had && had.version === r.version ? had : compileCampaign(r.id, r.version, r.definition as CampaignDefinition);
    });
    const loaded = new ProgramCampaigns(version, list);
    this.cache.set(programId, { checkedAt: now, loaded });
    return loaded;
  }
}
