import type { SQL } from "drizzle-orm";
import {
  budgetKeyOf, counterKeysFor, customerWithoutHistory, evaluateRules, triggers, EMPTY_ORDER, type Award, type CelCustomer, type CelOrder, type CompiledRule, type CounterBook, type Holdings, type RuleEvent, type Asset,
  type TraceEntry, type TriggerEvent, type CounterTotals,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { holdingKey, type HoldingKey, type LedgerWrites } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { prefetchStatement, readRuleState, type RuleStateRow } from "../rules/rule-state.ts";
import { toFacts } from "../rules/rule-facts.ts";
import { bookOf, budgetStatement, counterCte, failureCte, isBudgetKey } from "../rules/rule-counters.ts";
import { creditAwards, creditReference, creditSource, type Credit } from "../rules/credit-awards.ts";
import type { EventEffects, EventInput } from "./event-input.ts";
import type { TierBatch } from "../tiers/tier-batch.ts";

export interface RuleRun {
  effects: EventEffects;
  /** Points (the asset) the event earned. */
  points: number;
  /** The first lot credited, which a refund's clawback takes from first. */
  firstLot: string | null;
  /** Wallet credit (bonus, cash) the event earned, per asset, with its first lot: what a refund of the order takes its share of. */
  wallet: { asset: "bonus" | "cash"; amount: number; lotId: string }[];
}

/**
 * The earning rules of one ingest batch, in three steps that ingest-events.ts interleaves with its own:
 * `match` finds the events some enabled rule listens to (before the balances are locked, so their
 * customers' balances are locked with the others); `lockState` then reads what conditions need about
 * those customers and the limit counters (after the balances: see rule-counters.ts); `run` evaluates one
 * event and credits what it earns; `ctes` adds the counters and failures to the batch's write.
 */
export class EventRules {
  private facts = new Map<string, CelCustomer>();
  private counters: CounterBook | null = null;
  private failures: { ruleId: string; version: number; error: string }[] = [];
  /** The budgets' totals as read (budgetStatement writes what the batch added to them). */
  private budgetsRead = new Map<string, CounterTotals>();
  /** The customers' tiers in this batch, for the tier's earning bonus (null: no tiers). */
  tiers: TierBatch | null = null;

  private constructor(
    private readonly ctx: AppContext,
    private readonly program: Program,
    private readonly trace: boolean,
    private readonly matched: Map<number, { event: RuleEvent; candidates: CompiledRule[] }>,
  ) {}

  /** Events of active customers that some enabled rule listens to (refunds run no rules). */
  static async match(ctx: AppContext, tx: Tx, program: Program, events: { e: EventInput; i: number; customer: { id: string; status: string } }[], now: Date, trace: boolean): Promise<EventRules> {
    const triggered = new TriggeredRules(await ctx.rules.active(tx, program));
    const matched = new Map<number, { event: RuleEvent; candidates: CompiledRule[] }>();
    for (const { e, i, customer } of events) {
      if (customer.status !== "active" || e.type === "order.refunded") continue;
      const event = ruleEvent(e, customer.id, now);
      const candidates = triggered.by(event);
      if (candidates.length > 0) matched.set(i, { event, candidates });
    }
    return new EventRules(ctx, program, trace, matched);
  }

  /** The balances the rules may credit (each customer's, in each asset a candidate rule gives): lock them with the batch's others. */
  get holdingKeys(): HoldingKey[] {
    const out: HoldingKey[] = [];
    for (const r of this.matched.values()) for (const asset of assetsOf(r.candidates)) out.push({ customerId: r.event.customerId, asset });
    return out;
  }

  /**
   * The rule-state statement for ingest to send with its first statement (claim-events.ts), before it
   * knows its customers' internal ids: facts, counters and budgets of every event some rule listens
   * to, by the store's customer ids. Null when no rule listens to the batch.
   */
  static async prefetch(ctx: AppContext, tx: Tx, program: Program, events: readonly EventInput[], now: Date, lockBudgets: boolean): Promise<SQL | null> {
    const ruleSet = await ctx.rules.active(tx, program);
    if (ruleSet.length === 0) return null;
    const triggered = new TriggeredRules(ruleSet);
    const factsFor: string[] = [];
    const keys: string[] = [];
    let month = false;
    // Indexed loops: this runs once per batch over every event and candidate, too few times to be
    // optimised, and for-of there allocated an iterator result per step (1.6 MB per 1,000 events).
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.type === "order.refunded") continue;
      const event = ruleEvent(e, e.customerId, now);
      const candidates = triggered.by(event);
      if (candidates.some((c) => c.condition?.readsCustomer)) factsFor.push(e.customerId);
      month ||= readsMonth(candidates);
      for (let c = 0; c < candidates.length; c++) {
        const k = counterKeysFor(candidates[c]!, event, program.timeZone);
        for (let j = 0; j < k.length; j++) keys.push(k[j]!);
      }
    }
    if (factsFor.length === 0 && keys.length === 0) return null;
    return prefetchStatement(program.id, { factsFor, month, counterKeys: keys, now, timeZone: program.timeZone, lockBudgets });
  }

  /**
   * Reads the customer facts the conditions need and the limit counters. Call once the balances are
   * locked. `prefetched`: what `prefetch` read in the first round trip, and the customers for whom it
   * holds (their balance was locked by that first statement, so its reads came after the lock, and no
   * signup of this batch has changed their profile since); the others are read now.
   */
  async lockState(tx: Tx, now: Date, lockBudgets: boolean, prefetched?: { row: RuleStateRow; covered: ReadonlySet<string> }): Promise<void> {
    await this.readState(tx, now, lockBudgets, prefetched);
    for (const [k, v] of this.counters?.entries() ?? []) if (isBudgetKey(k)) this.budgetsRead.set(k, v);
  }

  private async readState(tx: Tx, now: Date, lockBudgets: boolean, prefetched?: { row: RuleStateRow; covered: ReadonlySet<string> }): Promise<void> {
    const all = [...this.matched.values()];
    const covered = (customerId: string) => prefetched?.covered.has(customerId) === true;
    const month = all.some((r) => readsMonth(r.candidates));
    // Facts hold only where the prefetch read them, and with this month's metrics if a rule now reads
    // them (the rules may have been reloaded between the prefetch and now).
    const prefetchedFacts = new Set(prefetched && (prefetched.row.m || !month) ? prefetched.row.f.map((f) => f.id) : []);
    const factsCovered = (customerId: string) => covered(customerId) && prefetchedFacts.has(customerId);
    const needsFacts = all.filter((r) => !factsCovered(r.event.customerId) && r.candidates.some((c) => c.condition?.readsCustomer)).map((r) => r.event.customerId);
    const tz = this.program.timeZone;
    if (!prefetched) {
      const keys: string[] = [];
      for (const r of all) for (const c of r.candidates) for (const k of counterKeysFor(c, r.event, tz)) keys.push(k);
      ({ facts: this.facts, counters: this.counters } = await readRuleState(tx, this.program.id, { factsFor: needsFacts, month, counterKeys: keys, now, timeZone: tz, lockBudgets }));
      return;
    }
    // The prefetch read every counter of the customers it covers. Left to read: the budgets (locked
    // now) and the counters of the customers it did not cover, so only theirs are keyed (a batch of
    // known customers made and split every event's keys again, to keep none of them).
    const budgetKeys = new Set<string>();
    const rest: string[] = [];
    for (let i = 0; i < all.length; i++) {
      const r = all[i]!;
      const late = !covered(r.event.customerId);
      for (let j = 0; j < r.candidates.length; j++) {
        const c = r.candidates[j]!;
        if (c.def.budget) budgetKeys.add(budgetKeyOf(c));
        if (late && c.def.limits.length > 0) for (const k of counterKeysFor(c, r.event, tz)) if (!isBudgetKey(k)) rest.push(k);
      }
    }
    const late = needsFacts.length > 0 || rest.length > 0 ? await readRuleState(tx, this.program.id, { factsFor: needsFacts, month, counterKeys: rest, now, timeZone: tz }) : null;
    this.facts = new Map([...toFacts(prefetched.row.f.filter((f) => factsCovered(f.id)), now), ...(late?.facts ?? [])]);
    this.counters = await bookOf(tx, this.program.id, budgetKeys, prefetched.row.c.filter((c) => covered(c.scope)), prefetched.row.b, lockBudgets);
    for (const [k, v] of late?.counters.entries() ?? []) this.counters.load(k, v);
  }

  /** What conditions of later events in the batch see about this customer (metrics include the orders before them). */
  customerFacts(customerId: string): CelCustomer | undefined {
    return this.facts.get(customerId);
  }

  /** Runs the rules on event i and credits what they give on `holdings`, through `ledger`. */
  run(e: EventInput, i: number, order: { state: CelOrder; orderId: string; earningBase: number } | null, holdings: Map<string, Holdings>, ledger: LedgerWrites, now: Date): RuleRun {
    const r = this.matched.get(i);
    if (!r) return { effects: this.trace ? { trace: [] } : {}, points: 0, firstLot: null, wallet: [] };
    const { ctx, program } = this;
    const customer = this.facts.get(r.event.customerId) ?? placeholderCustomer(e.customerId);
    const evaluation = evaluateRules({
      rules: r.candidates,
      event: r.event,
      timeZone: program.timeZone,
      pointValue: program.pointValue,
      counters: this.counters!,
      trace: this.trace,
      context: () => ({
        event: { id: e.id, type: e.type, name: r.event.name, occurredAt: r.event.occurredAt, data: e.data as Record<string, unknown> },
        order: order?.state ?? EMPTY_ORDER,
        customer,
        now: r.event.occurredAt,
        timeZone: program.timeZone,
      }),
    });
    for (const f of evaluation.failures) {
      this.failures.push(f);
      ctx.log.warn({ programId: program.id, ruleId: f.ruleId, version: f.version, eventId: e.id, error: f.error }, "rule failed at run time and was skipped");
    }
    const trace: TraceEntry[] | undefined = this.trace ? evaluation.trace : undefined;
    const bonus = this.tiers ? tierBonus(this.tiers, r.event.customerId, evaluation.awards) : null;
    if (bonus) evaluation.awards.push(bonus);
    if (evaluation.awards.length === 0) return { effects: trace ? { trace } : {}, points: 0, firstLot: null, wallet: [] };
    const customerId = r.event.customerId;
    const { credits, holdings: after } = creditAwards({ program, awards: evaluation.awards, holdings: (asset) => holdings.get(holdingKey(customerId, asset))!, occurredAt: r.event.occurredAt, now, nextLotId: () => ctx.ids.next("lot") });
    const awards: NonNullable<EventEffects["awards"]> = [];
    const firstCredit = credits[0]!;
    let firstTxn = "";
    credits.forEach((c, n) => {
      const txnId = ctx.ids.next("txn");
      ledger.add(
        {
          id: txnId, type: "earn", customerId: r.event.customerId, reference: creditReference(n, { id: e.id, orderId: order?.orderId }), reversesId: null,
          source: creditSource(program, c),
          metadata: creditMetadata(e, order),
          effectiveAt: r.event.occurredAt,
        },
        c.plan,
        c.after,
      );
      if (n === 0) firstTxn = txnId;
      // Fields added in place rather than spread from conditional objects: two throwaway objects per
      // award, ten awards per event with the bench's rules. The key order is the same.
      for (const a of c.awards) {
        const award: NonNullable<EventEffects["awards"]>[number] = { ruleId: a.ruleId, version: a.version, name: a.name, points: a.points };
        if (a.asset !== "points") award.asset = a.asset;
        if (n > 0) Object.assign(award, { transactionId: txnId, pending: c.pending, availableAt: c.availableAt, expiresAt: c.expiresAt });
        awards.push(award);
      }
    });
    for (const h of after) holdings.set(holdingKey(h.customerId, h.asset), h);
    const points = evaluation.awards.filter((a) => a.asset === "points").reduce((n, a) => n + a.points, 0);
    return {
      effects: { pointsEarned: points, pointsPending: firstCredit.pending, availableAt: firstCredit.availableAt, expiresAt: firstCredit.expiresAt, transactionId: firstTxn, awards, ...(trace ? { trace } : {}) },
      points,
      // A refund's clawback takes points from the order's own points lot first.
      firstLot: credits.find((c) => c.awards[0]!.asset === "points")?.lotId ?? null,
      wallet: walletEarned(credits),
    };
  }

  /** The counters the batch changed (but the budgets: see `budgetStatement`) and the run-time failures it met, for the batch's write statement. */
  ctes(now: Date): (SQL | null)[] {
    return [counterCte(this.program.id, this.counters, "rc", { withoutBudgets: true }), failureCte(this.program.id, this.failures, now)];
  }

  /** What the batch spent of the rules' budgets, to run after its write (rule-counters.ts), or null. */
  budgetStatement(): SQL | null {
    const max = new Map<string, number>();
    for (const r of this.matched.values()) for (const c of r.candidates) if (c.def.budget) max.set(c.id, c.def.budget.points);
    return budgetStatement(this.program.id, this.counters, this.budgetsRead, (ruleId) => max.get(ruleId) ?? 0);
  }
}

