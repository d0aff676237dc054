import { sql } from "drizzle-orm";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { findReferralCode } from "./referral-codes.ts";

/**
 * A visit through a referral link: recorded with its IP and device (for the self-referral checks),
 * then the visitor goes on to the program's landing page with `ref` (the code, to show and to type)
 * and `click` (the id to carry into the signup, so the first touch wins). An unknown code still
 * lands, without them: a visitor never meets a dead link. Null: the program has no landing page.
 */
export async function recordClick(ctx: AppContext, ex: Executor, program: Program, typed: string, seen: { ip: string | null; device: string | null }): Promise<{ location: string; clickId: string | null } | null> {
  if (!program.referralLandingUrl || !program.referrals?.enabled) return null;
  const url = new URL(program.referralLandingUrl);
  const found = await findReferralCode(ex, program.id, typed);
  if (!found) return { location: url.toString(), clickId: null };
  const id = ctx.ids.next("clk");
  await ex.execute(sql`insert into referral_clicks (id, program_id, code, referrer_id, ip, device, created_at)
    values (${id}, ${program.id}, ${found.code}, ${found.customerId}, ${seen.ip}, ${seen.device}, ${ctx.clock.now().toISOString()}::timestamptz)`);
  url.searchParams.set("ref", found.display);
  url.searchParams.set("click", id);
  return { location: url.toString(), clickId: id };
}
