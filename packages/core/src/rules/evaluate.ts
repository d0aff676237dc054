import { applyRate } from "../money/rate.ts";
import type { Asset } from "../ledger/accounts.ts";
import { celVariables, runCondition, type CelInput, type CelVariables, type CompiledCondition } from "./cel.ts";
import { periodKey } from "./periods.ts";
import { zonedParts, type ZonedParts } from "../calendar/zoned.ts";
import { insideSchedule, outsideSchedule } from "./schedule.ts";
import type { Effect, LimitPeriod, PointValue, RuleDefinition, TriggerEvent } from "./types.ts";

/** A rule ready to run: its definition and its compiled condition. */
export interface CompiledRule {
  id: string;
  version: number;
  def: RuleDefinition;
  condition: CompiledCondition | null;
}

/** The event as rules see it. */
export interface RuleEvent {
  type: TriggerEvent;
  /** Custom event name; `customer.birthday`: "day" or "month_start". */
  name: string;
  occurredAt: Date;
  customerId: string;
}

/**
 * Limit and budget counters, keyed by `counterKey`. The caller loads (and locks) the rows it needs,
 * evaluation adds to them in memory, and the caller writes the new totals back. Events of one batch
 * see each other's awards because they share the book.
 */
export class CounterBook {
  readonly values = new Map<string, { awards: number; points: number }>();
  readonly touched = new Set<string>();
  /** The counter's totals so far; read them before `add` (entries are updated in place). */
  get(key: string): Readonly<{ awards: number; points: number }> {
    return this.values.get(key) ?? NO_COUNT;
  }
  add(key: string, points: number) {
    const v = this.values.get(key);
    if (v) {
      v.awards += 1;
      v.points += points;
    } else this.values.set(key, { awards: 1, points });
    this.touched.add(key);
  }
}

const NO_COUNT = Object.freeze({ awards: 0, points: 0 });

/** `rule|customer|period` for a per-customer limit; `rule|*|lifetime` for the global budget. */
export const counterKey = (ruleId: string, customerId: string, period: string) => `${ruleId}|${customerId}|${period}`;

/** The counter keys an event may need for a rule (known before any condition runs, so they can be locked first). */
export function counterKeysFor(rule: CompiledRule, event: RuleEvent, timeZone: string): string[] {
  const keys = rule.def.limits.map((l) => counterKey(rule.id, event.customerId, periodKey(l.per, event.occurredAt, timeZone)));
  if (rule.def.budget) keys.push(counterKey(rule.id, "*", "lifetime"));
  return keys;
}

export function triggers(rule: CompiledRule, event: RuleEvent): boolean {
  const t = rule.def.trigger;
  if (t.event !== event.type) return false;
  if (t.event === "custom") return t.name === event.name;
  if (t.event === "customer.birthday") return (t.birthdayOn ?? "day") === event.name;
  return true;
}

export interface Award {
  ruleId: string;
  version: number;
  name: string;
  asset: Asset;
  points: number;
  def: RuleDefinition;
}

export type TraceOutcome = "awarded" | "not_matched" | "outside_schedule" | "over_limit" | "no_points" | "error" | "not_evaluated";

export interface TraceEntry {
  ruleId: string;
  version: number;
  name: string;
  outcome: TraceOutcome;
  points: number;
  /** What decided the outcome: the false part of the condition and its value, the schedule, the limit, the error. */
  reason?: string;
  condition?: { part: string; value: unknown };
}

export interface Evaluation {
  awards: Award[];
  trace: TraceEntry[];
  failures: { ruleId: string; version: number; error: string }[];
}

/** Points an effect gives before limits; `earlier` is what non-multiplier rules gave on this event, per asset. */
export function effectPoints(effect: Effect, input: CelInput, earlier: Map<Asset, number>, pointValue: PointValue | null): number | { error: string } {
  const o = input.order;
  switch (effect.kind) {
    case "fixed":
      if (effect.points !== undefined) return effect.points;
      if (!pointValue) return { error: "the effect is worth a money amount but the program has no point value" };
      return applyRate(effect.worth ?? 0, pointValue.points, pointValue.money, "floor");
    case "per_amount": {
      const base = effect.base === "amount" ? eventAmount(input) : effect.base === "subtotal" ? o.subtotal : effect.base === "total" ? o.total : o.earningBase;
      return base > 0 ? applyRate(base, effect.points, effect.per, effect.rounding) : 0;
    }
    case "per_line": {
      let n = 0;
      for (const l of o.lines) {
        const bySku = effect.skus?.length ? effect.skus.includes(l.sku) : null;
        const byCategory = effect.categories?.length ? effect.categories.includes(l.category) : null;
        const matches = bySku === null && byCategory === null ? true : Boolean(bySku) || Boolean(byCategory);
        if (matches) n += effect.per === "quantity" ? l.quantity : 1;
      }
      return n * effect.points;
    }
    case "multiplier":
      if (effect.factor <= 1) return 0;
      return applyRate(earlier.get(effect.asset) ?? 0, Math.round(effect.factor * 100) - 100, 100, "floor");
  }
}

/** The event's `data.amount` (a top-up's amount) when it is a non-negative safe integer, else 0. */
function eventAmount(input: CelInput): number {
  const v = input.event.data.amount;
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : 0;
}

