import { sql } from "drizzle-orm";
import {
  applyPlan, DAY_MS, domainError, err, expiresAt, normalizeEmail, normalizePhone, ok, planCredit, selfReferralFlags, type DomainError, type ReferralFlag, type ReferralIdentity, type ReferralSettings, type Result, type Holdings,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { ensureCustomers } from "../../db/orders-repo.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { findReferralCode } from "./referral-codes.ts";
import { issuePersonalCode } from "../promotions/campaign-codes.ts";
import { ReferralBatch, type ReferralEffect } from "./referral-batch.ts";
import { FreeRewards } from "../rewards/free-rewards.ts";
import { TierBatch, type TierEffect } from "../tiers/tier-batch.ts";

export interface AttributionInput {
  /** The friend: the store's customer id (created if unknown). */
  friendId: string;
  /** The referral code the friend typed, or… */
  code?: string | undefined;
  /** …the click id their referral link carried (first touch: it wins over a typed code). */
  clickId?: string | undefined;
  /** What the store knows about the friend, for the self-referral checks. */
  email?: string | undefined;
  phone?: string | undefined;
  address?: string | undefined;
  device?: string | undefined;
  ip?: string | undefined;
}

/** What a `customer.signed_up` event may carry to be attributed (the profile gives email and phone). */
export type SignupReferral = Pick<AttributionInput, "code" | "clickId" | "address" | "device" | "ip">;

/**
 * Attribution from a signup event, inside its ingest: a refusal (an unknown code, a friend referred
 * before, no referral programme) is reported, not thrown, so the signup itself is still accepted; a
 * refusal writes nothing.
 */
export async function attributeAtSignup(ctx: AppContext, tx: Tx, program: Program, friendId: string, profile: { email?: string | null | undefined; phone?: string | null | undefined }, referral: SignupReferral): Promise<Attribution | { error: { code: string; message: string } }> {
  const r = await attributeReferral(ctx, tx, program, { friendId, ...referral, ...(profile.email ? { email: profile.email } : {}), ...(profile.phone ? { phone: profile.phone } : {}) });
  return r.ok ? r.value : { error: { code: r.error.code, message: r.error.message } };
}

export interface Attribution {
  referralId: string;
  referrerId: string;
  friendId: string;
  /** attributed: counts; blocked: a self-referral or a friend who is not new, earns nothing; held: waits for review. */
  status: "attributed" | "blocked" | "held";
  flags: ReferralFlag[];
  /** The friend's first-order code, if the programme gives one (attributed referrals only). */
  friendCode: { code: string; expiresAt: string } | null;
  friendPoints: number;
  /** `on: "signup"`: what the referrer got (pending until the hold passes) or why not. */
  referrerReward?: ReferralEffect;
  /** Tiers by referrals, `on: "signup"`: the referrer's tier went up at this conversion. */
  referrerTier?: TierEffect;
}

/** Proof that friend and referrer are one person: blocked. The rest (a shared address, device or network) may be a household: held for review. */
const PROOF: ReadonlySet<ReferralFlag> = new Set(["SELF_REFERRAL", "SAME_EMAIL", "SAME_PHONE", "FRIEND_NOT_NEW"]);

export function referralsOf(program: Program): Result<ReferralSettings, DomainError> {
  return program.referrals?.enabled ? ok(program.referrals) : err(domainError("REFERRALS_NOT_CONFIGURED", "This program has no referral programme: PUT /v1/referrals first."));
}

/**
 * Attributes a friend to a referrer, once: by the link's click id (within the attribution window)
 * or by a typed code. Self-referral checks compare the friend with the referrer (the same customer,
 * mailbox, phone, address, device or IP: the referrer's from their profile attributes `address`,
 * `device`, `ip`); a friend with earlier orders is not new. A clean referral gives the friend their
 * first-order code and points at once; the referrer is rewarded later, when the friend converts.
 *
 * Errors: REFERRALS_NOT_CONFIGURED, REFERRAL_CODE_UNKNOWN, ALREADY_REFERRED.
 */
export async function attributeReferral(ctx: AppContext, tx: Tx, program: Program, input: AttributionInput): Promise<Result<Attribution, DomainError>> {
  const settings = referralsOf(program);
  if (!settings.ok) return settings;
  const s = settings.value;
  const now = ctx.clock.now();
  let referrerRowId: string | null = null;
  let code = "";
  let clickId: string | null = null;
  if (input.clickId) {
    const [click] = await rows<{ id: string; code: string; referrer_id: string; created_at: string | Date }>(tx, sql`select id, code, referrer_id, created_at from referral_clicks where program_id = ${program.id} and id = ${input.clickId}`);
    if (click && now.getTime() - new Date(click.created_at).getTime() <= s.attributionDays * DAY_MS) {
      referrerRowId = click.referrer_id;
      code = click.code;
      clickId = click.id;
    }
  }
  if (!referrerRowId && input.code) {
    const found = await findReferralCode(tx, program.id, input.code);
    if (found) {
      referrerRowId = found.customerId;
      code = found.code;
    }
  }
  if (!referrerRowId) {
    return err(domainError("REFERRAL_CODE_UNKNOWN", input.code ? `No referral code "${input.code}" in this program.` : "The click id is unknown or older than the attribution window.", { code: input.code ?? null, clickId: input.clickId ?? null }));
  }
  const friend = (await ensureCustomers(tx, program.id, [{ id: ctx.ids.next("cus"), externalId: input.friendId }], now)).get(input.friendId)!;
  const [existing] = await rows<{ id: string; referrer_id: string }>(tx, sql`select id, referrer_id from referrals where program_id = ${program.id} and friend_id = ${friend.id}`);
  if (existing) return err(domainError("ALREADY_REFERRED", "This customer was referred before; a customer is referred once.", { referralId: existing.id }));

  const people = await rows<{ id: string; external_id: string; email: string | null; phone: string | null; attributes: Record<string, unknown> | string; orders: number }>(
    tx,
    sql`select c.id, c.external_id, c.email, c.phone, c.attributes, (select count(*)::int from orders o where o.program_id = c.program_id and o.customer_id = c.id) as orders
          from customers c where c.program_id = ${program.id} and c.id in (${referrerRowId}, ${friend.id})`,
  );
  const row = (id: string) => people.find((p) => p.id === id)!;
  const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : null);
  const identity = (id: string, over: Partial<ReferralIdentity>): ReferralIdentity => {
    const p = row(id);
    const attrs = (typeof p.attributes === "string" ? JSON.parse(p.attributes) : p.attributes) as Record<string, unknown>;
    return { customerId: id, email: p.email, phone: p.phone, address: text(attrs.address), device: text(attrs.device), ip: text(attrs.ip), ...Object.fromEntries(Object.entries(over).filter(([, v]) => v)) };
  };
  const friendIdentity = identity(friend.id, {
    email: input.email ? normalizeEmail(input.email) : undefined, phone: input.phone ? (normalizePhone(input.phone, program.defaultCountry ?? undefined) ?? input.phone) : undefined,
    address: input.address, device: input.device, ip: input.ip,
  } as Partial<ReferralIdentity>);
  const flags = selfReferralFlags(identity(referrerRowId, {}), friendIdentity);
  if (row(friend.id).orders > 0) flags.push("FRIEND_NOT_NEW");
  const status: Attribution["status"] = flags.length === 0 ? "attributed" : flags.some((f) => PROOF.has(f)) || !s.holdSuspicious ? "blocked" : "held";

  // The row first: the unique friend index makes a concurrent second attribution lose here, before
  // anything is given.
  const referralId = ctx.ids.next("rfl");
  const inserted = await rows<{ id: string }>(
    tx,
    sql`insert into referrals (id, program_id, referrer_id, friend_id, code, click_id, status, flags, attributed_at)
        values (${referralId}, ${program.id}, ${referrerRowId}, ${friend.id}, ${code}, ${clickId}, ${status}, ${`{${flags.join(",")}}`}::text[], ${now.toISOString()}::timestamptz)
        on conflict do nothing returning id`,
  );
  if (inserted.length === 0) return err(domainError("ALREADY_REFERRED", "This customer was referred before; a customer is referred once.", {}));
  let friendCode: Attribution["friendCode"] = null;
  let friendPoints = 0;
  let referrerReward: ReferralEffect | null = null;
  let referrerTier: TierEffect | null = null;
  if (status === "attributed") {
    // Referrer converted at signup: their balances are locked with the friend's, in one statement.
    const batch = s.referrer.on === "signup" ? ReferralBatch.forSignup(ctx, program, s, { id: referralId, referrerId: referrerRowId, referrerExternalId: row(referrerRowId).external_id, friendId: friend.id, attributedAt: now }) : null;
    // Tiers by referrals: the referrer's points too, for a level's entry points.
    const tierKeys = batch && program.tiers?.basis === "referrals" ? [{ customerId: referrerRowId, asset: "points" as const }] : [];
    const holdings = await loadHoldingsOf(tx, program.id, [...(s.friend.points > 0 ? [{ customerId: friend.id, asset: "points" as const }] : []), ...(batch?.holdingKeys ?? []), ...tierKeys], now, { lots: false });
    const given = await giveFriendReward(ctx, tx, program, s, friend.id, referralId, now, holdings);
    friendCode = given.code;
    friendPoints = given.points;
    if (friendCode) await tx.execute(sql`update referrals set friend_code = ${friendCode.code} where id = ${referralId}`);
    if (batch) {
      await batch.lockState(tx);
      const ledger = new LedgerWrites(program.id);
      referrerReward = batch.onSignup(friend.id, holdings, ledger, now);
      const parts = [ledger.ctes(now), ...batch.ctes(now)].filter((p) => p !== null);
      if (parts.length > 0) await tx.execute(sql`with ${sql.join(parts, sql`, `)} select 1`);
      // Tiers by referrals: measured after the conversion is written, so it counts.
      if (referrerReward?.reward && tierKeys.length > 0) {
        const tiers = await TierBatch.prepare(ctx, tx, program, [referrerRowId], now);
        const tierLedger = new LedgerWrites(program.id);
        const rewards = new FreeRewards(ctx, program.id);
        referrerTier = tiers?.settle(referrerRowId, holdings, tierLedger, now, now) ?? null;
        await tiers?.giveRewards(tx, rewards, now);
        const tierParts = [tierLedger.ctes(now), tiers?.ctes(now) ?? null, ...rewards.ctes(now)].filter((p) => p !== null);
        if (tierParts.length > 0) await tx.execute(sql`with ${sql.join(tierParts, sql`, `)} select 1`);
      }
    }
  }
  return ok({ referralId, referrerId: row(referrerRowId).external_id, friendId: input.friendId, status, flags, friendCode, friendPoints, ...(referrerReward ? { referrerReward } : {}), ...(referrerTier ? { referrerTier } : {}) });
}

