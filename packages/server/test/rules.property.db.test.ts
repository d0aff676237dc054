import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { rows, type Database } from "../src/db/connect.ts";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";

/**
 * Property: random earning-rule sets and random event streams, through the HTTP API on a real
 * database, against a reference computed here from first principles (no engine code).
 *
 * Each run is one program (Asia/Ho_Chi_Minh, USD, clawbacks allowed to go negative) in a database
 * shared by all runs. Its rules are 3-6 of: fixed / per_amount / per_line / multiplier effects on
 * order.completed, a custom event or review.submitted, with optional conditions, day and lifetime
 * limits, a global budget, distinct priorities (around the base earning's 0), stopFurther, and their
 * own pending days or expiry (so an event's awards may split into several ledger transactions).
 * 10-30 events over three local days, sent one by one or in batches, include full refunds and a
 * few spends (negative adjustments of part of the available balance, so later clawbacks can make a
 * balance negative and later credits pay that debt first).
 *
 * After each run:
 * - every event is accepted and reports exactly the reference's awards (rule and points), grouped
 *   into one transaction per (pending, expiry), and refunds claw back exactly what the order earned;
 * - each customer's available + pending equals the reference, and the reported pointsEarned add up
 *   to the reference total;
 * - ledger: postings net to zero per transaction and asset (and over all accounts), are positive and
 *   never to themselves; stored balances equal the balances derived from postings; earn and refund
 *   postings per customer equal the reference's earned and clawed-back points; lots agree with balances;
 * - rule_counters hold exactly the awards and points the reference counted per rule, customer and period.
 */

const NUM_RUNS = 60;
const SEED = 20260313;
const TZ_OFFSET_MS = 7 * 3_600_000; // Asia/Ho_Chi_Minh: UTC+7, no daylight saving time
const DAY_MS = 86_400_000;
/** Local midnight starting 10 March 2026 in Ho Chi Minh City; events fall on the 10th, 11th and 12th. */
const FIRST_LOCAL_DAY = Date.UTC(2026, 2, 10) - TZ_OFFSET_MS;
/** The clock: noon on the 13th, local, after every event. */
const NOW = new Date(Date.UTC(2026, 2, 13, 5, 0, 0));
const CUSTOM_NAME = "store.visit";
const SKUS = ["A", "B", "C"] as const;
type Sku = (typeof SKUS)[number];

// ---------------------------------------------------------------------------------------------
// Generated specifications

type TriggerKind = "order" | "custom" | "review";
type EffectSpec =
  | { kind: "fixed"; points: number }
  | { kind: "per_amount"; points: number; per: number }
  | { kind: "per_line"; points: number; per: "quantity" | "line"; skus: Sku[] }
  | { kind: "multiplier"; factor: 2 | 1.5 };

interface RuleSpec {
  trigger: TriggerKind;
  /** `hasSku(sku)` and/or `order.total >= minTotal`; neither: no condition. */
  hasSku: Sku | null;
  minTotal: number | null;
  effect: EffectSpec;
  dayMaxAwards: number | null;
  lifetimeMaxPoints: number | null;
  lifetimeMaxAwards: number | null;
  budget: number | null;
  stopFurther: boolean;
  /** null: the program's (0 or 1 in these runs). */
  pendingDays: number | null;
  /** null: the program's (never). */
  expiryDays: number | null;
}

interface LineSpec {
  sku: Sku;
  quantity: number;
  unitPrice: number;
}

type EventSpec =
  | { kind: "order"; customer: number; day: number; minute: number; lines: LineSpec[]; shipping: number; discountPct: number }
  | { kind: "custom"; customer: number; day: number; minute: number; otherName: boolean }
  | { kind: "review"; customer: number; day: number; minute: number }
  | { kind: "refund"; pick: number }
  /** A redemption-like debit (an adjustment) of `pct`% of what the customer has available, so later clawbacks can go negative. */
  | { kind: "spend"; customer: number; pct: number };

interface Scenario {
  baseEarning: { enabled: boolean; per: number };
  programPendingDays: number;
  customers: number;
  rules: RuleSpec[];
  priorities: number[];
  events: EventSpec[];
  sends: { size: number; batch: boolean }[];
}

const maybe = <T>(arb: fc.Arbitrary<T>, freq = 2) => fc.option(arb, { nil: null, freq });

