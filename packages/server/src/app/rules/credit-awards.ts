import { applyPlan, cashPendingUntil, expiresAt, pendingUntil, planCredit, walletPolicy, type Asset, type Award, type Holdings, type Plan } from "@patron/core";
import type { Program } from "../programs/program.ts";
import { BASE_RULE_ID } from "./rule-store.ts";

/**
 * One ledger credit: the awards of one event that share an asset, a pending date and an expiry
 * (usually all of them) go into one transaction and one lot, so twenty rules on an order write three
 * rows, not sixty. The transaction's source lists every rule, version and its points.
 */
export interface Credit {
  awards: Award[];
  points: number;
  plan: Plan;
  after: Holdings;
  lotId: string;
  pending: boolean;
  availableAt: string | null;
  expiresAt: string | null;
}

/**
 * Turns awards into ledger credits, each planned on the holdings (of its asset) the previous one left.
 * Returns the holdings of every asset credited, as they end.
 */
export function creditAwards(x: { program: Program; awards: readonly Award[]; holdings: (asset: Asset) => Holdings; occurredAt: Date; now: Date; nextLotId: () => string }): { credits: Credit[]; holdings: Holdings[] } {
  const policy = x.program.ledgerPolicy;
  const groups = new Map<string, { awards: Award[]; until: Date | null; expiry: Date | null }>();
  for (const award of x.awards) {
    const days = award.def.pendingDays ?? policy.pendingDays;
    // Cash is held for the wallet's hold days (at least) before it can be withdrawn or spent.
    const until = award.asset === "cash" ? cashPendingUntil(walletPolicy(x.program.wallet), x.occurredAt, days) : pendingUntil(days, x.occurredAt);
    const expiry = expiresAt(award.def.expiry ?? policy.expiry, x.occurredAt, x.program.timeZone);
    const key = `${award.asset}|${until?.getTime() ?? ""}|${expiry?.getTime() ?? ""}`;
    const g = groups.get(key) ?? { awards: [], until, expiry };
    g.awards.push(award);
    groups.set(key, g);
  }
  const current = new Map<Asset, Holdings>();
  const credits: Credit[] = [];
  for (const g of groups.values()) {
    const asset = g.awards[0]!.asset;
    const h = current.get(asset) ?? x.holdings(asset);
    const points = g.awards.reduce((n, a) => n + a.points, 0);
    const lotId = x.nextLotId();
    const plan = planCredit(h, { amount: points, lotId, effectiveAt: x.occurredAt, pendingUntil: g.until, expiresAt: g.expiry, now: x.now });
    const after = applyPlan(h, plan);
    const pending = plan.newLots[0]!.pending;
    credits.push({ awards: g.awards, points, plan, after, lotId, pending, availableAt: pending ? g.until!.toISOString() : null, expiresAt: g.expiry?.toISOString() ?? null });
    current.set(asset, after);
  }
  return { credits, holdings: [...current.values()] };
}

/**
 * What a ledger transaction says produced it: the base earning alone keeps its foundation form;
 * otherwise every rule with its version and points.
 */
export function creditSource(program: Program, credit: Credit): Record<string, unknown> {
  const [only] = credit.awards;
  if (credit.awards.length === 1 && only!.ruleId === BASE_RULE_ID) return { kind: "basic_earning", earning: program.earning };
  if (credit.awards.length === 1) return { kind: "rule", ruleId: only!.ruleId, version: only!.version, name: only!.name };
  // Names are left out here: the rule and version say it, and 20 rules on every order add up.
  return { kind: "rules", awards: credit.awards.map((a) => ({ ruleId: a.ruleId, version: a.version, points: a.points })) };
}

/**
 * The credit's business key, unique per program forever: `order:{id}` for an order's first credit
 * (as the foundation's basic earning wrote it), `order-credit:{n}:{id}` for further ones (different
 * expiry), `event:{id}` / `event-credit:{n}:{id}` for other events. Further credits were
 * `order:{id}:{n}` until 2026-11-25, which is also the first credit of an order whose id is
 * "{id}:{n}": such an order then failed with a 500 (its credit's key was taken). The number comes
 * first now, so no id can make one key look like another's.
 */
export function creditReference(index: number, event: { id: string; orderId?: string | undefined }): string {
  if (index === 0) return event.orderId !== undefined ? `order:${event.orderId}` : `event:${event.id}`;
  return event.orderId !== undefined ? `order-credit:${index + 1}:${event.orderId}` : `event-credit:${index + 1}:${event.id}`;
}
