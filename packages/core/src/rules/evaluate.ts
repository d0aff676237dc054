import { applyRate } from "../money/rate.ts";
import type { Asset } from "../ledger/accounts.ts";
import { celVariables, runCondition, type CelInput, type CelVariables, type CompiledCondition } from "./cel.ts";
import { periodKey } from "./periods.ts";
import { zonedParts, type ZonedParts } from "../calendar/zoned.ts";
import { insideSchedule, outsideSchedule } from "./schedule.ts";
import type { Effect, PointValue, RuleDefinition, TriggerEvent } from "./types.ts";

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

/** A counter's totals: awards given and points (or stamps) given in its period. */
export interface CounterTotals {
  awards: number;
  points: number;
}

interface Counter extends CounterTotals {
  ruleId: string;
  scope: string;
  period: string;
  key: string | null;
  touched: boolean;
}

/** Counters a book keeps in a list before it indexes them by key. */
const SMALL_BOOK = 16;

/**
 * Limit and budget counters, named by `counterKey` (`rule|scope|period`). The caller loads (and locks)
 * the rows it needs, evaluation adds to them in memory, and the caller writes the touched ones back.
 * Events of one batch see each other's awards because they share the book.
 *
 * A single event's book holds a few counters: they are kept in a list and found by comparing their
 * rule, scope and period, strings that already exist (the rule's id, the event's customer, the
 * event's period key). A key concatenated per lookup had to be flattened and hashed every time, and
 * a map per book cost as much again: with five limited rules that was a third of an event's
 * evaluation (bench/rules.ts). A batch's book outgrows the list and is indexed by rule, then scope,
 * then period, for the same reason.
 */
export class CounterBook {
  private readonly all: Counter[] = [];
  /** By rule, scope and period, once the book outgrows the list: lookups with the strings at hand, no key built per lookup. */
  private index: Map<string, Map<string, Map<string, Counter>>> | null = null;
  private readonly changed: Counter[] = [];

  /** The counter's totals so far (zero when it has none). */
  totals(ruleId: string, scope: string, period: string): Readonly<CounterTotals> {
    return this.find(ruleId, scope, period) ?? NO_COUNT;
  }

  /** Counts one award of `points` on the counter and marks it touched. */
  addTo(ruleId: string, scope: string, period: string, points: number): void {
    const c = this.find(ruleId, scope, period) ?? this.create(ruleId, scope, period, null);
    c.awards += 1;
    c.points += points;
    if (!c.touched) {
      c.touched = true;
      this.changed.push(c);
    }
  }

  /** Sets a counter's stored totals (as read from the database); not a change to write back. */
  load(key: string, totals: Readonly<CounterTotals>): void {
    const [ruleId, scope, period] = splitCounterKey(key);
    const c = this.find(ruleId, scope, period) ?? this.create(ruleId, scope, period, key);
    c.awards = totals.awards;
    c.points = totals.points;
  }

  /** `totals` by key. */
  get(key: string): Readonly<CounterTotals> {
    const [ruleId, scope, period] = splitCounterKey(key);
    const c = this.find(ruleId, scope, period);
    return c ? { awards: c.awards, points: c.points } : NO_COUNT;
  }

  /** `addTo` by key. */
  add(key: string, points: number): void {
    const [ruleId, scope, period] = splitCounterKey(key);
    this.addTo(ruleId, scope, period, points);
  }

  /** Every counter the book holds, loaded or touched, with its key. */
  *entries(): IterableIterator<[string, CounterTotals]> {
    for (const c of this.all) yield [keyOf(c), { awards: c.awards, points: c.points }];
  }

  /** The keys of the counters evaluation added to, in the order they were first touched. */
  touchedKeys(): string[] {
    return this.changed.map(keyOf);
  }

  /** A copy of every counter's totals, nothing touched (the checkout prices an order without changing the book it read). */
  copy(): CounterBook {
    const out = new CounterBook();
    for (const [k, v] of this.entries()) out.load(k, v);
    return out;
  }

  private find(ruleId: string, scope: string, period: string): Counter | undefined {
    if (this.index !== null) return this.index.get(ruleId)?.get(scope)?.get(period);
    for (const c of this.all) if (c.ruleId === ruleId && c.scope === scope && c.period === period) return c;
    return undefined;
  }

