import { sql } from "drizzle-orm";
import { DAY_MS } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
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
  const now = ctx.clock.now();
  // The same visitor (address and device) on the same link within a day is the same visit: its
  // click again, not a new row (a reload, a second tap), so "first touch" keeps its first time and
  // the table does not grow with every reload. A visitor who cannot be told apart always counts.
  const [again] =
    seen.ip !== null || seen.device !== null
      ? await rows<{ id: string }>(
          ex,
          sql`select id from referral_clicks where program_id = ${program.id} and referrer_id = ${found.customerId} and created_at > ${new Date(now.getTime() - DAY_MS).toISOString()}::timestamptz
                and code = ${found.code} and ip is not distinct from ${seen.ip} and device is not distinct from ${seen.device}
              order by created_at limit 1`,
        )
      : [];
  const id = again?.id ?? ctx.ids.next("clk");
  if (!again) {
    await ex.execute(sql`insert into referral_clicks (id, program_id, code, referrer_id, ip, device, created_at)
      values (${id}, ${program.id}, ${found.code}, ${found.customerId}, ${seen.ip}, ${seen.device}, ${now.toISOString()}::timestamptz)`);
  }
  url.searchParams.set("ref", found.display);
  url.searchParams.set("click", id);
  return { location: url.toString(), clickId: id };
}
