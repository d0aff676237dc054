import { describe, expect, it } from "vitest";
import { compileCondition, EMPTY_ORDER, type CelInput, type CelLine, type CelOrder } from "./cel.ts";
import { counterKey, counterKeysFor, CounterBook, evaluateRules, MAX_AWARD, splitCounterKey, type CompiledRule, type Evaluation, type RuleEvent } from "./evaluate.ts";
import type { Effect, PointValue, RuleDefinition } from "./types.ts";

const HCM = "Asia/Ho_Chi_Minh";

function rule(id: string, over: Partial<RuleDefinition> = {}): CompiledRule {
  const def: RuleDefinition = {
    name: id,
    trigger: { event: "order.completed" },
    condition: null,
    effect: { kind: "fixed", asset: "points", points: 10 },
    schedule: null,
    limits: [],
    budget: null,
    pendingDays: null,
    expiry: null,
    priority: 0,
    stopFurther: false,
    ...over,
  };
  let condition = null;
  if (def.condition !== null) {
    const c = compileCondition(def.condition);
    if (!c.ok) throw new Error(`rule ${id}: ${c.error.message}`);
    condition = c.value;
  }
  return { id, version: 1, def, condition };
}

const fixed = (points: number): Effect => ({ kind: "fixed", asset: "points", points });
const multiplier = (factor: number): Effect => ({ kind: "multiplier", asset: "points", factor });

const line = (sku: string, quantity: number, unitPrice: number, category: string): CelLine => ({ sku, name: sku, category, quantity, unitPrice, net: quantity * unitPrice, weight: 0 });

const LINES = [line("LATTE", 2, 45_000, "drinks"), line("CAKE", 1, 30_000, "cakes"), line("TEA", 3, 20_000, "drinks")];
const ORDER: CelOrder = { ...EMPTY_ORDER, id: "ord_1", currency: "VND", subtotal: 180_000, discount: 10_000, total: 170_000, earningBase: 160_000, itemCount: 6, lines: LINES };

interface Run {
  rules: CompiledRule[];
  at?: string;
  customerId?: string;
  type?: RuleEvent["type"];
  name?: string;
  order?: Partial<CelOrder>;
  attributes?: Record<string, unknown>;
  counters?: CounterBook;
  pointValue?: PointValue | null;
  timeZone?: string;
}

function evaluate(r: Run): Evaluation {
  const occurredAt = new Date(r.at ?? "2026-11-23T05:00:00Z");
  const customerId = r.customerId ?? "cus_1";
  const context = (): CelInput => ({
    event: { id: "evt", type: r.type ?? "order.completed", name: r.name ?? "", occurredAt, data: {} },
    order: { ...ORDER, ...r.order },
    customer: {
      id: customerId, email: "", phone: "", name: "", birthday: "", status: "active", tier: "", tags: [], attributes: r.attributes ?? {},
      metrics: { lifetimeOrders: 0, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0 },
    },
    now: occurredAt,
    timeZone: r.timeZone ?? HCM,
  });
  return evaluateRules({
    rules: r.rules,
    event: { type: r.type ?? "order.completed", name: r.name ?? "", occurredAt, customerId },
    context,
    timeZone: r.timeZone ?? HCM,
    pointValue: r.pointValue === undefined ? null : r.pointValue,
    counters: r.counters ?? new CounterBook(),
    trace: true,
  });
}

const points = (e: Evaluation) => Object.fromEntries(e.awards.map((a) => [a.ruleId, a.points]));
const outcomes = (e: Evaluation) => e.trace.map((t) => [t.ruleId, t.outcome, t.points]);
const total = (e: Evaluation) => e.awards.reduce((n, a) => n + a.points, 0);