/**
 * The friend's side: a personal code of the programme's campaign, valid `validDays`, and the friend's
 * points, on `holdings` if the caller locked them with others (else locked here).
 */
export async function giveFriendReward(ctx: AppContext, tx: Tx, program: Program, s: ReferralSettings, friendRowId: string, referralId: string, now: Date, locked?: Map<string, Holdings>): Promise<{ code: { code: string; expiresAt: string } | null; points: number }> {
  let code: { code: string; expiresAt: string } | null = null;
  if (s.friend.campaignId) {
    const expires = new Date(now.getTime() + s.friend.validDays * DAY_MS);
    const drawn = ctx.secrets.rewardCode();
    const issued = await issuePersonalCode(tx, { programId: program.id, campaignId: s.friend.campaignId, code: drawn, customerId: friendRowId, value: null, expiresAt: expires, now });
    if (issued) code = { code: drawn, expiresAt: expires.toISOString() };
  }
  if (s.friend.points > 0) {
    const holdings = locked ?? (await loadHoldingsOf(tx, program.id, [{ customerId: friendRowId, asset: "points" }], now, { lots: false }));
    const h = holdings.get(holdingKey(friendRowId, "points"))!;
    const plan = planCredit(h, { amount: s.friend.points, lotId: ctx.ids.next("lot"), effectiveAt: now, pendingUntil: null, expiresAt: expiresAt(program.ledgerPolicy.expiry, now, program.timeZone), now });
    const writes = new LedgerWrites(program.id);
    writes.add({ id: ctx.ids.next("txn"), type: "earn", customerId: friendRowId, reference: `referral-friend:${referralId}`, reversesId: null, source: { kind: "referral_friend", referralId }, metadata: { referralId }, effectiveAt: now }, plan, applyPlan(h, plan));
    await writes.flush(tx, now);
    holdings.set(holdingKey(friendRowId, "points"), applyPlan(h, plan));
  }
  return { code, points: s.friend.points };
}