/** The credits' wallet assets, each with its total and first lot (an asset may be split over lots with different expiry). */
function walletEarned(credits: readonly Credit[]): RuleRun["wallet"] {
  const out = new Map<"bonus" | "cash", RuleRun["wallet"][number]>();
  for (const c of credits) {
    const asset = c.awards[0]!.asset;
    if (asset !== "bonus" && asset !== "cash") continue;
    const w = out.get(asset);
    if (w) w.amount += c.points;
    else out.set(asset, { asset, amount: c.points, lotId: c.lotId });
  }
  return [...out.values()];
}

/**
 * The tier's earning bonus: a percentage of the points the rules gave, rounded down, credited with
 * the first points award's pending days and expiry (so it lands in the same lot).
 */
function tierBonus(tiers: TierBatch, customerId: string, awards: readonly Award[]): Award | null {
  const percent = tiers.earnBonusPercent(customerId);
  const points = awards.filter((a) => a.asset === "points");
  if (percent <= 0 || points.length === 0) return null;
  const bonus = Math.floor((points.reduce((n, a) => n + a.points, 0) * percent) / 100);
  if (bonus <= 0) return null;
  const tier = tiers.tierKey(customerId)!;
  return { ruleId: `tier:${tier}`, version: 0, name: `${tier} tier: ${percent}% more`, asset: "points", points: bonus, def: points[0]!.def };
}