  private create(ruleId: string, scope: string, period: string, key: string | null): Counter {
    const c: Counter = { ruleId, scope, period, key, awards: 0, points: 0, touched: false };
    this.all.push(c);
    if (this.index !== null) indexCounter(this.index, c);
    else if (this.all.length > SMALL_BOOK) {
      const index = (this.index = new Map());
      for (const x of this.all) indexCounter(index, x);
    }
    return c;
  }
}

function indexCounter(index: Map<string, Map<string, Map<string, Counter>>>, c: Counter): void {
  let byScope = index.get(c.ruleId);
  if (byScope === undefined) index.set(c.ruleId, (byScope = new Map()));
  let byPeriod = byScope.get(c.scope);
  if (byPeriod === undefined) byScope.set(c.scope, (byPeriod = new Map()));
  byPeriod.set(c.period, c);
}

const keyOf = (c: Counter): string => (c.key ??= counterKey(c.ruleId, c.scope, c.period));

const NO_COUNT: Readonly<CounterTotals> = Object.freeze({ awards: 0, points: 0 });

/** A counter key's rule, scope and period. */
export function splitCounterKey(key: string): [ruleId: string, scope: string, period: string] {
  // Rule ids and period keys never hold "|"; the scope may (a store's customer id is any printable
  // text): it is everything between the first and the last.
  const a = key.indexOf("|");
  const b = key.lastIndexOf("|");
  if (a < 0 || b <= a) throw new Error(`not a counter key: ${key}`);
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
}

/** `rule|customer|period` for a per-customer limit; `rule|*|lifetime` for the global budget. */
export const counterKey = (ruleId: string, customerId: string, period: string) => `${ruleId}|${customerId}|${period}`;

/** A rule without limits or budget needs no counter: most rules, asked for every event of a batch, twice. */
const NO_KEYS: readonly string[] = Object.freeze([]);

/** The counter keys an event may need for a rule (known before any condition runs, so they can be locked first). */
export function counterKeysFor(rule: CompiledRule, event: RuleEvent, timeZone: string): readonly string[] {
  if (rule.def.limits.length === 0 && !rule.def.budget) return NO_KEYS;
  const keys: string[] = [];
  for (const l of rule.def.limits) keys.push(counterKey(rule.id, event.customerId, periodKey(l.per, event.occurredAt, timeZone)));
  if (rule.def.budget) keys.push(budgetKeyOf(rule));
  return keys;
}

/** A rule's budget key (`rule|*|lifetime`), made once per rule: ingest asks for it for every event of a batch. */
const budgetKeys = new WeakMap<CompiledRule, string>();
export function budgetKeyOf(rule: CompiledRule): string {
  let key = budgetKeys.get(rule);
  if (key === undefined) budgetKeys.set(rule, (key = counterKey(rule.id, "*", "lifetime")));
  return key;
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

/**
 * The most one rule may give on one event (points, stamps or wallet minor units), like every amount
 * the API takes. Each effect's numbers are bounded but their product is not (a million points per
 * minor unit on an order of 10^12 is 10^18, past 2^53 where numbers stop being exact integers): such
 * an award is a run-time failure of the rule, skipped and counted, never an inexact credit.
 */
export const MAX_AWARD = 1_000_000_000_000;

/** Points an effect gives before limits; `earlier`: the awards so far on this event (a multiplier multiplies those of its asset). */
export function effectPoints(effect: Effect, input: CelInput, earlier: readonly Award[], pointValue: PointValue | null): number | { error: string } {
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
      return applyRate(baseOf(earlier, effect.asset), Math.round(effect.factor * 100) - 100, 100, "floor");
  }
}

