import { eq, sql } from "drizzle-orm";
import { checkTierScheme, domainError, err, ok, type DomainError, type Result, type TierScheme } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { programs } from "../../db/schema.ts";
import { recordAudit } from "../audit.ts";
import { checkFreeReward } from "../rewards/free-rewards.ts";

/**
 * Sets (or with null, removes) the program's tier scheme. A level that customers hold cannot be
 * removed or renamed: move them first (PUT /v1/customers/{id}/tier), so no customer is left on a
 * level that no longer exists. Raising a threshold changes nobody at once: upgrades follow activity,
 * downgrades follow reviews. A level's entry reward must be a reward of the catalogue that can be
 * given for free (not archived, not a wallet credit): a reward archived later is simply not given.
 *
 * Errors: TIERS_INVALID.
 */
export async function setTierScheme(ctx: AppContext, tx: Tx, programId: string, scheme: TierScheme | null, actor: string): Promise<Result<TierScheme | null, DomainError>> {
  if (scheme) {
    const checked = checkTierScheme(scheme);
    if (!checked.ok) return checked;
    // What only the database knows: each entry reward is a reward of this catalogue that can be given for free.
    for (const [i, level] of scheme.levels.entries()) {
      const rewardId = level.benefits.entryReward;
      const bad = rewardId ? await checkFreeReward(tx, programId, rewardId) : null;
      if (bad) return err(domainError("TIERS_INVALID", `Level "${level.key}" gives an entry reward for free: ${bad.message}`, { field: `levels[${i}].benefits.entryReward`, rewardId, reason: bad.reason }));
    }
  }
  // The program row is locked so a manual tier change cannot slip in between the check and the update.
  await tx.execute(sql`select 1 from programs where id = ${programId} for update`);
  const held = await rows<{ tier: string; n: number }>(tx, sql`select tier, count(*)::int as n from customer_tiers where program_id = ${programId} and tier is not null group by tier`);
  const keys = new Set(scheme?.levels.map((l) => l.key) ?? []);
  const orphaned = held.filter((h) => !keys.has(h.tier));
  if (orphaned.length > 0) {
    return err(domainError("TIERS_INVALID", `Customers hold ${orphaned.map((o) => `"${o.tier}" (${o.n})`).join(", ")}: keep ${orphaned.length === 1 ? "that level" : "those levels"} in the scheme, or move those customers first.`, { field: "levels", levelsInUse: orphaned.map((o) => ({ key: o.tier, customers: Number(o.n) })) }));
  }
  await tx.update(programs).set({ tiers: scheme, updatedAt: ctx.clock.now() }).where(eq(programs.id, programId));
  await recordAudit(ctx, tx, { programId, actor, action: scheme ? "tiers.updated" : "tiers.removed", target: programId, reason: null, data: scheme ? { ...scheme } : {} });
  return ok(scheme);
}
