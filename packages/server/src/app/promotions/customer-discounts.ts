import { celVariables, domainError, EMPTY_ORDER, err, nextPeriodStart, ok, runCondition, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { loadCustomerFactsByExternalId } from "../rules/rule-facts.ts";
import { hasProgress, isProgressEffect, measureProgress, rateView } from "./progress.ts";

export interface CustomerDiscount {
  campaignId: string;
  name: string;
  kind: "progressive_percent" | "spend_ladder" | "tier";
  /** The code to type, for code campaigns; null when it applies by itself. */
  code: string | null;
  /** The rate a cart would get now (before other campaigns, the margin guard and caps). */
  percent: number;
  /** What the customer has reached: visits or spend this period, lifetime spend for a ladder. */
  progress: number | null;
  next: { percent: number; remaining: number } | null;
  /** When the count starts again (progressive percentages); null: never. */
  resetsAt: string | null;
}

/**
 * The discounts that grow with a customer's activity, at their current rate: progressive
 * percentages ("5% + 1% per lunch this month, up to 15%"), spend ladders and the tier's standing
 * discount. Campaigns whose audience the customer does not meet, and those outside their schedule's
 * `from`-`to` dates, are left out.
 *
 * Errors: CUSTOMER_NOT_FOUND.
 */
export async function customerDiscounts(ctx: AppContext, ex: Executor, program: Program, externalId: string): Promise<Result<CustomerDiscount[], DomainError>> {
  const now = ctx.clock.now();
  const [found] = await loadCustomerFactsByExternalId(ex, program.id, externalId, now, program.timeZone);
  if (!found) return err(domainError("CUSTOMER_NOT_FOUND", `No customer with external id "${externalId}".`, { externalId }));
  const [rowId, customer] = found;
  const store = await ctx.campaigns.active(ex, program.id);
  const input = { event: { id: "", type: "cart", name: "", occurredAt: now, data: {} }, order: EMPTY_ORDER, customer, now, timeZone: program.timeZone };
  const vars = celVariables(input);
  const campaigns = [...store.byId.values()].filter(hasProgress).filter((c) => {
    // A campaign that has ended (or not begun) gives no cart this rate: the customer is not shown it.
    // Days and hours are not judged: they come round again.
    const s = c.def.schedule;
    if (s?.from && Date.parse(s.from) > now.getTime()) return false;
    if (s?.to && Date.parse(s.to) <= now.getTime()) return false;
    if (!c.audience) return true;
    const r = runCondition(c.audience, input, vars);
    return "matched" in r && r.matched;
  });
  const figures = await measureProgress(ex, program, rowId, customer, campaigns, now);
  const out: CustomerDiscount[] = [];
  for (const c of campaigns) {
    c.def.effects.forEach((e, i) => {
      if (!isProgressEffect(e)) return;
      const progress = figures.get(c.id)![i] ?? 0;
      const view = rateView(e, progress);
      out.push({
        campaignId: c.id, name: c.def.name, kind: e.kind, code: c.def.code ?? null, percent: view.percent, progress, next: view.next,
        resetsAt: e.kind === "progressive_percent" ? (nextPeriodStart(e.period, now, program.timeZone)?.toISOString() ?? null) : null,
      });
    });
  }
  const level = program.tiers?.levels.find((l) => l.key === customer.tier);
  if (level?.benefits.discountPercent) {
    out.push({ campaignId: `tier:${level.key}`, name: `${level.name}: ${level.benefits.discountPercent}% off`, kind: "tier", code: null, percent: level.benefits.discountPercent, progress: null, next: null, resetsAt: null });
  }
  return ok(out);
}
