import { domainError, type DomainError } from "../errors.ts";
import { compileCondition } from "../rules/cel.ts";
import { normalizePromoCode, PROMO_CODE_MAX, PROMO_CODE_MIN } from "./codes.ts";
import type { CampaignDefinition, LineFilter, PromotionEffect } from "./types.ts";

/** The most effects one campaign may have: each is applied to every cart it is considered for. */
export const MAX_EFFECTS = 20;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** At most two decimals: percentages become basis points (12.5 -> 1250) without rounding anything away. */
const twoDecimals = (n: number) => Number.isFinite(n) && Math.abs(Math.round(n * 100) - n * 100) < 1e-6;
const positiveInt = (n: number) => Number.isSafeInteger(n) && n >= 1;
const percentOk = (p: number) => p > 0 && p <= 100 && twoDecimals(p);

/**
 * What a request schema cannot say about a campaign: the audience and the cart condition type-check
 * (with the position of the error), the code fits the kind, the stacking group fits the stacking
 * mode, each effect's numbers make sense, the schedule is in order, and the limits are positive
 * integers. Returns the first problem found.
 *
 * Error: CAMPAIGN_INVALID, with `details.field` naming what to fix (`effects.2.percent`), and
 * `details.start` / `details.end` for a condition.
 *
 * @example
 * checkCampaign({ ...def, kind: "code", code: null })
 * // { code: "CAMPAIGN_INVALID", message: "A code campaign needs a code …", details: { field: "code" } }
 */
export function checkCampaign(def: CampaignDefinition): DomainError | null {
  const bad = (field: string, message: string, extra: Record<string, unknown> = {}) => domainError("CAMPAIGN_INVALID", message, { field, ...extra });

  const hasCode = def.code !== undefined && def.code !== null;
  if (def.kind === "code" && !hasCode) return bad("code", "A code campaign needs a code: the text customers type at checkout.");
  if (def.kind !== "code" && hasCode) return bad("code", `Only code campaigns have a reusable code; a ${def.kind} campaign does not${def.kind === "bulk_codes" ? " (its codes are generated or imported)" : ""}.`);
  if (hasCode && normalizePromoCode(def.code!) === null) {
    return bad("code", `A code is ${PROMO_CODE_MIN} to ${PROMO_CODE_MAX} letters and digits (spaces and hyphens are ignored); "${def.code!.slice(0, 80)}" is not.`);
  }

  const hasGroup = def.group !== undefined && def.group !== null;
  if (def.stacking === "group" && !hasGroup) return bad("group", "Group stacking names the group: campaigns of the same group combine.");
  if (def.stacking !== "group" && hasGroup) return bad("group", `A group applies to group stacking only; this campaign is ${def.stacking}.`);

  for (const field of ["audience", "condition"] as const) {
    const source = def[field];
    if (source === null) continue;
    const c = compileCondition(source);
    if (!c.ok) {
      const at = c.error.start !== undefined ? ` (at character ${c.error.start + 1})` : "";
      const what = field === "audience" ? "audience" : "cart condition";
      return bad(field, `The ${what} is not valid CEL${at}: ${c.error.message}`, { start: c.error.start ?? null, end: c.error.end ?? null });
    }
  }

  if (def.effects.length === 0) return bad("effects", "A campaign needs at least one effect.");
  if (def.effects.length > MAX_EFFECTS) return bad("effects", `A campaign has at most ${MAX_EFFECTS} effects; this one has ${def.effects.length}.`);
  let multipliers = 0;
  for (const [i, e] of def.effects.entries()) {
    const problem = checkEffect(e);
    if (problem) return bad(`effects.${i}${problem.field ? `.${problem.field}` : ""}`, problem.message);
    if (e.kind === "points_multiplier" && ++multipliers > 1) return bad(`effects.${i}`, "A campaign has at most one points_multiplier: multipliers of one campaign would not say how they combine.");
  }

  const s = def.schedule;
  if (s) {
    if (s.from && s.to && Date.parse(s.from) >= Date.parse(s.to)) return bad("schedule.to", "The schedule ends before it starts.");
    for (const h of s.hours ?? []) if (!HHMM.test(h.from) || !HHMM.test(h.to) || h.from === h.to) return bad("schedule.hours", `Hours are "HH:MM"-"HH:MM" ranges, 00:00 to 23:59, not empty; got ${h.from}-${h.to}.`);
  }

  const l = def.limits;
  if (l.total !== undefined && !positiveInt(l.total)) return bad("limits.total", "limits.total is a whole number of redemptions, at least 1.");
  if (l.perCustomer !== undefined && !positiveInt(l.perCustomer.max)) return bad("limits.perCustomer.max", "limits.perCustomer.max is a whole number of redemptions, at least 1.");
  if (l.budget !== undefined) {
    if (l.budget.money === undefined && l.budget.points === undefined) return bad("limits.budget", "A budget caps money, points or both.");
    if (l.budget.money !== undefined && !positiveInt(l.budget.money)) return bad("limits.budget.money", "limits.budget.money is a whole amount in minor units, at least 1.");
    if (l.budget.points !== undefined && !positiveInt(l.budget.points)) return bad("limits.budget.points", "limits.budget.points is a whole number of points, at least 1.");
  }
  return null;
}

