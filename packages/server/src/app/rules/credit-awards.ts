import { applyPlan, expiresAt, pendingUntil, planCredit, type Award, type Holdings, type Plan } from "@patron/core";
import type { Program } from "../programs/program.ts";
import { BASE_RULE_ID } from "./rule-store.ts";

export interface Credit {
  award: Award;
  plan: Plan;
  after: Holdings;
  lotId: string;
  pending: boolean;
  availableAt: string | null;
  expiresAt: string | null;
}

/**
 * Turns awards into ledger credits, one lot each, with the rule's pending period and expiry (or the
 * program's). Each credit is planned on the holdings the previous one left.
 */
export function creditAwards(x: { program: Program; awards: readonly Award[]; holdings: Holdings; occurredAt: Date; now: Date; nextLotId: () => string }): { credits: Credit[]; holdings: Holdings } {
  let h = x.holdings;
  const credits: Credit[] = [];
  for (const award of x.awards) {
    const policy = x.program.ledgerPolicy;
    const until = pendingUntil(award.def.pendingDays ?? policy.pendingDays, x.occurredAt);
    const expiry = expiresAt(award.def.expiry ?? policy.expiry, x.occurredAt, x.program.timeZone);
    const lotId = x.nextLotId();
    const plan = planCredit(h, { amount: award.points, lotId, effectiveAt: x.occurredAt, pendingUntil: until, expiresAt: expiry, now: x.now });
    const after = applyPlan(h, plan);
    const pending = plan.newLots[0]!.pending;
    credits.push({ award, plan, after, lotId, pending, availableAt: pending ? until!.toISOString() : null, expiresAt: expiry?.toISOString() ?? null });
    h = after;
  }
  return { credits, holdings: h };
}

/** What a ledger transaction says produced it. */
export function awardSource(program: Program, award: Award): Record<string, unknown> {
  return award.ruleId === BASE_RULE_ID ? { kind: "basic_earning", earning: program.earning } : { kind: "rule", ruleId: award.ruleId, version: award.version, name: award.name };
}

/** The award's business key, unique per program forever: the base earning keeps `order:{id}`. */
export function awardReference(award: Award, event: { id: string; orderId?: string | undefined }): string {
  if (event.orderId !== undefined) return award.ruleId === BASE_RULE_ID ? `order:${event.orderId}` : `order:${event.orderId}:${award.ruleId}`;
  return `event:${event.id}:${award.ruleId}`;
}
