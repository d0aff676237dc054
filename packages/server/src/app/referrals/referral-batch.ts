import { sql, type SQL } from "drizzle-orm";
import {
  addLocalMonths, applyPlan, commissionFor, planDebit, WORLD, DAY_MS, expiresAt, periodKey, planCredit, planReversal, referrerReward, type Asset, type Holdings, type Posting, type ReferralSettings, pushTo,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { holdingKey, type HoldingKey, type LedgerWrites } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";

/** What an order event tells the sender about the referral it converted or paid a commission on. */
export interface ReferralEffect {
  referralId: string;
  referrerId: string;
  /** The referrer's reward for this conversion (pending until `availableAt`); absent on a commission-only order or over a cap. */
  reward?: { points: number; bonus: number; sequence: number; availableAt: string };
  commission?: { points: number; bonus: number; availableAt: string };
  /** Why the referrer got nothing for this conversion. */
  skipped?: "REFERRER_CAP_REACHED";
}

interface ReferralRow {
  id: string;
  referrerId: string;
  referrerExternalId: string;
  friendId: string;
  status: string;
  attributedAt: Date;
}

interface RewardRow {
  id: string;
  referral_id: string;
  referrer_id: string;
  order_id: string | null;
  kind: string;
  points: number;
  bonus: number;
  status: string;
  available_at: string | Date | null;
  transaction_ids: string[];
  created_at: string | Date;
}



/**
 * Referrals during an event batch (ingest-events.ts), in the batch's steps: `match` finds the
 * referrals of the batch's order customers before any lock (so the referrers' balances are locked
 * with the others, in one statement); `lockState` reads, under those locks, what caps, the ladder and
 * commissions need; `onOrder` and `onRefund` decide; `ctes` writes with the batch.
 *
 * A conversion's reward is credited to the referrer as pending value (held `holdDays`); a refund in
 * full of the converting order within the hold reverses it. After the hold it stays earned.
 */
export class ReferralBatch {
  private rewards: RewardRow[] = [];
  private readonly newRewards: { id: string; referral_id: string; referrer_id: string; order_id: string | null; kind: string; sequence: number | null; points: number; bonus: number; available_at: string; transaction_ids: string[] }[] = [];
  private readonly converted = new Set<string>();
  private readonly cancelled = new Set<string>();
  /** Commissions reduced by partial refunds in this batch: what is left of each. */
  private readonly reduced = new Map<string, { points: number; bonus: number }>();

  private constructor(
    private readonly ctx: AppContext,
    private readonly program: Program,
    private readonly s: ReferralSettings,
    private readonly byFriend: Map<string, ReferralRow>,
  ) {}

  /** Null when the program has no referral programme or none of these customers was referred (and counts). */
  static async match(ctx: AppContext, tx: Tx, program: Program, friendIds: readonly string[]): Promise<ReferralBatch | null> {
    const s = program.referrals;
    if (!s?.enabled || friendIds.length === 0) return null;
    const rs = await rows<{ id: string; referrer_id: string; external_id: string; friend_id: string; status: string; attributed_at: string | Date }>(
      tx,
      sql`select r.id, r.referrer_id, c.external_id, r.friend_id, r.status, r.attributed_at from referrals r join customers c on c.id = r.referrer_id
           where r.program_id = ${program.id} and r.friend_id = any(${textArray([...new Set(friendIds)])}) and r.status in ('attributed', 'converted')`,
    );
    if (rs.length === 0) return null;
    return new ReferralBatch(ctx, program, s, new Map(rs.map((r) => [r.friend_id, { id: r.id, referrerId: r.referrer_id, referrerExternalId: r.external_id, friendId: r.friend_id, status: r.status, attributedAt: new Date(r.attributed_at) }])));
  }

  private assets(): Asset[] {
    const out = new Set<Asset>();
    const add = (r: { points?: number | undefined; bonus?: number | undefined }) => {
      if (r.points) out.add("points");
      if (r.bonus) out.add("bonus");
    };
    add(this.s.referrer.reward);
    for (const l of this.s.referrer.ladder) add(l.reward);
    if (this.s.commission) out.add(this.s.commission.asset);
    return [...out];
  }

  /** The referrers of the batch's friends (internal ids). */
  get referrerIds(): string[] {
    return [...new Set([...this.byFriend.values()].map((r) => r.referrerId))];
  }

  /** The referrer of a friend of the batch (internal id), if the friend was referred. */
  referrerRowId(friendId: string): string | null {
    return this.byFriend.get(friendId)?.referrerId ?? null;
  }

  /** The referrers' balances the batch may credit or debit: lock them with the others. */
  get holdingKeys(): HoldingKey[] {
    const assets = this.assets();
    return this.referrerIds.flatMap((customerId) => assets.map((asset) => ({ customerId, asset })));
  }

  /** Reads the referrers' rewards so far, under their balance locks (so caps and the ladder are counted exactly). */
  async lockState(tx: Tx): Promise<void> {
    const referrers = this.referrerIds;
    this.rewards = await rows<RewardRow>(
      tx,
      sql`select id, referral_id, referrer_id, order_id, kind, points::float8 as points, bonus::float8 as bonus, status, available_at, transaction_ids, created_at
            from referral_rewards where program_id = ${this.program.id} and referrer_id = any(${textArray(referrers)})`,
    );
  }

  private live(referrerId: string) {
    return [...this.rewards, ...this.newRewards.map((r) => ({ ...r, status: "pending", created_at: new Date() }) as unknown as RewardRow)].filter((r) => r.referrer_id === referrerId && r.status !== "cancelled" && !this.cancelled.has(r.id));
  }

  /**
   * An order of a referred friend: converts the referral (first order, or every order within the
   * months) with the referrer's ladder reward, within the caps, and pays the commission, each as
   * pending value on the referrer's holdings. Null when the order does nothing for a referrer.
   */
  onOrder(friendId: string, order: { externalId: string; total: number; placedAt: Date }, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): ReferralEffect | null {
    const r = this.byFriend.get(friendId);
    if (!r) return null;
    const { s, program } = this;
    const tz = program.timeZone;
    const until = new Date(now.getTime() + s.referrer.holdDays * DAY_MS);
    const effect: ReferralEffect = { referralId: r.id, referrerId: r.referrerExternalId };
    const mine = this.live(r.referrerId);
    const converts = (s.referrer.on === "first_order" && r.status === "attributed" && !this.converted.has(r.id)) ||
      (s.referrer.on === "every_order" && order.placedAt.getTime() < addLocalMonths(r.attributedAt, s.referrer.months ?? 0, this.program.timeZone).getTime());
    if (converts) {
      if (r.status === "attributed") this.converted.add(r.id);
      Object.assign(effect, this.convert(r, order.externalId, holdings, ledger, now));
    }
    const c = s.commission;
    if (c) {
      const withinMonths = order.placedAt.getTime() < addLocalMonths(r.attributedAt, c.months, this.program.timeZone).getTime();
      const paid = (filter: (x: RewardRow) => boolean) => mine.filter((x) => x.kind === "commission" && filter(x)).reduce((n, x) => n + (c.asset === "points" ? Number(x.points) : Number(x.bonus)), 0);
      const per = c.capPerPeriod?.per;
      const due = commissionFor(s, {
        amount: order.total, withinMonths,
        paidForFriend: paid((x) => x.referral_id === r.id),
        paidThisPeriod: per ? paid((x) => periodKey(per, new Date(x.created_at), tz) === periodKey(per, now, tz)) : 0,
      });
      if (due > 0) {
        const reward = c.asset === "points" ? { points: due } : { bonus: due };
        const txns = this.credit(r, reward, `referral-commission:${r.id}:${order.externalId}`, { kind: "referral_commission", referralId: r.id }, until, holdings, ledger, now);
        this.newRewards.push({ id: this.ctx.ids.next("rrw"), referral_id: r.id, referrer_id: r.referrerId, order_id: order.externalId, kind: "commission", sequence: null, points: reward.points ?? 0, bonus: reward.bonus ?? 0, available_at: until.toISOString(), transaction_ids: txns });
        effect.commission = { points: reward.points ?? 0, bonus: reward.bonus ?? 0, availableAt: until.toISOString() };
      }
    }
    return effect.reward || effect.commission || effect.skipped ? effect : null;
  }

  /** One conversion: the referrer's ladder reward as pending value, unless a cap is reached. */
  private convert(r: ReferralRow, orderId: string | null, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): Pick<ReferralEffect, "reward" | "skipped"> {
    const { s } = this;
    const tz = this.program.timeZone;
    const until = new Date(now.getTime() + s.referrer.holdDays * DAY_MS);
    const conversions = this.live(r.referrerId).filter((x) => x.kind === "conversion");
    const over = s.caps.find((cap) => conversions.filter((x) => periodKey(cap.per, new Date(x.created_at), tz) === periodKey(cap.per, now, tz)).length >= cap.max);
    if (over) return { skipped: "REFERRER_CAP_REACHED" };
    const sequence = conversions.length + 1;
    const reward = referrerReward(s, sequence);
    const txns = this.credit(r, reward, `referral:${r.id}:${orderId ?? "signup"}`, { kind: "referral_reward", referralId: r.id, sequence }, until, holdings, ledger, now);
    this.newRewards.push({ id: this.ctx.ids.next("rrw"), referral_id: r.id, referrer_id: r.referrerId, order_id: orderId, kind: "conversion", sequence, points: reward.points ?? 0, bonus: reward.bonus ?? 0, available_at: until.toISOString(), transaction_ids: txns });
    return { reward: { points: reward.points ?? 0, bonus: reward.bonus ?? 0, sequence, availableAt: until.toISOString() } };
  }

  /** A referral that converts at the friend's signup (`on: "signup"`), decided where it is attributed. */
  static forSignup(ctx: AppContext, program: Program, s: ReferralSettings, r: { id: string; referrerId: string; referrerExternalId: string; friendId: string; attributedAt: Date }): ReferralBatch {
    return new ReferralBatch(ctx, program, s, new Map([[r.friendId, { ...r, status: "attributed" }]]));
  }

  onSignup(friendId: string, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): ReferralEffect {
    const r = this.byFriend.get(friendId)!;
    this.converted.add(r.id);
    return { referralId: r.id, referrerId: r.referrerExternalId, ...this.convert(r, null, holdings, ledger, now) };
  }

  private credit(r: ReferralRow, reward: { points?: number | undefined; bonus?: number | undefined }, reference: string, source: Record<string, unknown>, until: Date, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): string[] {
    const ids: string[] = [];
    for (const asset of ["points", "bonus"] as const) {
      const amount = reward[asset] ?? 0;
      if (amount <= 0) continue;
      const key = holdingKey(r.referrerId, asset);
      const h = holdings.get(key)!;
      const plan = planCredit(h, { amount, lotId: this.ctx.ids.next("lot"), effectiveAt: now, pendingUntil: until, expiresAt: asset === "points" ? expiresAt(this.program.ledgerPolicy.expiry, now, this.program.timeZone) : null, now });
      const after = applyPlan(h, plan);
      const id = this.ctx.ids.next("txn");
      ledger.add({ id, type: "earn", customerId: r.referrerId, reference: asset === "points" ? reference : `${reference}:bonus`, reversesId: null, source, metadata: { referralId: r.id, friendId: r.friendId }, effectiveAt: now }, plan, after);
      holdings.set(key, after);
      ids.push(id);
    }
    return ids;
  }

  /**
   * A refund of a referred friend's order while its rewards are still pending (the hold is the return
   * window). The conversion reward is reversed when the order is refunded in full; a partial refund
   * leaves it (the friend still bought). The commission follows the money: each refund takes back the
   * refunded share of what is left of it (rounded down; the refund that completes the order takes the
   * rest), from the commission's own pending lot. Once available, both stay the referrer's.
   * Returns the rewards cancelled whole and the commission taken back.
   */
  onRefund(
    friendId: string,
    refund: { orderId: string; refundId: string; amount: number; orderTotal: number; refundedBefore: number },
    postings: Map<string, Posting[]>,
    holdings: Map<string, Holdings>,
    ledger: LedgerWrites,
    now: Date,
  ): { cancelled: number; conversionsCancelled: number; commissionTakenBack: { points: number; bonus: number } } {
    const out = { cancelled: 0, conversionsCancelled: 0, commissionTakenBack: { points: 0, bonus: 0 } };
    const r = this.byFriend.get(friendId);
    if (!r) return out;
    const inFull = refund.refundedBefore + refund.amount >= refund.orderTotal;
    const remainingBefore = refund.orderTotal - refund.refundedBefore;
    for (const w of this.rewards) {
      if (w.referral_id !== r.id || w.order_id !== refund.orderId || w.status === "cancelled" || this.cancelled.has(w.id)) continue;
      if (w.available_at !== null && new Date(w.available_at).getTime() <= now.getTime()) continue;
      if (w.kind === "commission") {
        const left = this.reduced.get(w.id) ?? { points: Number(w.points), bonus: Number(w.bonus) };
        for (const asset of ["points", "bonus"] as const) {
          const take = inFull ? left[asset] : Math.floor((left[asset] * refund.amount) / remainingBefore);
          if (take <= 0) continue;
          const lotId = w.transaction_ids.flatMap((id) => postings.get(id) ?? []).find((p) => p.asset === asset)?.lotId ?? null;
          const key = holdingKey(r.referrerId, asset);
          const h = holdings.get(key)!;
          const plan = planDebit(h, { amount: take, destination: WORLD, preferLotId: lotId, onShortfall: "cap" });
          if (!plan.ok || plan.value.postings.length === 0) continue;
          const taken = plan.value.postings.reduce((n, p) => n + p.amount, 0);
          const after = applyPlan(h, plan.value);
          ledger.add({ id: this.ctx.ids.next("txn"), type: "refund", customerId: r.referrerId, reference: `referral-commission-refund:${w.id}:${refund.refundId}:${asset}`, reversesId: null, source: { kind: "referral_commission_refund", referralId: r.id }, metadata: { orderId: refund.orderId, refundId: refund.refundId, referralRewardId: w.id }, effectiveAt: now }, plan.value, after);
          holdings.set(key, after);
          left[asset] -= taken;
          out.commissionTakenBack[asset] += taken;
        }
        this.reduced.set(w.id, left);
        if (left.points === 0 && left.bonus === 0) {
          this.cancelled.add(w.id);
          out.cancelled += 1;
        }
        continue;
      }
      if (!inFull) continue;
      for (const txnId of w.transaction_ids) {
        const original = postings.get(txnId) ?? [];
        if (original.length === 0) continue;
        const key = holdingKey(r.referrerId, original[0]!.asset);
        const h = holdings.get(key)!;
        const plan = planReversal(h, original, true);
        if (!plan.ok) continue;
        const after = applyPlan(h, plan.value);
        ledger.add({ id: this.ctx.ids.next("txn"), type: "reversal", customerId: r.referrerId, reference: null, reversesId: txnId, source: { kind: "referral_cancelled", referralId: r.id }, metadata: { orderId: refund.orderId }, effectiveAt: now }, plan.value, after);
        holdings.set(key, after);
      }
      this.cancelled.add(w.id);
      out.cancelled += 1;
      if (w.kind === "conversion") out.conversionsCancelled += 1;
    }
    return out;
  }

  /** The ledger postings of pending rewards that refunds of these orders may reverse (read once per batch). */
  async pendingPostings(tx: Tx, orderExternalIds: readonly string[]): Promise<Map<string, Posting[]>> {
    const txns = this.rewards.filter((w) => w.order_id !== null && orderExternalIds.includes(w.order_id) && w.status !== "cancelled").flatMap((w) => w.transaction_ids);
    const out = new Map<string, Posting[]>();
    if (txns.length === 0) return out;
    const rs = await rows<{ transaction_id: string; source: string; destination: string; asset: Asset; amount: number; lot_id: string | null }>(
      tx,
      sql`select transaction_id, source, destination, asset, amount::float8 as amount, lot_id from ledger_postings where transaction_id = any(${textArray(txns)}) order by id`,
    );
    for (const p of rs) pushTo(out, p.transaction_id, { source: p.source, destination: p.destination, asset: p.asset, amount: Number(p.amount), lotId: p.lot_id });
    return out;
  }

  ctes(now: Date): SQL[] {
    const out: SQL[] = [];
    const at = now.toISOString();
    if (this.newRewards.length > 0) {
      out.push(sql`rrw as (
        insert into referral_rewards (id, program_id, referral_id, referrer_id, order_id, kind, sequence, points, bonus, status, available_at, transaction_ids, created_at)
        select x.id, ${this.program.id}, x.referral_id, x.referrer_id, x.order_id, x.kind, x.sequence, x.points, x.bonus, 'pending', x.available_at, x.transaction_ids, ${at}::timestamptz
          from jsonb_to_recordset(${JSON.stringify(this.newRewards)}::jsonb) as x(id text, referral_id text, referrer_id text, order_id text, kind text, sequence int, points bigint, bonus bigint, available_at timestamptz, transaction_ids text[]))`);
    }
    if (this.converted.size > 0) out.push(sql`rfc as (update referrals set status = 'converted', converted_at = ${at}::timestamptz where id = any(${textArray([...this.converted])}))`);
    if (this.cancelled.size > 0) out.push(sql`rrc as (update referral_rewards set status = 'cancelled' where id = any(${textArray([...this.cancelled])}))`);
    // A commission cancelled whole keeps its amounts (the funnel counts them as cancelled); one reduced keeps what is left.
    const reduced = [...this.reduced].filter(([id]) => !this.cancelled.has(id)).map(([id, v]) => ({ id, points: v.points, bonus: v.bonus }));
    if (reduced.length > 0) {
      out.push(sql`rrp as (update referral_rewards set points = x.points, bonus = x.bonus
        from jsonb_to_recordset(${JSON.stringify(reduced)}::jsonb) as x(id text, points bigint, bonus bigint)
       where referral_rewards.id = x.id and referral_rewards.id = any(${textArray(reduced.map((x) => x.id))}))`);
    }
    return out;
  }
}
