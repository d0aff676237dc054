import { sql } from "drizzle-orm";
import { domainError, err, ladderPosition, ok, type DomainError, type ReferralReward, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { ensureReferralCode } from "./referral-codes.ts";
import { referralsOf } from "./attribute-referral.ts";

export interface ReferralFunnel {
  clicks: number;
  /** Friends attributed (signed up through a link or code), blocked and held ones apart. */
  signups: number;
  converted: number;
  blocked: number;
  held: number;
  rewards: { pending: { points: number; bonus: number }; available: { points: number; bonus: number }; cancelled: { points: number; bonus: number } };
}

export interface ReferrerView extends ReferralFunnel {
  code: string;
  /** The path of the personal link on this server (`/r/{programId}/{code}`): it records the visit and lands on the program's page. */
  linkPath: string;
  ladder: { step: number; next: { from: number; remaining: number; reward: ReferralReward } | null };
}

async function funnel(ex: Executor, programId: string, now: Date, referrerId: string | null): Promise<ReferralFunnel> {
  const who = referrerId ? sql`and referrer_id = ${referrerId}` : sql``;
  const [f] = await rows<{ clicks: number; signups: number; converted: number; blocked: number; held: number }>(
    ex,
    sql`select (select count(*)::int from referral_clicks where program_id = ${programId} ${who}) as clicks,
               count(*) filter (where status in ('attributed', 'converted'))::int as signups,
               count(*) filter (where status = 'converted')::int as converted,
               count(*) filter (where status = 'blocked')::int as blocked,
               count(*) filter (where status = 'held')::int as held
          from referrals where program_id = ${programId} ${who}`,
  );
  const rs = await rows<{ state: string; points: number; bonus: number }>(
    ex,
    sql`select case when status = 'cancelled' then 'cancelled' when available_at > ${now.toISOString()}::timestamptz then 'pending' else 'available' end as state,
               coalesce(sum(points), 0)::float8 as points, coalesce(sum(bonus), 0)::float8 as bonus
          from referral_rewards where program_id = ${programId} ${who} group by 1`,
  );
  const pick = (state: string) => {
    const r = rs.find((x) => x.state === state);
    return { points: Number(r?.points ?? 0), bonus: Number(r?.bonus ?? 0) };
  };
  return { ...f!, rewards: { pending: pick("pending"), available: pick("available"), cancelled: pick("cancelled") } };
}

/**
 * A referrer's code (made on first ask), link, clicks, signups, conversions, rewards pending and
 * earned, and ladder position.
 *
 * Errors: REFERRALS_NOT_CONFIGURED, CUSTOMER_NOT_FOUND.
 */
export async function referrerView(ctx: AppContext, ex: Executor, program: Program, externalId: string): Promise<Result<ReferrerView, DomainError>> {
  const settings = referralsOf(program);
  if (!settings.ok) return settings;
  const customer = await getCustomer(ex, program.id, externalId);
  if (!customer.ok) return customer;
  if (customer.value.status !== "active") return err(domainError("CUSTOMER_NOT_FOUND", `Customer "${externalId}" is not active.`, { externalId }));
  const code = await ensureReferralCode(ctx, ex, program.id, { id: customer.value.id, name: customer.value.name });
  const f = await funnel(ex, program.id, ctx.clock.now(), customer.value.id);
  const [conv] = await rows<{ n: number }>(ex, sql`select count(*)::int as n from referral_rewards where program_id = ${program.id} and referrer_id = ${customer.value.id} and kind = 'conversion' and status <> 'cancelled'`);
  return ok({ code: code.display, linkPath: `/r/${program.id}/${code.display}`, ...f, ladder: ladderPosition(settings.value, Number(conv?.n ?? 0)) });
}

/** The program's referral funnel. Errors: REFERRALS_NOT_CONFIGURED. */
export async function referralFunnel(ctx: AppContext, ex: Executor, program: Program): Promise<Result<ReferralFunnel, DomainError>> {
  const settings = referralsOf(program);
  if (!settings.ok) return settings;
  return ok(await funnel(ex, program.id, ctx.clock.now(), null));
}