describe("effects", () => {
  it("fixed points", () => {
    const e = evaluate({ rules: [rule("r", { effect: fixed(50) })] });
    expect(e.awards).toHaveLength(1);
    expect(e.awards[0]).toMatchObject({ ruleId: "r", version: 1, name: "r", asset: "points", points: 50 });
    expect(e.trace).toEqual([{ ruleId: "r", version: 1, name: "r", outcome: "awarded", points: 50 }]);
    expect(e.failures).toEqual([]);
  });

  it("an award over 10^12 (MAX_AWARD) is a failure of the rule, never an inexact credit; the others still give", () => {
    const huge = rule("huge", { effect: { kind: "per_amount", asset: "points", points: 1_000_000, per: 1, rounding: "floor", base: "total" } });
    const e = evaluate({ rules: [huge, rule("r", { effect: fixed(5) })], order: { total: 1_000_000_000_000 } });
    expect(points(e)).toEqual({ r: 5 });
    expect(e.failures).toEqual([{ ruleId: "huge", version: 1, error: expect.stringContaining("more than the 1000000000000 one award may give") }]);
    // At the bound itself it gives.
    const edge = evaluate({ rules: [huge], order: { total: 1_000_000 } });
    expect(points(edge)).toEqual({ huge: MAX_AWARD });
  });

  it("fixed worth, through the program's point value (floored)", () => {
    const worth = (w: number): Effect => ({ kind: "fixed", asset: "points", worth: w });
    // 1 point is worth 1,000 minor units: 25,000 is 25 points.
    expect(points(evaluate({ rules: [rule("r", { effect: worth(25_000) })], pointValue: { money: 1_000, points: 1 } }))).toEqual({ r: 25 });
    // 3 points per 1,000: 2,500 is 7.5 points, floored to 7.
    expect(points(evaluate({ rules: [rule("r", { effect: worth(2_500) })], pointValue: { money: 1_000, points: 3 } }))).toEqual({ r: 7 });
  });

  it("fixed worth without a point value is a failure, and other rules still award", () => {
    const e = evaluate({ rules: [rule("worth", { effect: { kind: "fixed", asset: "points", worth: 25_000 } }), rule("plain", { effect: fixed(5) })], pointValue: null });
    expect(points(e)).toEqual({ plain: 5 });
    expect(e.failures).toEqual([{ ruleId: "worth", version: 1, error: "the effect is worth a money amount but the program has no point value" }]);
    expect(outcomes(e)).toEqual([
      ["worth", "error", 0],
      ["plain", "awarded", 5],
    ]);
  });

  it.each([
    { base: "earning_base" as const, expected: 160 },
    { base: "subtotal" as const, expected: 180 },
    { base: "total" as const, expected: 170 },
  ])("per_amount reads the $base", ({ base, expected }) => {
    const e = evaluate({ rules: [rule("r", { effect: { kind: "per_amount", asset: "points", points: 1, per: 1_000, rounding: "floor", base } })] });
    expect(points(e)).toEqual({ r: expected });
  });

  it.each([
    { amount: 12_345, rounding: "floor" as const, expected: 12 },
    { amount: 12_345, rounding: "ceil" as const, expected: 13 },
    { amount: 12_345, rounding: "half_up" as const, expected: 12 },
    { amount: 12_500, rounding: "half_up" as const, expected: 13 },
    { amount: 12_500, rounding: "half_even" as const, expected: 12 },
    { amount: 13_500, rounding: "half_even" as const, expected: 14 },
    { amount: 13_600, rounding: "half_even" as const, expected: 14 },
    { amount: 12_000, rounding: "ceil" as const, expected: 12 },
  ])("per_amount rounds $amount per 1,000 $rounding to $expected", ({ amount, rounding, expected }) => {
    const e = evaluate({ rules: [rule("r", { effect: { kind: "per_amount", asset: "points", points: 1, per: 1_000, rounding, base: "total" } })], order: { total: amount } });
    expect(points(e)).toEqual({ r: expected });
  });

  it("per_amount: 3 points per 1,000, rounded on the product", () => {
    const e = evaluate({ rules: [rule("r", { effect: { kind: "per_amount", asset: "points", points: 3, per: 1_000, rounding: "floor", base: "total" } })], order: { total: 1_999 } });
    expect(points(e)).toEqual({ r: 5 }); // 5.997
  });

  it("per_amount on a zero or negative base gives no points", () => {
    const r = rule("r", { effect: { kind: "per_amount", asset: "points", points: 1, per: 1_000, rounding: "ceil", base: "total" } });
    for (const t of [0, -5_000]) {
      const e = evaluate({ rules: [r], order: { total: t } });
      expect(e.awards).toEqual([]);
      expect(e.trace).toEqual([{ ruleId: "r", version: 1, name: "r", outcome: "no_points", points: 0, reason: "the effect gives 0 for this event" }]);
    }
    // 999 floored per 1,000 is 0 as well.
    expect(outcomes(evaluate({ rules: [rule("f", { effect: { kind: "per_amount", asset: "points", points: 1, per: 1_000, rounding: "floor", base: "total" } })], order: { total: 999 } }))).toEqual([["f", "no_points", 0]]);
  });

  // LINES: LATTE ×2 (drinks), CAKE ×1 (cakes), TEA ×3 (drinks).
  it.each([
    { label: "by sku, per unit", filter: { skus: ["LATTE"] }, per: "quantity" as const, expected: 20 },
    { label: "by sku, per line", filter: { skus: ["LATTE"] }, per: "line" as const, expected: 10 },
    { label: "by two skus, per unit", filter: { skus: ["LATTE", "CAKE"] }, per: "quantity" as const, expected: 30 },
    { label: "by category, per unit", filter: { categories: ["drinks"] }, per: "quantity" as const, expected: 50 },
    { label: "by category, per line", filter: { categories: ["drinks"] }, per: "line" as const, expected: 20 },
    { label: "by sku or category, per unit", filter: { skus: ["CAKE"], categories: ["drinks"] }, per: "quantity" as const, expected: 60 },
    { label: "by sku or category, a line matching both counted once", filter: { skus: ["LATTE"], categories: ["drinks"] }, per: "line" as const, expected: 20 },
    { label: "without a filter, per unit", filter: {}, per: "quantity" as const, expected: 60 },
    { label: "without a filter, per line", filter: {}, per: "line" as const, expected: 30 },
    { label: "empty lists are no filter", filter: { skus: [], categories: [] }, per: "line" as const, expected: 30 },
  ])("per_line $label: $expected", ({ filter, per, expected }) => {
    const e = evaluate({ rules: [rule("r", { effect: { kind: "per_line", asset: "points", points: 10, per, ...filter } })] });
    expect(points(e)).toEqual({ r: expected });
  });

  it("per_line with no matching line gives no points", () => {
    const e = evaluate({ rules: [rule("r", { effect: { kind: "per_line", asset: "points", points: 10, per: "quantity", skus: ["MOCHA"] } })] });
    expect(outcomes(e)).toEqual([["r", "no_points", 0]]);
  });

  describe("multiplier", () => {
    const base = [rule("base", { effect: fixed(100) }), rule("amount", { effect: { kind: "per_amount", asset: "points", points: 1, per: 1_000, rounding: "floor", base: "total" } })];

    it("factor 2 gives as much again as the earlier rules", () => {
      const e = evaluate({ rules: [...base, rule("x2", { effect: multiplier(2) })] });
      expect(points(e)).toEqual({ base: 100, amount: 170, x2: 270 });
    });

    it("factor 1.5 gives half as much again, floored", () => {
      expect(points(evaluate({ rules: [...base, rule("x1.5", { effect: multiplier(1.5) })] }))).toEqual({ base: 100, amount: 170, "x1.5": 135 });
      expect(points(evaluate({ rules: [rule("odd", { effect: fixed(101) }), rule("x1.5", { effect: multiplier(1.5) })] }))).toEqual({ odd: 101, "x1.5": 50 });
    });

    it("applies only to the rules before it", () => {
      const e = evaluate({ rules: [base[0]!, rule("x2", { effect: multiplier(2) }), base[1]!] });
      expect(points(e)).toEqual({ base: 100, x2: 100, amount: 170 });
    });

    it("with nothing before it, gives no points", () => {
      const e = evaluate({ rules: [rule("x2", { effect: multiplier(2) }), rule("base", { effect: fixed(100) })] });
      expect(outcomes(e)).toEqual([
        ["x2", "no_points", 0],
        ["base", "awarded", 100],
      ]);
    });

    it("two multipliers add up, they do not compound", () => {
      const e = evaluate({ rules: [rule("base", { effect: fixed(100) }), rule("x2", { effect: multiplier(2) }), rule("x3", { effect: multiplier(3) })] });
      // Compounding would give 100 × 2 × 3 = 600 in all; adding gives 100 + 100 + 200 = 400.
      expect(points(e)).toEqual({ base: 100, x2: 100, x3: 200 });
      expect(total(e)).toBe(400);
    });

    it("a factor of 1 gives nothing", () => {
      expect(outcomes(evaluate({ rules: [rule("base", { effect: fixed(100) }), rule("x1", { effect: multiplier(1) })] }))).toEqual([
        ["base", "awarded", 100],
        ["x1", "no_points", 0],
      ]);
    });

    it("multiplies what earlier rules actually gave after their limits, and not what they did not", () => {
      const e = evaluate({
        rules: [
          rule("capped", { effect: fixed(100), limits: [{ per: "day", maxPoints: 30 }] }),
          rule("unmatched", { effect: fixed(1_000), condition: "order.total > 1000000" }),
          rule("x2", { effect: multiplier(2) }),
        ],
      });
      expect(points(e)).toEqual({ capped: 30, x2: 30 });
    });
  });
});

