import { compileCondition, domainError, type DomainError, type RuleDefinition } from "@patron/core";
import type { Program } from "../programs/program.ts";

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * What the request schema cannot say about a rule: the condition type-checks (with the position of
 * the error), the trigger and the effect fit together, and the schedule is well-formed.
 * Error: RULE_INVALID, with `details.field` naming what to fix.
 */
export function checkRule(program: Program, def: RuleDefinition): DomainError | null {
  const bad = (field: string, message: string, extra: Record<string, unknown> = {}) => domainError("RULE_INVALID", message, { field, ...extra });
  if (def.trigger.event === "custom" && !def.trigger.name) return bad("trigger.name", "A rule on custom events names the event: give trigger.name.");
  if (def.trigger.event !== "custom" && def.trigger.name !== undefined) return bad("trigger.name", "Only custom triggers have a name.");
  if (def.trigger.birthdayOn !== undefined && def.trigger.event !== "customer.birthday") return bad("trigger.birthdayOn", "birthdayOn applies to customer.birthday triggers only.");
  if (def.condition !== null) {
    const c = compileCondition(def.condition);
    if (!c.ok) {
      const at = c.error.start !== undefined ? ` (at character ${c.error.start + 1})` : "";
      return bad("condition", `The condition is not valid CEL for this context${at}: ${c.error.message}`, { start: c.error.start ?? null, end: c.error.end ?? null });
    }
  }
  const e = def.effect;
  // A top-up has an amount (per_amount with base "amount") but no order; only top-ups have that amount.
  const topUpAmount = e.kind === "per_amount" && def.trigger.event === "wallet.topped_up" && e.base === "amount";
  if (e.kind === "per_amount" && e.base === "amount" && def.trigger.event !== "wallet.topped_up") return bad("effect.base", 'The base "amount" is a top-up\'s amount: use it with the wallet.topped_up trigger.');
  const orderOnly = e.kind === "per_amount" || e.kind === "per_line" || e.kind === "multiplier";
  if (orderOnly && !topUpAmount && def.trigger.event !== "order.completed") {
    return bad("effect.kind", `A ${e.kind} effect needs an order: use it with the order.completed trigger${e.kind === "per_amount" ? ' (or base "amount" with wallet.topped_up)' : ""}.`);
  }
  if (e.kind === "fixed" && (e.points === undefined) === (e.worth === undefined)) return bad("effect", "A fixed effect gives either points or worth (a money amount), exactly one of them.");
  if (e.kind === "fixed" && e.worth !== undefined && !program.pointValue) {
    return bad("effect.worth", "The program has no point value, so a money worth cannot be turned into points: set pointValue on the program first.");
  }
  if (e.kind === "multiplier" && Math.round(e.factor * 100) !== e.factor * 100) return bad("effect.factor", "The factor has at most two decimals (1.5, 2, 3.25).");
  const s = def.schedule;
  if (s) {
    if (s.from && s.to && Date.parse(s.from) >= Date.parse(s.to)) return bad("schedule.to", "The schedule ends before it starts.");
    for (const h of s.hours ?? []) if (!HHMM.test(h.from) || !HHMM.test(h.to) || h.from === h.to) return bad("schedule.hours", `Hours are "HH:MM"-"HH:MM" ranges, 00:00 to 23:59, not empty; got ${h.from}-${h.to}.`);
  }
  for (const [i, l] of def.limits.entries()) if (l.maxAwards === undefined && l.maxPoints === undefined) return bad(`limits.${i}`, "A limit caps maxAwards, maxPoints or both.");
  return null;
}