type EffectProblem = { field: string; message: string } | null;

function checkEffect(e: PromotionEffect): EffectProblem {
  const percent = (p: number, field = "percent"): EffectProblem =>
    percentOk(p) ? null : { field, message: `${field} is a percentage above 0 and at most 100, with at most two decimals (12.5); got ${p}.` };
  const count = (n: number | undefined, field: string): EffectProblem => (n === undefined || positiveInt(n) ? null : { field, message: `${field} is a whole number, at least 1; got ${n}.` });
  const money = (n: number | undefined, field: string, min: 0 | 1): EffectProblem =>
    n === undefined || (Number.isSafeInteger(n) && n >= min) ? null : { field, message: `${field} is a whole amount in minor units, at least ${min}; got ${n}.` };
  switch (e.kind) {
    case "order_percent":
      return percent(e.percent) ?? money(e.max, "max", 1);
    case "order_fixed":
      // 0 is allowed: a campaign whose codes carry their own value (follow-up codes) gives that instead.
      return money(e.amount, "amount", 0);
    case "lines_percent":
      return percent(e.percent) ?? filter(e.filter, "filter") ?? count(e.cheapest, "cheapest");
    case "lines_fixed":
      return money(e.amountPerUnit, "amountPerUnit", 1) ?? filter(e.filter, "filter") ?? count(e.cheapest, "cheapest");
    case "bundle": {
      if (e.items.length === 0) return { field: "items", message: "A bundle lists at least one item." };
      for (const [i, item] of e.items.entries()) {
        const p = count(item.quantity, `items.${i}.quantity`) ?? filter(item.filter, `items.${i}.filter`);
        if (p) return p;
      }
      return money(e.price, "price", 0) ?? count(e.maxApplications, "maxApplications");
    }
    case "buy_x_get_y":
      return (
        count(e.buy.quantity, "buy.quantity") ?? count(e.get.quantity, "get.quantity") ?? filter(e.buy.filter, "buy.filter") ?? filter(e.get.filter, "get.filter") ??
        percent(e.percent) ?? count(e.maxApplications, "maxApplications")
      );
    case "gift":
      return count(e.quantity, "quantity");
    case "free_shipping":
      return money(e.max, "max", 1);
    case "bonus_points":
      return count(e.points, "points");
    case "points_multiplier":
      return e.factor > 1 && e.factor <= 100 && twoDecimals(e.factor) ? null : { field: "factor", message: `factor is above 1 and at most 100, with at most two decimals (1.5, 2, 3.25); got ${e.factor}.` };
    case "follow_up_code":
      if (!(Number.isInteger(e.validDays) && e.validDays >= 1 && e.validDays <= 3650)) return { field: "validDays", message: `validDays is a whole number of days from 1 to 3650; got ${e.validDays}.` };
      return e.percentOfOrder === undefined ? null : percent(e.percentOfOrder, "percentOfOrder");
    case "partner_code":
      return null;
    case "progressive_percent": {
      if (!(e.basePercent === 0 || percentOk(e.basePercent))) return { field: "basePercent", message: `basePercent is 0 or a percentage up to 100, with at most two decimals; got ${e.basePercent}.` };
      const p = percent(e.stepPercent, "stepPercent") ?? percent(e.maxPercent, "maxPercent") ?? count(e.every, "every") ?? money(e.max, "max", 1);
      if (p) return p;
      if (e.maxPercent < e.basePercent) return { field: "maxPercent", message: `maxPercent (${e.maxPercent}) is below basePercent (${e.basePercent}).` };
      if (e.orderCondition) {
        const c = compileCondition(e.orderCondition);
        if (!c.ok) return { field: "orderCondition", message: `The order condition is not valid CEL${c.error.start !== undefined ? ` (at character ${c.error.start + 1})` : ""}: ${c.error.message}` };
      }
      return null;
    }
    case "spend_ladder": {
      if (e.steps.length === 0 || e.steps.length > 20) return { field: "steps", message: "A ladder has 1 to 20 steps." };
      for (const [i, s] of e.steps.entries()) {
        const p = money(s.from, `steps.${i}.from`, 0) ?? percent(s.percent, `steps.${i}.percent`);
        if (p) return p;
        if (i > 0 && (s.from <= e.steps[i - 1]!.from || s.percent <= e.steps[i - 1]!.percent)) return { field: `steps.${i}`, message: "Each step starts at more spend than the one before and gives more." };
      }
      return money(e.max, "max", 1);
    }
  }
}

/**
 * A filter that names nothing reaches every line. An empty list reads as "no line" but would act as
 * "every line" (working-cart.ts), so it is refused rather than guessed at.
 */
function filter(f: LineFilter, field: string): EffectProblem {
  for (const key of ["skus", "categories"] as const) {
    if (f[key] !== undefined && f[key].length === 0) return { field: `${field}.${key}`, message: `An empty ${key} list would reach every line, not none: leave it out to reach every line, or name at least one.` };
  }
  return null;
}
