import { applyPlan, expiresAt, planCredit, type Holdings, type Plan, type TierDecision, type TierScheme } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { TransactionMeta } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { giftReference } from "./tier-state.ts";

/**
 * The entry gift of the level a decision lands on, as a ledger credit, or null: the level gives no
 * points, or this customer had its gift before (`given` holds the references the ledger has, and
 * is updated, so one batch cannot give a level twice). Gifts follow the program's expiry policy and
 * are available at once.
 */
export function entryGift(ctx: AppContext, x: { program: Program; scheme: TierScheme; decision: TierDecision; holdings: Holdings; given: Set<string>; at: Date; now: Date }): { meta: TransactionMeta; plan: Plan; after: Holdings } | null {
  const { decision, scheme } = x;
  if (decision.entered === null || decision.entered < 0) return null;
  const level = scheme.levels[decision.entered]!;
  const points = level.benefits.entryPoints ?? 0;
  const reference = giftReference(x.holdings.customerId, level.key);
  if (points <= 0 || x.given.has(reference)) return null;
  x.given.add(reference);
  const plan = planCredit(x.holdings, { amount: points, lotId: ctx.ids.next("lot"), effectiveAt: x.at, pendingUntil: null, expiresAt: expiresAt(x.program.ledgerPolicy.expiry, x.at, x.program.timeZone), now: x.now });
  return {
    meta: { id: ctx.ids.next("txn"), type: "earn", customerId: x.holdings.customerId, reference, reversesId: null, source: { kind: "tier_gift", tier: level.key }, metadata: { tier: level.key, kind: decision.kind }, effectiveAt: x.at },
    plan,
    after: applyPlan(x.holdings, plan),
  };
}
