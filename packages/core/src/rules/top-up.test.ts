import { describe, expect, it } from "vitest";
import { compileCondition, EMPTY_ORDER, type CelInput } from "./cel.ts";
import { CounterBook, evaluateRules, type CompiledRule } from "./evaluate.ts";
import type { RuleDefinition } from "./types.ts";

// Story 5: "a content platform credits 5% of every top-up of 10,000 or more to the customer's bonus balance".
const def: RuleDefinition = {
  name: "Top-up cashback", trigger: { event: "wallet.topped_up" }, condition: "event.data.amount >= 10000",
  effect: { kind: "per_amount", asset: "bonus", points: 5, per: 100, rounding: "floor", base: "amount" },
  schedule: null, limits: [], budget: null, pendingDays: null, expiry: null, priority: 100, stopFurther: false,
};
const compiled = compileCondition(def.condition!);
if (!compiled.ok) throw new Error(compiled.error.message);
const rule: CompiledRule = { id: "rul_topup", version: 1, def, condition: compiled.value };

function topUp(data: Record<string, unknown>) {
  const occurredAt = new Date("2026-03-10T03:00:00Z");
  const context = (): CelInput => ({
    event: { id: "evt", type: "wallet.topped_up", name: "", occurredAt, data },
    order: EMPTY_ORDER,
    customer: { id: "c", email: "", phone: "", name: "", birthday: "", status: "active", tier: "", tags: [], attributes: {}, metrics: { lifetimeOrders: 0, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0 } },
    now: occurredAt,
    timeZone: "UTC",
  });
  return evaluateRules({ rules: [rule], event: { type: "wallet.topped_up", name: "", occurredAt, customerId: "c" }, context, timeZone: "UTC", pointValue: null, counters: new CounterBook(), trace: true });
}

describe("per_amount on the event's amount (wallet.topped_up)", () => {
  it.each([
    { amount: 10_000, bonus: 500 },
    { amount: 9_999, bonus: 0 },
    { amount: 25_050, bonus: 1_252 },
    { amount: 1_000_000, bonus: 50_000 },
  ])("a top-up of $amount gives $bonus bonus", ({ amount, bonus }) => {
    const r = topUp({ amount, currency: "VND" });
    expect(r.awards.reduce((n, a) => n + a.points, 0)).toBe(bonus);
    if (bonus > 0) expect(r.awards[0]).toMatchObject({ asset: "bonus", points: bonus });
    else expect(r.trace[0]).toMatchObject({ outcome: "not_matched", condition: { part: "event.data.amount >= 10000" } });
  });
  it("an event without a numeric amount reads as 0 and gives nothing", () => {
    const r = evaluateRules({ ...{ rules: [{ ...rule, condition: null }] }, event: { type: "wallet.topped_up", name: "", occurredAt: new Date(0), customerId: "c" }, context: () => ({ event: { id: "e", type: "wallet.topped_up", name: "", occurredAt: new Date(0), data: { amount: "10000" } }, order: EMPTY_ORDER, customer: null as never, now: new Date(0), timeZone: "UTC" }), timeZone: "UTC", pointValue: null, counters: new CounterBook() });
    expect(r.awards).toEqual([]);
  });
});
