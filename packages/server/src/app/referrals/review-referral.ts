import { sql } from "drizzle-orm";
import { domainError, err, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { giveFriendReward, referralsOf } from "./attribute-referral.ts";

/**
 * A person's decision on a referral held as suspicious: approved, it counts from now on (the friend
 * gets their reward now; a conversion before the approval is not paid retroactively); rejected, it is
 * blocked for good. Recorded in the audit log with the reason.
 *
 * Errors: REFERRALS_NOT_CONFIGURED, REFERRAL_NOT_FOUND, REFERRAL_NOT_HELD.
 */
export async function reviewReferral(ctx: AppContext, tx: Tx, program: Program, referralId: string, decision: "approve" | "reject", reason: string, actor: string): Promise<Result<{ referralId: string; status: string }, DomainError>> {
  const settings = referralsOf(program);
  if (!settings.ok) return settings;
  const [r] = await rows<{ id: string; friend_id: string; status: string }>(tx, sql`select id, friend_id, status from referrals where program_id = ${program.id} and id = ${referralId} for update`);
  if (!r) return err(domainError("REFERRAL_NOT_FOUND", `No referral "${referralId}" in this program.`, { referralId }));
  if (r.status !== "held") return err(domainError("REFERRAL_NOT_HELD", `Only held referrals are reviewed; this one is ${r.status}.`, { referralId, status: r.status }));
  const now = ctx.clock.now();
  const status = decision === "approve" ? "attributed" : "blocked";
  let friendCode: string | null = null;
  if (status === "attributed") friendCode = (await giveFriendReward(ctx, tx, program, settings.value, r.friend_id, r.id, now)).code?.code ?? null;
  await tx.execute(sql`update referrals set status = ${status}, reviewed_at = ${now.toISOString()}::timestamptz, friend_code = coalesce(${friendCode}, friend_code) where id = ${r.id}`);
  await recordAudit(ctx, tx, { programId: program.id, actor, action: `referral.${decision}d`, target: r.id, reason, data: {} });
  return ok({ referralId: r.id, status });
}