/** What the rules other than multipliers gave in `asset` so far: summed when a multiplier asks, rather than kept per award. */
function baseOf(awards: readonly Award[], asset: Asset): number {
  let sum = 0;
  for (const a of awards) if (a.asset === asset && a.def.effect.kind !== "multiplier") sum += a.points;
  return sum;
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
  // Trace and failures stay the shared empty lists until something is added (most events: never).
  const out: Evaluation = { awards: [], trace: NO_TRACE, failures: NO_FAILURES };
  const tracing = x.trace === true;
  const at = x.event.occurredAt;
  let input: CelInput | null = null;
  let vars: CelVariables | null = null;
  let stopped: string | null = null;
  // The event's wall-clock parts, computed once for all rules (period keys are cached by periodKey).
  let parts: ZonedParts | null = null;
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
        failed(out, rule, c.error);
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
      raw = effectPoints(rule.def.effect, input, out.awards, x.pointValue);
    } catch (e) {
      raw = { error: `the effect could not be computed: ${(e as Error).message}` };
    }
    if (typeof raw === "number" && raw > MAX_AWARD) raw = { error: `the effect would give ${raw} for this event, more than the ${MAX_AWARD} one award may give` };
    if (typeof raw !== "number") {
      failed(out, rule, raw.error);
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
    const limits = rule.def.limits;
    const periods: string[] = limits.length === 0 ? NO_PERIODS : [];
    for (const l of limits) {
      if (l.per !== "lifetime") parts ??= zonedParts(at, x.timeZone);
      const period = periodKey(l.per, at, x.timeZone, parts ?? undefined);
      periods.push(period);
      const { awards, points: given } = x.counters.totals(rule.id, x.event.customerId, period);
      if (l.maxAwards !== undefined && awards >= l.maxAwards) {
        points = 0;
        limitedBy = () => `${l.maxAwards} award(s) per ${l.per} reached`;
      }
      if (l.maxPoints !== undefined && points > l.maxPoints - given) {
        points = Math.max(0, l.maxPoints - given);
        limitedBy = () => `${l.maxPoints} points per ${l.per}: ${given} already given`;
      }
    }
    const budget = rule.def.budget;
    if (budget) {
      const given = x.counters.totals(rule.id, "*", "lifetime").points;
      if (points > budget.points - given) {
        points = Math.max(0, budget.points - given);
        limitedBy = () => `budget of ${budget.points} points: ${given} already given`;
      }
    }
    if (points <= 0) {
      if (tracing) note(out, rule, "over_limit", 0, { reason: limitedBy ? limitedBy() : "limit reached" });
      continue;
    }
    for (let k = 0; k < limits.length; k++) {
      // Two limits on the same period share one counter: count the award once, at the first.
      if (firstOfItsPeriod(limits, k)) x.counters.addTo(rule.id, x.event.customerId, periods[k]!, points);
    }
    if (budget) x.counters.addTo(rule.id, "*", "lifetime", points);
    const asset = rule.def.effect.asset;
    out.awards.push({ ruleId: rule.id, version: rule.version, name: rule.def.name, asset, points, def: rule.def });
    if (tracing) note(out, rule, "awarded", points, limitedBy ? { reason: `capped: ${limitedBy()}` } : undefined);
    if (rule.def.stopFurther) stopped = rule.def.name;
  }
  return out;
}

// Frozen for the same reason as NO_TRACE below: a rule without limits pushes nothing onto it.
const NO_PERIODS = Object.freeze([]) as unknown as string[];

function firstOfItsPeriod(limits: RuleDefinition["limits"], k: number): boolean {
  for (let j = 0; j < k; j++) if (limits[j]!.per === limits[k]!.per) return false;
  return true;
}

// Frozen: a caller that pushed onto one would throw rather than write into every later evaluation.
const NO_TRACE = Object.freeze([]) as unknown as TraceEntry[];
const NO_FAILURES = Object.freeze([]) as unknown as Evaluation["failures"];

function failed(out: Evaluation, rule: CompiledRule, error: string): void {
  if (out.failures === NO_FAILURES) out.failures = [];
  out.failures.push({ ruleId: rule.id, version: rule.version, error });
}

function note(out: Evaluation, rule: CompiledRule, outcome: TraceOutcome, points: number, extra?: Pick<TraceEntry, "reason" | "condition">): void {
  if (out.trace === NO_TRACE) out.trace = [];
  out.trace.push({ ruleId: rule.id, version: rule.version, name: rule.def.name, outcome, points, ...extra });
}