/**
 * An earn transaction's metadata: the event, its order and earning base, and for a custom action
 * confirmed in the shop (POST /v1/staff/confirmations) the staff member who confirmed it.
 */
function creditMetadata(e: EventInput, order: { orderId: string; earningBase: number } | null): Record<string, unknown> {
  const metadata: Record<string, unknown> = { eventId: e.id };
  if (order) {
    metadata.orderId = order.orderId;
    metadata.earningBase = order.earningBase;
  }
  if (e.type === "custom" && typeof e.data.confirmedBy === "string") metadata.confirmedBy = e.data.confirmedBy;
  return metadata;
}

/**
 * The rules each kind of event triggers (type, and name for custom and birthday events), filtered
 * once per batch: the events of a batch are mostly of one kind, and every one of them asked for its
 * own filtered copy of the rule set, twice. The lists are shared: read only.
 */
class TriggeredRules {
  private readonly byKind = new Map<string, CompiledRule[]>();
  constructor(private readonly ruleSet: readonly CompiledRule[]) {}

  by(event: RuleEvent): CompiledRule[] {
    const kind = event.name === "" ? event.type : `${event.type}\u0000${event.name}`;
    let list = this.byKind.get(kind);
    if (list === undefined) this.byKind.set(kind, (list = this.ruleSet.filter((r) => triggers(r, event))));
    return list;
  }
}

