import type { SQL } from "drizzle-orm";
import { onActivity, windowStart, type Holdings, type TierScheme } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { holdingKey, type LedgerWrites } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { measureMany } from "./tier-metrics.ts";
import { loadTiers, reachedBefore, tierCtes, type StoredTier, type TierWrite } from "./tier-state.ts";
import { entryPoints, firstEntry, giveEntryRewards, type OwedEntryReward } from "./tier-gifts.ts";
import type { FreeRewardGiven, FreeRewards, Unavailable } from "../rewards/free-rewards.ts";

/** What an event batch tells the sender about a tier change, with the entry gifts of a level reached for the first time. */
export interface TierEffect {
  from: string | null;
  to: string | null;
  kind: string;
  giftPoints?: number;
  /** The level's entry reward: a redemption for 0 points. */
  giftReward?: FreeRewardGiven;
  /** The level's entry reward could not be given (archived, out of stock): the level is entered without it. */
  giftRewardUnavailable?: Unavailable;
}

/**
 * Tiers during an event batch (ingest-events.ts): the customers' tiers are locked after their
 * balances; the basis over the current window is measured once before the batch and the batch's own
 * orders, refunds and points are added in memory, so an upgrade is decided at the event that
 * crosses the threshold without reading what the batch has not written yet. Downgrades are never
 * decided here: they wait for the review job (review-tiers.ts).
 */
export class TierBatch {
  private readonly metric = new Map<string, number>();
  private readonly writes: TierWrite[] = [];
  private given = new Set<string>();
  /** Entry rewards of levels reached in this batch, given by giveRewards once every event is decided. */
  private readonly owed: OwedEntryReward[] = [];

  private constructor(
    private readonly ctx: AppContext,
    private readonly program: Program,
    private readonly scheme: TierScheme,
    private readonly tiers: Map<string, StoredTier>,
    private readonly from: Date | null,
  ) {}

  /** Null when the program has no tiers. Call after the batch's balances are locked. */
  static async prepare(ctx: AppContext, tx: Tx, program: Program, customerIds: readonly string[], now: Date): Promise<TierBatch | null> {
    const scheme = program.tiers;
    if (!scheme || customerIds.length === 0) return null;
    const tiers = await loadTiers(tx, program.id, scheme, customerIds, now, true);
    const from = windowStart(scheme.window, now, program.timeZone);
    const ids = [...tiers.keys()];
    // Everything placed since the window began (an order stamped a little ahead of our clock counts too).
    const values = await measureMany(tx, program.id, scheme.basis, ids.map((customerId) => ({ customerId, from, to: new Date("9999-12-31T00:00:00Z") })));
    const batch = new TierBatch(ctx, program, scheme, tiers, from);
    ids.forEach((id, i) => batch.metric.set(id, values[i]!));
    if (scheme.levels.some((l) => (l.benefits.entryPoints ?? 0) > 0 || l.benefits.entryReward)) batch.given = await reachedBefore(tx, program.id, ids);
    return batch;
  }

  /** The customer's level key as the batch started (what conditions and the earning bonus see). */
  tierKey(customerId: string): string | null {
    const t = this.tiers.get(customerId);
    return t && t.state.level >= 0 ? this.scheme.levels[t.state.level]!.key : null;
  }

  /** The earning bonus of the customer's current level, as a percentage (0: none). */
  earnBonusPercent(customerId: string): number {
    const t = this.tiers.get(customerId);
    return t && t.state.level >= 0 ? (this.scheme.levels[t.state.level]!.benefits.earnBonusPercent ?? 0) : 0;
  }

  private inWindow(at: Date) {
    return this.from === null || at.getTime() >= this.from.getTime();
  }

  /** An order recorded by the batch (spend and visits). */
  addOrder(customerId: string, placedAt: Date, total: number): void {
    if (!this.metric.has(customerId) || !this.inWindow(placedAt)) return;
    const basis = this.scheme.basis;
    if (basis === "spend") this.add(customerId, total);
    else if (basis === "visits") this.add(customerId, 1);
  }

  /** A refund recorded by the batch: it lowers the basis (never the tier, until a review). */
  addRefund(customerId: string, placedAt: Date, amount: number, refundedInFull: boolean): void {
    if (!this.metric.has(customerId) || !this.inWindow(placedAt)) return;
    if (this.scheme.basis === "spend") this.add(customerId, -amount);
    else if (this.scheme.basis === "visits" && refundedInFull) this.add(customerId, -1);
  }

  /** Referral conversions of the batch for this referrer (positive), or ones cancelled by a refund (negative). */
  addReferral(customerId: string, n: number): void {
    if (this.scheme.basis === "referrals" && this.metric.has(customerId)) this.add(customerId, n);
  }

  /** Points earned (or clawed back, negative) by the batch. */
  addPoints(customerId: string, at: Date, points: number): void {
    if (this.scheme.basis === "points" && this.metric.has(customerId) && this.inWindow(at)) this.add(customerId, points);
  }

  private add(customerId: string, n: number) {
    this.metric.set(customerId, this.metric.get(customerId)! + n);
  }

  /**
   * Upgrades the customer if the basis now reaches a higher level. A level reached for the first time
   * gives its entry points through `ledger` on the points holdings in `holdings`, and owes its entry
   * reward (giveRewards gives it). Returns what to tell the sender, or null; the effect object is
   * the one giveRewards completes, so put it in the event's effects as it is.
   */
  settle(customerId: string, holdings: Map<string, Holdings>, ledger: LedgerWrites, at: Date, now: Date): TierEffect | null {
    const t = this.tiers.get(customerId);
    if (!t) return null;
    const decision = onActivity(this.scheme, t.state, this.metric.get(customerId)!, at, this.program.timeZone);
    if (!decision) return null;
    t.state = decision.state;
    this.writes.push({ id: this.ctx.ids.next("tch"), customerId, decision, source: "earned", reason: null, occurredAt: at });
    const effect: TierEffect = { from: levelKey(this.scheme, decision.from), to: levelKey(this.scheme, decision.to), kind: decision.kind };
    const level = firstEntry(this.scheme, decision, customerId, this.given);
    if (!level) return effect;
    const key = holdingKey(customerId, "points");
    const h = holdings.get(key);
    const gift = h ? entryPoints(this.ctx, { program: this.program, level, kind: decision.kind, holdings: h, at, now }) : null;
    if (gift) {
      ledger.add(gift.meta, gift.plan, gift.after);
      holdings.set(key, gift.after);
      effect.giftPoints = gift.points;
    }
    if (level.benefits.entryReward) this.owed.push({ customerId, level, into: effect });
    return effect;
  }

  /**
   * Gives the entry rewards of the levels this batch's customers reached for the first time, through
   * the transaction's FreeRewards, after every event is decided: the reward rows are locked only when
   * a customer does go up, never for every order. Call before writing (the caller adds rewards.ctes).
   */
  async giveRewards(tx: Tx, rewards: FreeRewards, now: Date): Promise<void> {
    await giveEntryRewards(tx, rewards, this.owed, now);
  }

  ctes(now: Date): SQL | null {
    return tierCtes(this.program.id, this.scheme, this.writes, now);
  }
}

export const levelKey = (scheme: TierScheme, level: number): string | null => (level < 0 ? null : scheme.levels[level]!.key);