describe("order and flow", () => {
  it("runs the rules in the caller's array order, whatever their priority field says", () => {
    const rules = [rule("x2", { effect: multiplier(2), priority: 100 }), rule("base", { effect: fixed(100), priority: 1 })];
    const e = evaluate({ rules });
    expect(e.trace.map((t) => t.ruleId)).toEqual(["x2", "base"]);
    expect(points(e)).toEqual({ base: 100 }); // the multiplier ran first, with nothing to multiply
    const reversed = evaluate({ rules: [...rules].reverse() });
    expect(reversed.trace.map((t) => t.ruleId)).toEqual(["base", "x2"]);
    expect(points(reversed)).toEqual({ base: 100, x2: 100 });
  });

  it("stopFurther: the rules after an awarding rule are traced not_evaluated", () => {
    const e = evaluate({
      rules: [
        rule("a", { effect: fixed(5) }),
        rule("stop", { effect: fixed(50), stopFurther: true }),
        rule("b", { effect: fixed(7) }),
        rule("birthday", { trigger: { event: "customer.birthday" } }),
        rule("c", { effect: multiplier(2) }),
      ],
    });
    expect(points(e)).toEqual({ a: 5, stop: 50 });
    expect(outcomes(e)).toEqual([
      ["a", "awarded", 5],
      ["stop", "awarded", 50],
      ["b", "not_evaluated", 0],
      ["c", "not_evaluated", 0],
    ]);
    expect(e.trace[2]!.reason).toBe('rule "stop" stops further rules');
  });

  it("stopFurther only stops when the rule awards", () => {
    const e = evaluate({
      rules: [
        rule("stop-unmatched", { effect: fixed(50), stopFurther: true, condition: "order.total > 1000000" }),
        rule("stop-capped", { effect: fixed(50), stopFurther: true, budget: { points: 0 } }),
        rule("b", { effect: fixed(7) }),
      ],
    });
    expect(outcomes(e)).toEqual([
      ["stop-unmatched", "not_matched", 0],
      ["stop-capped", "over_limit", 0],
      ["b", "awarded", 7],
    ]);
  });

  it("a false condition is traced with its false part and value", () => {
    const e = evaluate({ rules: [rule("latte", { condition: 'order.total >= 50000 && hasSku("MOCHA")' })] });
    expect(e.trace).toEqual([{ ruleId: "latte", version: 1, name: "latte", outcome: "not_matched", points: 0, condition: { part: 'hasSku("MOCHA")', value: false } }]);
  });

  it("a true condition awards", () => {
    expect(points(evaluate({ rules: [rule("latte", { condition: 'order.total >= 50000 && hasSku("LATTE") && quantityOf("TEA") == 3' })] }))).toEqual({ latte: 10 });
  });

  it("a condition failing at run time is a failure and an error in the trace; the other rules still award", () => {
    const e = evaluate({
      rules: [rule("a", { effect: fixed(5) }), rule("broken", { condition: "customer.attributes.missing == 1" }), rule("b", { effect: fixed(7) }), rule("x2", { effect: multiplier(2) })],
    });
    expect(points(e)).toEqual({ a: 5, b: 7, x2: 12 });
    expect(e.failures).toHaveLength(1);
    expect(e.failures[0]).toMatchObject({ ruleId: "broken", version: 1 });
    expect(e.failures[0]!.error).toMatch(/^customer\.attributes\.missing == 1: /);
    expect(outcomes(e)).toEqual([
      ["a", "awarded", 5],
      ["broken", "error", 0],
      ["b", "awarded", 7],
      ["x2", "awarded", 12],
    ]);
    expect(e.trace[1]!.reason).toBe(e.failures[0]!.error);
  });

  it("the same rule matches once the attribute exists", () => {
    expect(points(evaluate({ rules: [rule("vip", { condition: "customer.attributes.missing == 1" })], attributes: { missing: 1 } }))).toEqual({ vip: 10 });
  });

  it("does not build the context when no rule gets that far", () => {
    let built = 0;
    const e = evaluateRules({
      rules: [rule("birthday", { trigger: { event: "customer.birthday" } }), rule("sched", { schedule: { daysOfWeek: [7] } })],
      event: { type: "order.completed", name: "", occurredAt: new Date("2026-11-23T05:00:00Z"), customerId: "c" },
      trace: true,
      context: () => {
        built++;
        throw new Error("not needed");
      },
      timeZone: HCM,
      pointValue: null,
      counters: new CounterBook(),
    });
    expect(built).toBe(0);
    expect(outcomes(e)).toEqual([["sched", "outside_schedule", 0]]);
  });
});

