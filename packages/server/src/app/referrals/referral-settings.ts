import { and, eq } from "drizzle-orm";
import { checkReferralSettings, domainError, err, ok, type DomainError, type ReferralSettings, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { campaigns, programs } from "../../db/schema.ts";
import { recordAudit } from "../audit.ts";

/**
 * Sets the program's referral programme and the page its links land on. The friend's campaign must
 * be a bulk_codes campaign of the program (each friend gets one personal code of it).
 *
 * Errors: REFERRALS_INVALID.
 */
export async function setReferralSettings(ctx: AppContext, tx: Tx, programId: string, input: { settings: ReferralSettings | null; landingUrl: string | null }, actor: string): Promise<Result<{ settings: ReferralSettings | null; landingUrl: string | null }, DomainError>> {
  const s = input.settings;
  if (s) {
    const checked = checkReferralSettings(s);
    if (!checked.ok) return checked;
    if (s.friend.campaignId) {
      const [c] = await tx.select({ kind: campaigns.kind, status: campaigns.status }).from(campaigns).where(and(eq(campaigns.programId, programId), eq(campaigns.id, s.friend.campaignId)));
      if (!c || c.kind !== "bulk_codes" || c.status === "archived") {
        return err(domainError("REFERRALS_INVALID", `friend.campaignId must name a live bulk_codes campaign of this program ("${s.friend.campaignId}" is ${c ? `a ${c.status} ${c.kind} campaign` : "unknown"}).`, { field: "friend.campaignId" }));
      }
    }
  }
  await tx.update(programs).set({ referrals: s, referralLandingUrl: input.landingUrl, updatedAt: ctx.clock.now() }).where(eq(programs.id, programId));
  await recordAudit(ctx, tx, { programId, actor, action: "referrals.updated", target: programId, reason: null, data: { settings: s, landingUrl: input.landingUrl } });
  return ok({ settings: s, landingUrl: input.landingUrl });
}
