import { applyPlan, expiresAt, planCredit, type Holdings, type Plan, type TierDecision, type TierLevel, type TierScheme } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import type { TransactionMeta } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import type { FreeRewardGiven, FreeRewards, Unavailable } from "../rewards/free-rewards.ts";
import { giftReference } from "./tier-state.ts";

/**
 * The level a decision lands on when the customer never reached it before, or null. `given` holds
 * the gift references of the levels they reached (reachedBefore) and is updated, so one batch cannot
 * give a level twice. Entry gifts (points, a reward) are given only then: never twice, even after a
 * downgrade and a new upgrade.
 */
export function firstEntry(scheme: TierScheme, decision: TierDecision, customerId: string, given: Set<string>): TierLevel | null {
  if (decision.entered === null || decision.entered < 0) return null;
  const level = scheme.levels[decision.entered]!;
  const reference = giftReference(customerId, level.key);
  if (given.has(reference)) return null;
  given.add(reference);
  return level;
}

/**
 * A level's entry points as a ledger credit, or null when it gives none. Gifts follow the program's
 * expiry policy and are available at once.
 */
export function entryPoints(ctx: AppContext, x: { program: Program; level: TierLevel; kind: string; holdings: Holdings; at: Date; now: Date }): { meta: TransactionMeta; plan: Plan; after: Holdings; points: number } | null {
  const points = x.level.benefits.entryPoints ?? 0;
  if (points <= 0) return null;
  const plan = planCredit(x.holdings, { amount: points, lotId: ctx.ids.next("lot"), effectiveAt: x.at, pendingUntil: null, expiresAt: expiresAt(x.program.ledgerPolicy.expiry, x.at, x.program.timeZone), now: x.now });
  return {
    meta: { id: ctx.ids.next("txn"), type: "earn", customerId: x.holdings.customerId, reference: giftReference(x.holdings.customerId, x.level.key), reversesId: null, source: { kind: "tier_gift", tier: x.level.key }, metadata: { tier: x.level.key, kind: x.kind }, effectiveAt: x.at },
    plan,
    after: applyPlan(x.holdings, plan),
    points,
  };
}

/** What the entry reward of a level did: the redemption given, or why none could be (the level is entered all the same). */
export type EntryRewardOutcome = { giftReward: FreeRewardGiven } | { giftRewardUnavailable: Unavailable };

/** An entry reward owed to a customer who just reached a level for the first time. */
export interface OwedEntryReward {
  customerId: string;
  level: TierLevel;
  /** Filled in once the reward is given (the effect the sender sees). */
  into: object;
}

/**
 * Gives the entry rewards of levels reached for the first time, through the transaction's
 * FreeRewards (which locks the reward rows after every balance and tier row, and writes the
 * redemptions with the caller's statement). Each is a redemption for 0 points whose reference is the
 * level's gift reference, unique per customer and level forever. A reward that cannot be given now
 * (archived, out of stock) is not owed later: the outcome says why.
 */
export async function giveEntryRewards(tx: Tx, rewards: FreeRewards, owed: readonly OwedEntryReward[], now: Date): Promise<void> {
  if (owed.length === 0) return;
  const wanted = new Map<string, number>();
  for (const o of owed) wanted.set(o.level.benefits.entryReward!, (wanted.get(o.level.benefits.entryReward!) ?? 0) + 1);
  await rewards.lock(tx, wanted);
  for (const o of owed) {
    const given = rewards.give(o.level.benefits.entryReward!, { customerId: o.customerId, transactionId: null, reference: giftReference(o.customerId, o.level.key), now });
    const outcome: EntryRewardOutcome = "unavailable" in given ? { giftRewardUnavailable: given.unavailable } : { giftReward: given };
    Object.assign(o.into, outcome);
  }
}