describe("triggers", () => {
  const rules = [
    rule("order", { effect: fixed(1) }),
    rule("signup", { trigger: { event: "customer.signed_up" }, effect: fixed(2) }),
    rule("bday-default", { trigger: { event: "customer.birthday" }, effect: fixed(3) }),
    rule("bday-day", { trigger: { event: "customer.birthday", birthdayOn: "day" }, effect: fixed(4) }),
    rule("bday-month", { trigger: { event: "customer.birthday", birthdayOn: "month_start" }, effect: fixed(5) }),
    rule("custom-checkin", { trigger: { event: "custom", name: "checkin" }, effect: fixed(6) }),
    rule("custom-quiz", { trigger: { event: "custom", name: "quiz" }, effect: fixed(7) }),
    rule("review", { trigger: { event: "review.submitted" }, effect: fixed(8) }),
  ];

  it.each([
    { type: "order.completed" as const, name: "", fired: ["order"] },
    { type: "customer.signed_up" as const, name: "", fired: ["signup"] },
    { type: "customer.birthday" as const, name: "day", fired: ["bday-default", "bday-day"] },
    { type: "customer.birthday" as const, name: "month_start", fired: ["bday-month"] },
    { type: "custom" as const, name: "checkin", fired: ["custom-checkin"] },
    { type: "custom" as const, name: "quiz", fired: ["custom-quiz"] },
    { type: "custom" as const, name: "other", fired: [] },
    { type: "review.submitted" as const, name: "", fired: ["review"] },
    { type: "social.followed" as const, name: "", fired: [] },
  ])("$type $name fires $fired", ({ type, name, fired }) => {
    const e = evaluate({ rules, type, name, order: EMPTY_ORDER });
    expect(e.awards.map((a) => a.ruleId)).toEqual(fired);
    // Rules the event does not trigger are not in the trace at all.
    expect(e.trace.map((t) => t.ruleId)).toEqual(fired);
  });
});

