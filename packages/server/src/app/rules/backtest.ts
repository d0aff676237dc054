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
  const history = await orderHistory(ctx, program.id, customerIds);
  const counters = new CounterBook();
  const touched = new Set<string>();
  let awards = 0;
  let points = 0;
  for (const e of events) {
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
        customer: asOf(customer, history.get(e.customer_id) ?? [], occurredAt, program.timeZone),
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

async function orderHistory(ctx: AppContext, programId: string, customerIds: string[]) {
  const out = new Map<string, { at: number; total: number }[]>();
  if (customerIds.length === 0) return out;
  const rs = await rows<{ customer_id: string; placed_at: string | Date; total: number }>(
    ctx.db,
    sql`select customer_id, placed_at, (total - refunded_amount)::float8 as total from orders where program_id = ${programId} and customer_id = any(${textArray(customerIds)}) order by placed_at`,
  );
  for (const r of rs) {
    const list = out.get(r.customer_id) ?? [];
    list.push({ at: new Date(r.placed_at).getTime(), total: Number(r.total) });
    out.set(r.customer_id, list);
  }
  return out;
}

/** The customer's order metrics as they were just before `at` (orders placed before it). */
function asOf(c: CelCustomer, orders: { at: number; total: number }[], at: Date, timeZone: string): CelCustomer {
  const before = orders.filter((o) => o.at < at.getTime());
  const local = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit" });
  const month = local.format(at);
  const thisMonth = before.filter((o) => local.format(new Date(o.at)) === month);
  const days = (t: number | undefined) => (t === undefined ? -1 : Math.floor((at.getTime() - t) / DAY_MS));
  return {
    ...c,
    metrics: {
      lifetimeOrders: before.length,
      lifetimeSpend: before.reduce((n, o) => n + o.total, 0),
      daysSinceFirstOrder: days(before[0]?.at),
      daysSinceLastOrder: days(before.at(-1)?.at),
      ordersThisMonth: thisMonth.length,
      spendThisMonth: thisMonth.reduce((n, o) => n + o.total, 0),
    },
  };
}