/** The assets a list of rules gives, each once; remembered per list (TriggeredRules shares them across a batch's events). */
const assetsByList = new WeakMap<readonly CompiledRule[], Asset[]>();
function assetsOf(rules: readonly CompiledRule[]): Asset[] {
  let assets = assetsByList.get(rules);
  if (assets === undefined) assetsByList.set(rules, (assets = [...new Set(rules.map((c) => c.def.effect.asset))]));
  return assets;
}

/** The event as rules see it, for `customerId` (the internal id, or the store's before the claim: see prefetch). */
function ruleEvent(e: EventInput, customerId: string, now: Date): RuleEvent {
  return { type: e.type as TriggerEvent, name: ruleEventName(e), occurredAt: e.occurredAt ?? now, customerId };
}

/** The name a rule trigger matches on: the custom event's name, or when a birthday event fires. */
function ruleEventName(e: EventInput): string {
  if (e.type === "custom") return e.name;
  if (e.type === "customer.birthday") return e.data.on;
  return "";
}

/** Conditions of rules on a customer whose facts were not loaded (no rule reads them) see an empty profile. */
const placeholderCustomer = (externalId: string): CelCustomer => customerWithoutHistory({ id: externalId });

/** Whether a condition of these rules may read this month's metrics (then the facts count this month's orders). */
const readsMonth = (rules: readonly CompiledRule[]): boolean => rules.some((r) => r.condition?.readsMonth === true);