describe("schedule", () => {
  it("a rule outside its schedule is traced outside_schedule, with the reason", () => {
    // 2026-11-22T18:00Z: Sunday in UTC, Monday 01:00 in Ho Chi Minh City.
    const rules = [rule("weekend", { schedule: { daysOfWeek: [6, 7] } }), rule("night", { schedule: { hours: [{ from: "22:00", to: "02:00" }] } })];
    const e = evaluate({ rules, at: "2026-11-22T18:00:00Z" });
    expect(e.trace).toEqual([
      { ruleId: "weekend", version: 1, name: "weekend", outcome: "outside_schedule", points: 0, reason: "weekday 1 is not in [6, 7]" },
      { ruleId: "night", version: 1, name: "night", outcome: "awarded", points: 10 },
    ]);
    expect(points(evaluate({ rules, at: "2026-11-22T18:00:00Z", timeZone: "UTC" }))).toEqual({ weekend: 10 });
  });

  it("double stars on the 5th and the 20th, local", () => {
    const r = rule("stars", { effect: multiplier(2), schedule: { daysOfMonth: [5, 20] } });
    const base = rule("base", { effect: fixed(100) });
    expect(points(evaluate({ rules: [base, r], at: "2026-11-19T17:30:00Z" }))).toEqual({ base: 100, stars: 100 }); // 00:30 on the 20th
    expect(points(evaluate({ rules: [base, r], at: "2026-11-20T17:30:00Z" }))).toEqual({ base: 100 }); // the 21st
  });
});

