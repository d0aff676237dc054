import { sql } from "drizzle-orm";
import {
  applyRate, CounterBook, DAY_MS, EMPTY_ORDER, evaluateRules, priceOrder, triggers, type CelCustomer, type CelOrder, type DomainError, type Result, type RuleDefinition,
  err, ok,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Program } from "../programs/program.ts";
import { rows } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { checkRule } from "./check-rule.ts";
import { byPriority, compileRule } from "./rule-store.ts";
import { loadCustomerFacts } from "./rule-facts.ts";
import type { OrderCompletedData } from "../events/event-input.ts";

/** At most this many stored events are replayed; the answer says when the window held more. */
export const BACKTEST_MAX_EVENTS = 100_000;
const DRAFT_ID = "draft";
const YIELD_EVERY = 2_000;

export interface BacktestResult {
  from: string;
  to: string;
  eventsEvaluated: number;
  truncated: boolean;
  awards: number;
  pointsIssued: number;
  customers: number;
  /** The points' worth at the program's point value; null when the program has none. */
  liability: { amount: number; currency: string } | null;
}

/**
 * Replays the stored events of the last `days` days through the enabled rules plus a draft rule, and
 * reports what the draft alone would have given. Order metrics are taken as of each event (orders
 * placed before it); the profile (tags, attributes, birthday) is today's; limits and budgets count
 * from zero at the start of the window. Nothing is written.
 *
 * Error: RULE_INVALID.
 */