/**
 * Runs the program's rules (already sorted by priority) on one event. Pure: the CEL context is
 * built lazily by `context()` (only when some rule has a condition), and limits read and update `counters`.
 * A rule whose condition fails at run time is skipped and reported in `failures`; it never fails the event.
 */
export function evaluateRules(x: {
  rules: readonly CompiledRule[];
  event: RuleEvent;
  context: () => CelInput;
  timeZone: string;
  pointValue: PointValue | null;
  counters: CounterBook;
  /** Build the per-rule trace (dry runs); ingest leaves it off, and then no message is even formatted. */
  trace?: boolean;
}): Evaluation {
  const out: Evaluation = { awards: [], trace: [], failures: [] };
  const tracing = x.trace === true;
  const at = x.event.occurredAt;
  const earlier = new Map<Asset, number>();
  let input: CelInput | null = null;
  let vars: CelVariables | null = null;
  let stopped: string | null = null;
  // The event's wall-clock parts and period keys, computed once for all rules.
  let parts: ZonedParts | null = null;
  const periods: Partial<Record<LimitPeriod, string>> = {};
  for (const rule of x.rules) {
    if (!triggers(rule, x.event)) continue;
    if (stopped !== null) {
      if (tracing) note(out, rule, "not_evaluated", 0, { reason: `rule "${stopped}" stops further rules` });
      continue;
    }
    if (rule.def.schedule) {
      parts ??= zonedParts(at, x.timeZone);
      if (!insideSchedule(rule.def.schedule, at, x.timeZone, parts)) {
        if (tracing) note(out, rule, "outside_schedule", 0, { reason: outsideSchedule(rule.def.schedule, at, x.timeZone, parts) ?? "outside the schedule" });
        continue;
      }
    }
    input ??= x.context();
    if (rule.condition) {
      vars ??= celVariables(input);
      const c = runCondition(rule.condition, input, vars);
      if ("error" in c) {
        out.failures.push({ ruleId: rule.id, version: rule.version, error: c.error });
        if (tracing) note(out, rule, "error", 0, { reason: c.error });
        continue;
      }
      if (!c.matched) {
        if (tracing) note(out, rule, "not_matched", 0, { condition: { part: c.part, value: c.value } });
        continue;
      }
    }
    let raw: number | { error: string };
    try {
      raw = effectPoints(rule.def.effect, input, earlier, x.pointValue);
    } catch (e) {
      raw = { error: `the effect could not be computed: ${(e as Error).message}` };
    }
    if (typeof raw !== "number") {
      out.failures.push({ ruleId: rule.id, version: rule.version, error: raw.error });
      if (tracing) note(out, rule, "error", 0, { reason: raw.error });
      continue;
    }
    if (raw <= 0) {
      if (tracing) note(out, rule, "no_points", 0, { reason: "the effect gives 0 for this event" });
      continue;
    }
    // Limits: each one may cap the award; the tightest wins.
    let points = raw;
    let limitedBy: (() => string) | null = null;
    let keys: string[] | null = null;
    for (const l of rule.def.limits) {
      let period = periods[l.per];
      if (period === undefined) {
        parts ??= zonedParts(at, x.timeZone);
        periods[l.per] = period = periodKey(l.per, at, x.timeZone, parts);
      }
      const key = counterKey(rule.id, x.event.customerId, period);
      (keys ??= []).push(key);
      const { awards, points: given } = x.counters.get(key);
      if (l.maxAwards !== undefined && awards >= l.maxAwards) {
        points = 0;
        limitedBy = () => `${l.maxAwards} award(s) per ${l.per} reached`;
      }
      if (l.maxPoints !== undefined && points > l.maxPoints - given) {
        points = Math.max(0, l.maxPoints - given);
        limitedBy = () => `${l.maxPoints} points per ${l.per}: ${given} already given`;
      }
    }
    if (rule.def.budget) {
      const budget = rule.def.budget.points;
      const key = counterKey(rule.id, "*", "lifetime");
      (keys ??= []).push(key);
      const given = x.counters.get(key).points;
      if (points > budget - given) {
        points = Math.max(0, budget - given);
        limitedBy = () => `budget of ${budget} points: ${given} already given`;
      }
    }
    if (points <= 0) {
      if (tracing) note(out, rule, "over_limit", 0, { reason: limitedBy ? limitedBy() : "limit reached" });
      continue;
    }
    if (keys !== null) {
      // Two limits on the same period share one counter: count the award once.
      for (const k of keys.length > 1 ? new Set(keys) : keys) x.counters.add(k, points);
    }
    const asset = rule.def.effect.asset;
    if (rule.def.effect.kind !== "multiplier") earlier.set(asset, (earlier.get(asset) ?? 0) + points);
    out.awards.push({ ruleId: rule.id, version: rule.version, name: rule.def.name, asset, points, def: rule.def });
    if (tracing) note(out, rule, "awarded", points, limitedBy ? { reason: `capped: ${limitedBy()}` } : undefined);
    if (rule.def.stopFurther) stopped = rule.def.name;
  }
  return out;
}

function note(out: Evaluation, rule: CompiledRule, outcome: TraceOutcome, points: number, extra?: Pick<TraceEntry, "reason" | "condition">): void {
  out.trace.push({ ruleId: rule.id, version: rule.version, name: rule.def.name, outcome, points, ...extra });
}