const ruleArb: fc.Arbitrary<RuleSpec> = fc
  .record({
    trigger: fc.constantFrom<TriggerKind>("order", "order", "order", "custom", "review"),
    hasSku: maybe(fc.constantFrom<Sku>("A", "B")),
    minTotal: maybe(fc.integer({ min: 0, max: 12_000 })),
    effectKind: fc.constantFrom("fixed", "per_amount", "per_line", "multiplier"),
    points: fc.integer({ min: 1, max: 40 }),
    per: fc.constantFrom(100, 250, 1_000),
    perLine: fc.constantFrom<"quantity" | "line">("quantity", "line"),
    lineSkus: fc.subarray([...SKUS], { minLength: 1 }),
    factor: fc.constantFrom<2 | 1.5>(2, 1.5),
    dayMaxAwards: maybe(fc.integer({ min: 1, max: 3 })),
    lifetimeMaxPoints: maybe(fc.integer({ min: 5, max: 300 })),
    lifetimeMaxAwards: maybe(fc.integer({ min: 1, max: 4 }), 4),
    budget: maybe(fc.integer({ min: 10, max: 400 }), 3),
    // About one rule in seven stops further rules.
    stopFreq: fc.integer({ min: 0, max: 6 }),
    pendingDays: maybe(fc.constantFrom(0, 2), 3),
    expiryDays: maybe(fc.constant(60), 4),
  })
  .map((r): RuleSpec => {
    // Effects other than fixed need an order: on other triggers the rule gives fixed points.
    const kind = r.trigger === "order" ? r.effectKind : "fixed";
    const effect: EffectSpec =
      kind === "fixed" ? { kind, points: r.points }
      : kind === "per_amount" ? { kind, points: Math.min(r.points, 5), per: r.per }
      : kind === "per_line" ? { kind, points: Math.min(r.points, 10), per: r.perLine, skus: r.lineSkus }
      : { kind: "multiplier", factor: r.factor };
    return {
      trigger: r.trigger,
      hasSku: r.hasSku,
      minTotal: r.minTotal,
      effect,
      dayMaxAwards: r.dayMaxAwards,
      lifetimeMaxPoints: r.lifetimeMaxPoints,
      lifetimeMaxAwards: r.lifetimeMaxAwards,
      budget: r.budget,
      stopFurther: r.stopFreq === 0,
      pendingDays: r.pendingDays,
      expiryDays: r.expiryDays,
    };
  });

const when = {
  customer: fc.nat(3),
  day: fc.integer({ min: 0, max: 2 }),
  // Local minute of the day; the edges (and 07:00 local, which is UTC midnight) are the interesting ones.
  minute: fc.oneof(fc.constantFrom(0, 1, 419, 420, 421, 1_438, 1_439), fc.integer({ min: 0, max: 1_439 })),
};

const eventArb: fc.Arbitrary<EventSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("order" as const),
      ...when,
      lines: fc.array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 3 }), unitPrice: fc.integer({ min: 50, max: 5_000 }) }), { minLength: 1, maxLength: 3 }),
      shipping: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000 })),
      discountPct: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("custom" as const), ...when, otherName: fc.integer({ min: 0, max: 3 }).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("review" as const), ...when }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refund" as const), pick: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("spend" as const), customer: fc.nat(3), pct: fc.integer({ min: 1, max: 100 }) }) },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  baseEarning: fc.record({ enabled: fc.boolean(), per: fc.constantFrom(100, 250) }),
  programPendingDays: fc.constantFrom(0, 0, 1),
  customers: fc.integer({ min: 2, max: 4 }),
  rules: fc.array(ruleArb, { minLength: 3, maxLength: 6 }),
  // Distinct, and spread around 0 (the base earning's priority, which wins ties).
  priorities: fc.uniqueArray(fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -5, max: 30 })), { minLength: 6, maxLength: 6 }),
  events: fc.array(eventArb, { minLength: 10, maxLength: 30 }),
  sends: fc.array(fc.record({ size: fc.integer({ min: 1, max: 6 }), batch: fc.boolean() }), { minLength: 30, maxLength: 30 }),
});

// ---------------------------------------------------------------------------------------------
// Materialised events: what is sent, with the facts the reference needs

interface OrderFacts {
  orderId: string;
  lines: LineSpec[];
  total: number;
  earningBase: number;
}