describe("limits", () => {
  it("a counter key's scope may hold the separator (a store's customer id is any printable text)", () => {
    for (const scope of ["cus_1", "shop|42", "a|b|c", "|", "*"]) {
      for (const period of ["day:2026-11-23", "lifetime"]) expect(splitCounterKey(counterKey("rul_1", scope, period))).toEqual(["rul_1", scope, period]);
    }
    const book = new CounterBook();
    book.add(counterKey("r", "a|b", "day:2026-11-23"), 10);
    expect(book.totals("r", "a|b", "day:2026-11-23")).toMatchObject({ awards: 1, points: 10 });
    expect(book.totals("r", "a", "b|day:2026-11-23")).toMatchObject({ awards: 0, points: 0 });
  });

  it("a book keeps the same totals as a map of keys, in a list while small and indexed once large", () => {
    // 300 counters: past the list (16) the book indexes by rule, scope and period.
    const book = new CounterBook();
    const reference = new Map<string, { awards: number; points: number }>();
    const keys: string[] = [];
    for (let i = 0; i < 300; i++) keys.push(counterKey(`rul_${i % 7}`, i % 11 === 0 ? `shop|${i}` : `cus_${i % 50}`, i % 2 ? "day:2026-11-23" : "lifetime"));
    keys.forEach((k, i) => {
      if (i % 3 === 0) {
        book.load(k, { awards: i, points: 10 * i });
        reference.set(k, { awards: i, points: 10 * i });
      }
    });
    keys.forEach((k, i) => {
      const before = reference.get(k) ?? { awards: 0, points: 0 };
      expect(book.get(k)).toEqual(before);
      if (i % 2 === 0) {
        book.add(k, i);
        reference.set(k, { awards: before.awards + 1, points: before.points + i });
      }
      const [ruleId, scope, period] = splitCounterKey(k);
      expect(book.totals(ruleId, scope, period)).toMatchObject(reference.get(k) ?? { awards: 0, points: 0 });
    });
    expect(new Map(book.entries())).toEqual(reference);
    expect(new Set(book.touchedKeys())).toEqual(new Set(keys.filter((_, i) => i % 2 === 0)));
  });

  it("maxAwards per day: 3 awards, then over_limit; the next local day starts again", () => {
    const r = rule("r", { effect: fixed(10), limits: [{ per: "day", maxAwards: 3 }] });
    const counters = new CounterBook();
    const day1 = ["2026-11-23T01:00:00Z", "2026-11-23T05:00:00Z", "2026-11-23T09:00:00Z", "2026-11-23T16:59:59Z"];
    const results = day1.map((at) => evaluate({ rules: [r], at, counters }));
    expect(results.map((e) => outcomes(e)[0])).toEqual([
      ["r", "awarded", 10],
      ["r", "awarded", 10],
      ["r", "awarded", 10],
      ["r", "over_limit", 0],
    ]);
    expect(results[3]!.trace[0]!.reason).toBe("3 award(s) per day reached");
    // 17:00Z is midnight in Ho Chi Minh City: a new day.
    expect(outcomes(evaluate({ rules: [r], at: "2026-11-23T17:00:00Z", counters }))).toEqual([["r", "awarded", 10]]);
    // Another customer has their own count.
    expect(outcomes(evaluate({ rules: [r], at: "2026-11-23T10:00:00Z", counters, customerId: "cus_2" }))).toEqual([["r", "awarded", 10]]);
    expect(counters.get(counterKey("r", "cus_1", "day:2026-11-23"))).toEqual({ awards: 3, points: 30 });
    expect(counters.get(counterKey("r", "cus_1", "day:2026-11-24"))).toEqual({ awards: 1, points: 10 });
    expect(counters.get(counterKey("r", "cus_2", "day:2026-11-23"))).toEqual({ awards: 1, points: 10 });
  });

  it("maxPoints caps the award that crosses it, then over_limit", () => {
    const r = rule("r", { effect: fixed(100), limits: [{ per: "week", maxPoints: 250 }] });
    const counters = new CounterBook();
    const es = ["2026-11-23T05:00:00Z", "2026-11-24T05:00:00Z", "2026-11-25T05:00:00Z", "2026-11-26T05:00:00Z"].map((at) => evaluate({ rules: [r], at, counters }));
    expect(es.map((e) => outcomes(e)[0])).toEqual([
      ["r", "awarded", 100],
      ["r", "awarded", 100],
      ["r", "awarded", 50],
      ["r", "over_limit", 0],
    ]);
    expect(es[2]!.trace[0]!.reason).toBe("capped: 250 points per week: 200 already given");
    expect(es[3]!.trace[0]!.reason).toBe("250 points per week: 250 already given");
    // Monday 30 November is a new ISO week.
    expect(outcomes(evaluate({ rules: [r], at: "2026-11-30T05:00:00Z", counters }))).toEqual([["r", "awarded", 100]]);
  });

  it("maxAwards and maxPoints in one limit: the tightest wins", () => {
    const r = rule("r", { effect: fixed(100), limits: [{ per: "month", maxAwards: 2, maxPoints: 150 }] });
    const counters = new CounterBook();
    const es = [1, 2, 3].map((d) => evaluate({ rules: [r], at: `2026-11-0${d}T05:00:00Z`, counters }));
    expect(es.map((e) => outcomes(e)[0])).toEqual([
      ["r", "awarded", 100],
      ["r", "awarded", 50],
      ["r", "over_limit", 0],
    ]);
  });

  it("limits of different periods: the tightest wins", () => {
    const r = rule("r", { effect: fixed(100), limits: [{ per: "day", maxAwards: 1 }, { per: "lifetime", maxPoints: 250 }] });
    const counters = new CounterBook();
    const es = ["2026-11-23T05:00:00Z", "2026-11-23T06:00:00Z", "2026-11-24T05:00:00Z", "2026-11-25T05:00:00Z", "2026-11-26T05:00:00Z"].map((at) => evaluate({ rules: [r], at, counters }));
    expect(es.map((e) => outcomes(e)[0]![2])).toEqual([100, 0, 100, 50, 0]);
    expect(es.map((e) => outcomes(e)[0]![1])).toEqual(["awarded", "over_limit", "awarded", "awarded", "over_limit"]);
  });

  // Two limits on the same period share one counter key: each award is counted once.
  it("two limits on the same period count each award once", () => {
    const r = rule("r", { effect: fixed(10), limits: [{ per: "day", maxAwards: 3 }, { per: "day", maxPoints: 1_000 }] });
    const counters = new CounterBook();
    const es = [1, 2, 3].map((h) => evaluate({ rules: [r], at: `2026-11-23T0${h}:00:00Z`, counters }));
    expect(es.map((e) => outcomes(e)[0]![1])).toEqual(["awarded", "awarded", "awarded"]);
    expect(counters.get(counterKey("r", "cus_1", "day:2026-11-23"))).toEqual({ awards: 3, points: 30 });
  });

  it("a global budget caps partially across customers, then over_limit", () => {
    const r = rule("r", { effect: fixed(100), budget: { points: 250 } });
    const counters = new CounterBook();
    const es = ["a", "b", "c", "d"].map((customerId) => evaluate({ rules: [r], customerId, counters }));
    expect(es.map((e) => outcomes(e)[0])).toEqual([
      ["r", "awarded", 100],
      ["r", "awarded", 100],
      ["r", "awarded", 50],
      ["r", "over_limit", 0],
    ]);
    expect(es[2]!.trace[0]!.reason).toBe("capped: budget of 250 points: 200 already given");
    expect(es[3]!.trace[0]!.reason).toBe("budget of 250 points: 250 already given");
    expect(counters.get(counterKey("r", "*", "lifetime"))).toEqual({ awards: 3, points: 250 });
  });

  it("counters live in the CounterBook: shared across calls with one book, fresh with a new one", () => {
    const r = rule("r", { effect: fixed(10), limits: [{ per: "day", maxAwards: 1 }] });
    const book = new CounterBook();
    expect(outcomes(evaluate({ rules: [r], counters: book }))[0]![1]).toBe("awarded");
    expect(outcomes(evaluate({ rules: [r], counters: book }))[0]![1]).toBe("over_limit");
    expect(outcomes(evaluate({ rules: [r], counters: new CounterBook() }))[0]![1]).toBe("awarded");
    // A book loaded with the stored totals (as the caller does) is honoured.
    const loaded = new CounterBook();
    loaded.load(counterKey("r", "cus_1", "day:2026-11-23"), { awards: 1, points: 10 });
    expect(outcomes(evaluate({ rules: [r], counters: loaded }))[0]![1]).toBe("over_limit");
    expect(loaded.touchedKeys()).toEqual([]);
  });

  it("touches exactly the keys counterKeysFor announces, and nothing when over the limit", () => {
    const r = rule("r", { effect: fixed(10), limits: [{ per: "day", maxAwards: 1 }, { per: "month", maxPoints: 100 }], budget: { points: 1_000 } });
    const event: RuleEvent = { type: "order.completed", name: "", occurredAt: new Date("2026-11-23T05:00:00Z"), customerId: "cus_1" };
    const keys = counterKeysFor(r, event, HCM);
    expect(keys).toEqual(["r|cus_1|day:2026-11-23", "r|cus_1|month:2026-11", "r|*|lifetime"]);
    const book = new CounterBook();
    evaluate({ rules: [r], counters: book });
    expect([...book.touchedKeys()].sort()).toEqual([...keys].sort());
    for (const k of keys) expect(book.get(k)).toEqual({ awards: 1, points: 10 });
    const before = JSON.stringify([...book.entries()]);
    expect(outcomes(evaluate({ rules: [r], counters: book }))[0]![1]).toBe("over_limit");
    expect(JSON.stringify([...book.entries()])).toBe(before);
  });

  it("a rule not reaching its effect leaves the counters alone", () => {
    const book = new CounterBook();
    evaluate({ rules: [rule("r", { condition: "order.total > 1000000", limits: [{ per: "day", maxAwards: 1 }], budget: { points: 10 } })], counters: book });
    expect([...book.entries()]).toEqual([]);
    expect(book.touchedKeys()).toEqual([]);
  });

  it("a book copies, loads and reads by key; a load is not a change to write back", () => {
    const book = new CounterBook();
    book.load("r|cus_1|day:2026-11-23", { awards: 2, points: 20 });
    book.add("r|cus_1|day:2026-11-23", 5);
    book.addTo("r", "*", "lifetime", 5);
    expect(book.get("r|cus_1|day:2026-11-23")).toEqual({ awards: 3, points: 25 });
    expect(book.totals("r", "*", "lifetime")).toMatchObject({ awards: 1, points: 5 });
    expect(book.touchedKeys()).toEqual(["r|cus_1|day:2026-11-23", "r|*|lifetime"]);
    const copy = book.copy();
    expect([...copy.entries()]).toEqual([...book.entries()]);
    expect(copy.touchedKeys()).toEqual([]);
    copy.add("r|*|lifetime", 1);
    expect(book.get("r|*|lifetime")).toEqual({ awards: 1, points: 5 });
    expect(() => book.get("no-bars")).toThrow(/not a counter key/);
  });

  it("a book past its list size (a batch's) is indexed and answers the same", () => {
    const book = new CounterBook();
    const keys = Array.from({ length: 50 }, (_, i) => counterKey(`r${i % 5}`, `cus_${i}`, i % 2 ? "day:2026-11-23" : "lifetime"));
    keys.forEach((k, i) => (i % 3 === 0 ? book.load(k, { awards: i, points: 10 * i }) : book.add(k, i)));
    for (const k of keys) book.add(k, 1);
    keys.forEach((k, i) => expect(book.get(k)).toEqual(i % 3 === 0 ? { awards: i + 1, points: 10 * i + 1 } : { awards: 2, points: i + 1 }));
    expect(book.touchedKeys()).toHaveLength(50);
    expect(new Set(book.touchedKeys())).toEqual(new Set(keys));
    expect([...book.entries()].map(([k]) => k)).toEqual(keys);
  });
});