export async function backtestRule(ctx: AppContext, program: Program, def: RuleDefinition, days: number): Promise<Result<BacktestResult, DomainError>> {
  const bad = checkRule(program, def);
  if (bad) return err(bad);
  const to = ctx.clock.now();
  const from = new Date(to.getTime() - days * DAY_MS);
  const draft = compileRule(DRAFT_ID, 0, def);
  const ruleSet = [...(await ctx.rules.active(ctx.db, program)), draft].sort(byPriority);
  const events = await rows<{ external_id: string; type: string; name: string | null; data: unknown; occurred_at: string | Date; customer_id: string }>(
    ctx.db,
    sql`select external_id, type, name, data, occurred_at, customer_id from events
         where program_id = ${program.id} and type = ${def.trigger.event} and occurred_at >= ${from.toISOString()}::timestamptz and occurred_at < ${to.toISOString()}::timestamptz
         order by occurred_at, id limit ${BACKTEST_MAX_EVENTS + 1}`,
  );
  const truncated = events.length > BACKTEST_MAX_EVENTS;
  if (truncated) events.length = BACKTEST_MAX_EVENTS;
  const customerIds = [...new Set(events.map((e) => e.customer_id))];
  const facts = await loadCustomerFacts(ctx.db, program.id, customerIds, to, program.timeZone);
  const monthOf = localMonth(program.timeZone);
  const history = await orderHistory(ctx, program.id, customerIds, monthOf);
  const counters = new CounterBook();
  const touched = new Set<string>();
  let awards = 0;
  let points = 0;
  for (let i = 0; i < events.length; i++) {
    // Up to 100,000 events take seconds in all: let other requests run between slices of them.
    if (i > 0 && i % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    const e = events[i]!;
    const occurredAt = new Date(e.occurred_at);
    const data = (typeof e.data === "string" ? JSON.parse(e.data) : e.data) as Record<string, unknown>;
    const event = { type: def.trigger.event, name: e.type === "custom" ? (e.name ?? "") : e.type === "customer.birthday" ? String(data.on ?? "day") : "", occurredAt, customerId: e.customer_id };
    if (!triggers(draft, event)) continue;
    const customer = facts.get(e.customer_id);
    if (!customer) continue;
    const evaluation = evaluateRules({
      rules: ruleSet,
      event,
      timeZone: program.timeZone,
      pointValue: program.pointValue,
      counters,
      context: () => ({
        event: { id: e.external_id, type: e.type, name: event.name, occurredAt, data },
        order: e.type === "order.completed" ? orderOf(data as unknown as OrderCompletedData) : EMPTY_ORDER,
        customer: asOf(customer, history.get(e.customer_id) ?? NO_ORDERS, occurredAt, monthOf),
        now: occurredAt,
        timeZone: program.timeZone,
      }),
    });
    for (const a of evaluation.awards) {
      if (a.ruleId !== DRAFT_ID) continue;
      awards += 1;
      points += a.points;
      touched.add(e.customer_id);
    }
  }
  const liability = program.pointValue ? { amount: applyRate(points, program.pointValue.money, program.pointValue.points, "half_up"), currency: program.currency } : null;
  return ok({ from: from.toISOString(), to: to.toISOString(), eventsEvaluated: events.length, truncated, awards, pointsIssued: points, customers: touched.size, liability });
}

function orderOf(d: OrderCompletedData): CelOrder {
  const priced = priceOrder(d);
  if (!priced.ok) return EMPTY_ORDER;
  const a = priced.value;
  return {
    id: d.orderId, currency: d.currency, subtotal: a.subtotal, discount: a.discount, shipping: a.shipping, tax: a.tax, total: a.total, earningBase: a.earningBase, weight: a.weight,
    itemCount: d.lines.reduce((n, l) => n + l.quantity, 0), channel: d.channel ?? "", store: d.store ?? "",
    lines: d.lines.map((l, i) => ({ sku: l.sku, name: l.name ?? "", category: l.category ?? "", quantity: l.quantity, unitPrice: l.unitPrice, net: a.lineNet[i]!, weight: l.weight ?? 0 })),
  };
}

/**
 * A customer's orders, oldest first, as parallel lists: when each was placed, its local month
 * ("2026-03") and the running total of what they paid (spend[i]: the first i orders). asOf reads
 * them by binary search: it filtered and formatted every earlier order for every event, which was
 * quadratic in a customer's orders (a walk-in customer with 8,000 orders held a backtest for 37 s).
 */
interface OrderHistory { at: number[]; month: string[]; spend: number[] }
const NO_ORDERS: OrderHistory = { at: [], month: [], spend: [0] };

/** The local "YYYY-MM" of an instant in the program's time zone (one formatter per backtest). */
function localMonth(timeZone: string): (t: number) => string {
  const f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit" });
  return (t) => f.format(t);
}

async function orderHistory(ctx: AppContext, programId: string, customerIds: string[], monthOf: (t: number) => string) {
  const out = new Map<string, OrderHistory>();
  if (customerIds.length === 0) return out;
  const rs = await rows<{ customer_id: string; placed_at: string | Date; total: number }>(
    ctx.db,
    sql`select customer_id, placed_at, (total - refunded_amount)::float8 as total from orders where program_id = ${programId} and customer_id = any(${textArray(customerIds)}) order by placed_at`,
  );
  for (const r of rs) {
    let h = out.get(r.customer_id);
    if (!h) out.set(r.customer_id, (h = { at: [], month: [], spend: [0] }));
    const at = new Date(r.placed_at).getTime();
    h.at.push(at);
    h.month.push(monthOf(at));
    h.spend.push(h.spend.at(-1)! + Number(r.total));
  }
  return out;
}

/** The first index in [0, end) whose item is not below `x` (end when none). */
function firstNotBelow<T>(list: readonly T[], x: T, end: number): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The customer's order metrics as they were just before `at` (orders placed before it). */
function asOf(c: CelCustomer, h: OrderHistory, at: Date, monthOf: (t: number) => string): CelCustomer {
  const t = at.getTime();
  const before = firstNotBelow(h.at, t, h.at.length);
  // Local months only grow with time, so this month's earlier orders are the last ones before `at`.
  const monthStart = firstNotBelow(h.month, monthOf(t), before);
  const days = (x: number | undefined) => (x === undefined ? -1 : Math.floor((t - x) / DAY_MS));
  return {
    ...c,
    metrics: {
      lifetimeOrders: before,
      lifetimeSpend: h.spend[before]!,
      daysSinceFirstOrder: days(before > 0 ? h.at[0] : undefined),
      daysSinceLastOrder: days(before > 0 ? h.at[before - 1] : undefined),
      ordersThisMonth: before - monthStart,
      spendThisMonth: h.spend[before]! - h.spend[monthStart]!,
    },
  };
}