interface Concrete {
  /** null for spends, which go through the adjustments endpoint. */
  body: Record<string, unknown> | null;
  customer: string;
  occurredAt: Date;
  kind: "order" | "custom" | "review" | "refund" | "spend";
  /** spends: the percentage of the available balance to debit, and the amount debited (set when sent). */
  pct?: number;
  spent?: number;
  customName?: string;
  order?: OrderFacts;
  /** refunds: the order refunded. */
  refundOf?: string;
}

const customerName = (i: number) => ["an", "binh", "chi", "dung"][i]!;

function materialise(s: Scenario): Concrete[] {
  const out: Concrete[] = [];
  const open: { orderId: string; customer: string }[] = []; // orders not yet refunded
  s.events.forEach((e, n) => {
    if (e.kind === "refund") {
      if (open.length === 0) return;
      const [o] = open.splice(e.pick % open.length, 1);
      out.push({
        kind: "refund",
        customer: o!.customer,
        occurredAt: NOW,
        refundOf: o!.orderId,
        body: { id: `e${n}`, type: "order.refunded", customerId: o!.customer, data: { orderId: o!.orderId, refundId: `rf${n}` } },
      });
      return;
    }
    const customer = customerName(e.customer % s.customers);
    if (e.kind === "spend") {
      out.push({ kind: "spend", customer, occurredAt: NOW, pct: e.pct, body: null });
      return;
    }
    const occurredAt = new Date(FIRST_LOCAL_DAY + e.day * DAY_MS + e.minute * 60_000);
    const envelope = { id: `e${n}`, customerId: customer, occurredAt: occurredAt.toISOString() };
    if (e.kind === "order") {
      const orderId = `o${n}`;
      const merchandise = e.lines.reduce((t, l) => t + l.quantity * l.unitPrice, 0);
      const discount = Math.floor((merchandise * e.discountPct) / 100);
      const earningBase = merchandise - discount;
      const total = earningBase + e.shipping;
      out.push({
        kind: "order",
        customer,
        occurredAt,
        order: { orderId, lines: e.lines, total, earningBase },
        body: {
          ...envelope,
          type: "order.completed",
          data: {
            orderId,
            currency: "USD",
            lines: e.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })),
            ...(discount > 0 ? { discount } : {}),
            ...(e.shipping > 0 ? { shipping: e.shipping } : {}),
            total,
          },
        },
      });
      open.push({ orderId, customer });
    } else if (e.kind === "custom") {
      const name = e.otherName ? "store.other" : CUSTOM_NAME;
      out.push({ kind: "custom", customer, occurredAt, customName: name, body: { ...envelope, type: "custom", name, data: { n } } });
    } else {
      out.push({ kind: "review", customer, occurredAt, body: { ...envelope, type: "review.submitted", data: { reviewId: `rv${n}`, rating: 5 } } });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The reference: what the rules documented in core/rules/types.ts should give, computed directly.

interface RefRule {
  name: string;
  priority: number;
  isBase: boolean;
  spec: RuleSpec;
}

interface RefAward {
  name: string;
  points: number;
  /** Awards with the same pending days and expiry share a ledger transaction. */
  group: string;
}

interface Reference {
  perEvent: { awards: RefAward[]; earned: number; clawed: number }[];
  balance: Map<string, number>;
  earned: Map<string, number>;
  clawed: Map<string, number>;
  totalEarned: number;
  /** `ruleName|customer|period` (customer "*" for budgets) -> counted awards and points. */
  counters: Map<string, { awards: number; points: number }>;
}

const localDayKey = (at: Date) => {
  const d = new Date(at.getTime() + TZ_OFFSET_MS);
  return `day:${d.toISOString().slice(0, 10)}`;
};

function reference(s: Scenario, events: Concrete[]): Reference {
  const rules: RefRule[] = s.rules.map((spec, i) => ({ name: `r${i}`, priority: s.priorities[i]!, isBase: false, spec }));
  if (s.baseEarning.enabled) {
    // The program's base earning: 1 point per `per` cents of the earning base, rounded down, at priority 0.
    const spec: RuleSpec = {
      trigger: "order", hasSku: null, minTotal: null, effect: { kind: "per_amount", points: 1, per: s.baseEarning.per },
      dayMaxAwards: null, lifetimeMaxPoints: null, lifetimeMaxAwards: null, budget: null, stopFurther: false, pendingDays: null, expiryDays: null,
    };
    rules.push({ name: "Base earning", priority: 0, isBase: true, spec });
  }
  // Lower priority first; the base earning runs before a rule of the same priority.
  rules.sort((a, b) => a.priority - b.priority || Number(b.isBase) - Number(a.isBase));

  const counters = new Map<string, { awards: number; points: number }>();
  const used = (key: string) => counters.get(key) ?? { awards: 0, points: 0 };
  const earnedByOrder = new Map<string, number>();
  const out: Reference = { perEvent: [], balance: new Map(), earned: new Map(), clawed: new Map(), totalEarned: 0, counters };
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

  for (const e of events) {
    if (e.kind === "refund") {
      // A full refund takes back everything the order earned (clawbacks may go negative).
      const claw = earnedByOrder.get(e.refundOf!) ?? 0;
      earnedByOrder.set(e.refundOf!, 0);
      add(out.balance, e.customer, -claw);
      add(out.clawed, e.customer, claw);
      out.perEvent.push({ awards: [], earned: 0, clawed: claw });
      continue;
    }
    if (e.kind === "spend") {
      add(out.balance, e.customer, -e.spent!);
      out.perEvent.push({ awards: [], earned: 0, clawed: 0 });
      continue;
    }
    const order = e.order;
    const total = order?.total ?? 0;
    const lines = order?.lines ?? [];
    const listens = (r: RefRule) =>
      r.spec.trigger === "order" ? e.kind === "order" : r.spec.trigger === "review" ? e.kind === "review" : e.kind === "custom" && e.customName === CUSTOM_NAME;
    const awards: RefAward[] = [];
    let nonMultiplier = 0;
    for (const r of rules) {
      if (!listens(r)) continue;
      if (r.spec.hasSku !== null && !lines.some((l) => l.sku === r.spec.hasSku)) continue;
      if (r.spec.minTotal !== null && !(total >= r.spec.minTotal)) continue;
      const eff = r.spec.effect;
      let raw: number;
      if (eff.kind === "fixed") raw = eff.points;
      else if (eff.kind === "per_amount") raw = Math.floor(((order?.earningBase ?? 0) * eff.points) / eff.per);
      else if (eff.kind === "per_line") raw = lines.filter((l) => eff.skus.includes(l.sku)).reduce((n, l) => n + eff.points * (eff.per === "quantity" ? l.quantity : 1), 0);
      // "factor 2 gives as much again": the extra part of the factor, on what earlier rules gave, rounded down.
      else raw = Math.floor((nonMultiplier * Math.round((eff.factor - 1) * 100)) / 100);
      if (raw <= 0) continue;
      const day = `${r.name}|${e.customer}|${localDayKey(e.occurredAt)}`;
      const life = `${r.name}|${e.customer}|lifetime`;
      const budget = `${r.name}|*|lifetime`;
      let points = raw;
      if (r.spec.dayMaxAwards !== null && used(day).awards >= r.spec.dayMaxAwards) points = 0;
      if (r.spec.lifetimeMaxAwards !== null && used(life).awards >= r.spec.lifetimeMaxAwards) points = 0;
      if (r.spec.lifetimeMaxPoints !== null) points = Math.min(points, r.spec.lifetimeMaxPoints - used(life).points);
      if (r.spec.budget !== null) points = Math.min(points, r.spec.budget - used(budget).points);
      if (points <= 0) continue;
      const keys = new Set<string>();
      if (r.spec.dayMaxAwards !== null) keys.add(day);
      if (r.spec.lifetimeMaxAwards !== null || r.spec.lifetimeMaxPoints !== null) keys.add(life);
      if (r.spec.budget !== null) keys.add(budget);
      for (const k of keys) counters.set(k, { awards: used(k).awards + 1, points: used(k).points + points });
      if (eff.kind !== "multiplier") nonMultiplier += points;
      const pendingDays = r.spec.pendingDays ?? s.programPendingDays;
      awards.push({ name: r.name, points, group: `${pendingDays}|${r.spec.expiryDays ?? "never"}` });
      if (r.spec.stopFurther) break;
    }
    const earned = awards.reduce((n, a) => n + a.points, 0);
    if (order) earnedByOrder.set(order.orderId, earned);
    add(out.balance, e.customer, earned);
    add(out.earned, e.customer, earned);
    out.totalEarned += earned;
    out.perEvent.push({ awards, earned, clawed: 0 });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Driving the API

function ruleBody(spec: RuleSpec, name: string, priority: number): Record<string, unknown> {
  const trigger = spec.trigger === "order" ? { event: "order.completed" } : spec.trigger === "review" ? { event: "review.submitted" } : { event: "custom", name: CUSTOM_NAME };
  const parts = [...(spec.hasSku !== null ? [`hasSku("${spec.hasSku}")`] : []), ...(spec.minTotal !== null ? [`order.total >= ${spec.minTotal}`] : [])];
  const e = spec.effect;
  const effect =
    e.kind === "fixed" ? { kind: "fixed", points: e.points }
    : e.kind === "per_amount" ? { kind: "per_amount", points: e.points, per: e.per, base: "earning_base", rounding: "floor" }
    : e.kind === "per_line" ? { kind: "per_line", points: e.points, per: e.per, skus: e.skus }
    : { kind: "multiplier", factor: e.factor };
  const limits = [
    ...(spec.dayMaxAwards !== null ? [{ per: "day", maxAwards: spec.dayMaxAwards }] : []),
    ...(spec.lifetimeMaxPoints !== null ? [{ per: "lifetime", maxPoints: spec.lifetimeMaxPoints }] : []),
    ...(spec.lifetimeMaxAwards !== null ? [{ per: "lifetime", maxAwards: spec.lifetimeMaxAwards }] : []),
  ];
  return {
    name,
    trigger,
    condition: parts.length > 0 ? parts.join(" && ") : null,
    effect,
    limits,
    budget: spec.budget !== null ? { points: spec.budget } : null,
    priority,
    stopFurther: spec.stopFurther,
    pendingDays: spec.pendingDays,
    expiry: spec.expiryDays !== null ? { kind: "days", days: spec.expiryDays } : null,
  };
}

async function setUp(database: Database, s: Scenario): Promise<{ api: TestApi; ruleIds: Map<string, string> }> {
  const api = await testApi({
    database,
    clock: new FakeClock(NOW),
    program: {
      name: "Rules property",
      currency: "USD",
      timeZone: "Asia/Ho_Chi_Minh",
      earning: { enabled: true, points: 1, per: s.baseEarning.per, rounding: "floor" },
      ledgerPolicy: { pendingDays: s.programPendingDays, expiry: { kind: "never" }, clawback: "allow_negative" },
    },
  });
  if (!s.baseEarning.enabled) {
    const r = await api.call("PATCH", "/v1/program", { earning: { enabled: false, points: 1, per: s.baseEarning.per, rounding: "floor" } });
    expect(r.status, r.text).toBe(200);
  }
  const ruleIds = new Map<string, string>();
  for (const [i, spec] of s.rules.entries()) {
    const name = `r${i}`;
    const r = await api.call("POST", "/v1/rules", ruleBody(spec, name, s.priorities[i]!));
    expect(r.status, r.text).toBe(201);
    ruleIds.set(name, r.body.id);
  }
  return { api, ruleIds };
}

/**
 * Sends the events in the planned groups (single POSTs or one batch; a spend ends a batch and goes
 * through the adjustments endpoint) and returns each event's result, in order. Fills in what spends debited.
 */
async function send(api: TestApi, s: Scenario, events: Concrete[]): Promise<any[]> {
  const results: any[] = [];
  const post = async (group: Concrete[], batch: boolean) => {
    if (group.length === 0) return;
    if (batch) {
      const r = await api.call("POST", "/v1/events/batch", { events: group.map((e) => e.body) });
      expect(r.status, r.text).toBe(200);
      results.push(...r.body.results);
    } else {
      for (const e of group) {
        const r = await api.call("POST", "/v1/events", e.body);
        expect(r.status, r.text).toBe(200);
        results.push(r.body);
      }
    }
  };
  const spend = async (e: Concrete) => {
    // The amount is a share of what the API says is available now: an input, like the events, not a result checked here.
    const b = await api.call("GET", `/v1/customers/${e.customer}/balances`);
    e.spent = b.status === 404 ? 0 : Math.floor((Math.max(0, b.body.available) * e.pct!) / 100);
    if (e.spent > 0) {
      const r = await api.call("POST", `/v1/customers/${e.customer}/adjustments`, { amount: -e.spent, reason: "spent in store" });
      expect(r.status, r.text).toBe(201);
    }
    results.push({ status: "accepted", spend: e.spent });
  };
  let at = 0;
  // Thirty groups of one to six events; whatever is left (rarely anything) goes one by one.
  const groups = [...s.sends, { size: events.length, batch: false }];
  for (const g of groups) {
    if (at >= events.length) break;
    const group = events.slice(at, at + g.size);
    at += group.length;
    let run: Concrete[] = [];
    for (const e of group) {
      if (e.kind !== "spend") {
        run.push(e);
        continue;
      }
      await post(run, g.batch);
      run = [];
      await spend(e);
    }
    await post(run, g.batch);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Ledger and counter checks, straight from the tables, for one program

async function checkLedger(api: TestApi, ref: Reference, customers: string[]) {
  const db = api.ctx.db;
  const pid = api.programId;
  // Postings net to zero per transaction and asset, counting each as -amount at its source and +amount at its destination.
  const [unbalanced] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (
          select transaction_id, asset from (
            select transaction_id, asset, -amount as delta from ledger_postings where program_id = ${pid}
            union all select transaction_id, asset, amount from ledger_postings where program_id = ${pid}) x
          group by transaction_id, asset having sum(delta) <> 0) y`,
  );
  expect(unbalanced!.n).toBe(0);
  // Every posting moves a positive amount between two different accounts, and every transaction has postings.
  const [bad] = await rows<{ postings: number; empty: number }>(
    db,
    sql`select
          (select count(*)::int from ledger_postings where program_id = ${pid} and (amount <= 0 or source = destination)) as postings,
          (select count(*)::int from ledger_transactions t where t.program_id = ${pid} and not exists (select 1 from ledger_postings p where p.transaction_id = t.id)) as empty`,
  );
  expect(bad).toEqual({ postings: 0, empty: 0 });
  // All accounts, system ones included, sum to zero per asset.
  const sums = await rows<{ asset: string; s: number }>(
    db,
    sql`select asset, sum(b)::float8 as s from (
          select destination as account, asset, sum(amount) as b from ledger_postings where program_id = ${pid} group by 1, 2
          union all select source, asset, -sum(amount) from ledger_postings where program_id = ${pid} group by 1, 2) x group by asset`,
  );
  for (const x of sums) expect(x.s).toBe(0);

  // Per customer: stored balances = balances derived from postings; earn and refund postings = the reference; lots agree.
  const per = await rows<{
    external_id: string; available: number | null; pending: number | null; d_avail: number; d_pend: number; earned: number; clawed: number;
    lot_avail: number; lot_pend: number; bad_lots: number;
  }>(
    db,
    sql`with p as (
          select p.source, p.destination, p.amount, t.type from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
           where p.program_id = ${pid} and p.asset = 'points')
        select c.external_id, b.available::float8 as available, b.pending::float8 as pending,
          (select coalesce(sum(case when destination = 'customer:' || c.id || ':available' then amount else -amount end), 0)::float8 from p
            where source = 'customer:' || c.id || ':available' or destination = 'customer:' || c.id || ':available') as d_avail,
          (select coalesce(sum(case when destination = 'customer:' || c.id || ':pending' then amount else -amount end), 0)::float8 from p
            where source = 'customer:' || c.id || ':pending' or destination = 'customer:' || c.id || ':pending') as d_pend,
          (select coalesce(sum(amount), 0)::float8 from p where type = 'earn' and source = 'world' and destination like 'customer:' || c.id || ':%') as earned,
          (select coalesce(sum(amount), 0)::float8 from p where type = 'refund' and destination = 'world' and source like 'customer:' || c.id || ':%') as clawed,
          (select coalesce(sum(remaining), 0)::float8 from lots where program_id = ${pid} and customer_id = c.id and not pending) as lot_avail,
          (select coalesce(sum(remaining), 0)::float8 from lots where program_id = ${pid} and customer_id = c.id and pending) as lot_pend,
          (select count(*)::int from lots where program_id = ${pid} and customer_id = c.id and (remaining < 0 or remaining > amount)) as bad_lots
        from customers c left join account_balances b on b.program_id = c.program_id and b.customer_id = c.id and b.asset = 'points'
        where c.program_id = ${pid}`,
  );
  expect(per.map((x) => x.external_id).sort()).toEqual([...customers].sort());
  for (const x of per) {
    const who = x.external_id;
    const stored = { available: x.available ?? 0, pending: x.pending ?? 0 };
    expect(stored, `stored balances of ${who}`).toEqual({ available: x.d_avail, pending: x.d_pend });
    expect(x.d_avail + x.d_pend, `derived balance of ${who}`).toBe(ref.balance.get(who) ?? 0);
    expect(x.earned, `earn postings of ${who}`).toBe(ref.earned.get(who) ?? 0);
    expect(x.clawed, `refund postings of ${who}`).toBe(ref.clawed.get(who) ?? 0);
    expect(x.bad_lots, `lots out of range for ${who}`).toBe(0);
    expect(x.d_pend).toBeGreaterThanOrEqual(0);
    // Lots hold exactly what the balances hold; a negative available balance (a clawback) is held by no lot.
    expect({ pending: x.lot_pend, available: x.lot_avail }, `lots of ${who}`).toEqual({ pending: x.d_pend, available: Math.max(0, x.d_avail) });
    if (x.d_avail >= 0) expect(x.lot_avail + x.lot_pend).toBe(x.d_avail + x.d_pend);
  }
}

async function checkCounters(api: TestApi, ref: Reference, ruleIds: Map<string, string>) {
  const got = await rows<{ rule_id: string; scope: string; period: string; awards: number; points: number }>(
    api.ctx.db,
    sql`select rc.rule_id, coalesce(c.external_id, rc.scope) as scope, rc.period, rc.awards::int as awards, rc.points::float8 as points
          from rule_counters rc left join customers c on c.program_id = rc.program_id and c.id = rc.scope
         where rc.program_id = ${api.programId} and (rc.awards > 0 or rc.points > 0)`,
  );
  const byId = new Map([...ruleIds].map(([name, id]) => [id, name]));
  const actual = Object.fromEntries(got.map((r) => [`${byId.get(r.rule_id) ?? r.rule_id}|${r.scope}|${r.period}`, { awards: r.awards, points: r.points }]));
  expect(actual).toEqual(Object.fromEntries(ref.counters));
}

// ---------------------------------------------------------------------------------------------

describe("earning rules against a reference under random rule sets and events (property)", () => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase();
  });
  afterAll(() => database.close());

  it(`gives exactly what the rules say, and keeps the ledger consistent (${NUM_RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const events = materialise(s);
        const { api, ruleIds } = await setUp(database, s);
        const results = await send(api, s, events);
        const ref = reference(s, events);
        expect(results).toHaveLength(events.length);

        let reported = 0;
        results.forEach((r, i) => {
          const what = `event ${i} (${String(events[i]!.body?.id ?? "spend")}, ${events[i]!.kind})`;
          expect(r.status, `${what}: ${JSON.stringify(r)}`).toBe("accepted");
          const want = ref.perEvent[i]!;
          const fx = r.effects ?? {};
          if (events[i]!.kind === "spend") return;
          if (events[i]!.kind === "refund") {
            expect(fx.pointsClawedBack, what).toBe(want.clawed);
            expect(fx.shortfall, what).toBeUndefined();
            return;
          }
          reported += fx.pointsEarned ?? 0;
          const awards = ((fx.awards ?? []) as { name: string; points: number; transactionId: string }[]).map((a) => ({ name: a.name, points: a.points }));
          const sort = (xs: { name: string; points: number }[]) => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          expect(sort(awards), what).toEqual(sort(want.awards.map(({ name, points }) => ({ name, points }))));
          expect(fx.pointsEarned ?? 0, what).toBe(want.earned);
          // One ledger transaction per (pending days, expiry) among the awards.
          // An award names its transaction only when it is not the event's own (the first).
          const txns = new Set(((fx.awards ?? []) as { transactionId?: string }[]).map((a) => a.transactionId ?? fx.transactionId));
          expect(txns.size, `${what}: transactions`).toBe(new Set(want.awards.map((a) => a.group)).size);
        });
        expect(reported).toBe(ref.totalEarned);

        // Customers exist once an event named them (a spend on an unknown customer was a 404 and did nothing).
        const customers = [...new Set(events.filter((e) => e.kind !== "spend").map((e) => e.customer))];
        for (const c of customers) {
          const b = await api.call("GET", `/v1/customers/${c}/balances`);
          expect(b.status, b.text).toBe(200);
          expect(b.body.available + b.body.pending, `balance of ${c}`).toBe(ref.balance.get(c) ?? 0);
        }
        await checkLedger(api, ref, customers);
        await checkCounters(api, ref, ruleIds);
        await api.close();
      }),
      // Shrinking on: a failure ends with a small counterexample (a few hundred more runs, well under a minute).
      { numRuns: NUM_RUNS, seed: SEED },
    );
  }, 300_000);
});
