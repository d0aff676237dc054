import { describe, expect, it } from "vitest";
import {
  celVariables,
  readsMonthMetrics,
  compileCondition,
  EMPTY_ORDER,
  isBirthdayOn,
  runCondition,
  splitConjuncts,
  type CelCustomer,
  type CelInput,
  type CelLine,
  type CelOrder,
  type CompiledCondition,
} from "./cel.ts";

const HCM = "Asia/Ho_Chi_Minh";

const line = (sku: string, quantity: number, unitPrice: number, category = "drinks"): CelLine => ({
  sku,
  name: sku,
  category,
  quantity,
  unitPrice,
  net: quantity * unitPrice,
  weight: 0,
});

function customer(over: Partial<CelCustomer> = {}): CelCustomer {
  return {
    id: "cus_1",
    email: "an@example.com",
    phone: "",
    name: "An",
    birthday: "",
    status: "active",
    tier: "",
    tags: [],
    attributes: {},
    metrics: { lifetimeOrders: 0, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0 },
    ...over,
  };
}

function order(over: Partial<CelOrder> = {}): CelOrder {
  return { ...EMPTY_ORDER, id: "ord_1", currency: "VND", ...over };
}

function input(over: { order?: Partial<CelOrder>; customer?: Partial<CelCustomer>; now?: string; occurredAt?: string; timeZone?: string; data?: Record<string, unknown> } = {}): CelInput {
  const now = new Date(over.now ?? "2026-11-23T05:00:00Z");
  return {
    event: { id: "evt_1", type: "order.completed", name: "", occurredAt: new Date(over.occurredAt ?? now.toISOString()), data: over.data ?? {} },
    order: order(over.order),
    customer: customer(over.customer),
    now,
    timeZone: over.timeZone ?? HCM,
  };
}

function compiled(src: string): CompiledCondition {
  const r = compileCondition(src);
  if (!r.ok) throw new Error(`expected ${src} to compile: ${r.error.message}`);
  return r.value;
}

const run = (src: string, x: CelInput) => runCondition(compiled(src), x, celVariables(x));
const holds = (src: string, x: CelInput) => {
  const r = run(src, x);
  if ("error" in r) throw new Error(r.error);
  return r.matched;
};

describe("compileCondition", () => {
  it.each([
    { src: "order.total >", start: 13, end: 13 },
    { src: "order.total > 100 &&", start: 20, end: 20 },
    { src: "1 == 1 && )", start: 10, end: 11 },
  ])("refuses the syntax error in `$src`, saying where", ({ src, start, end }) => {
    const r = compileCondition(src);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(/Unexpected token/);
    expect(r.error.start).toBe(start);
    expect(r.error.end).toBe(end);
  });

  it("refuses unknown variables and fields", () => {
    const v = compileCondition("foo > 1");
    expect(v).toEqual({ ok: false, error: { message: "Unknown variable: foo", start: 0, end: 3 } });
    const f = compileCondition("order.totl > 1");
    expect(f.ok).toBe(false);
    if (!f.ok) {
      expect(f.error.message).toMatch(/totl/);
      expect(f.error.start).toBe(6);
      expect(f.error.end).toBe(10);
    }
    expect(compileCondition("customer.metrics.visits > 1").ok).toBe(false);
  });

  it.each([
    { src: 'order.total == "100"', message: /int == string/ },
    { src: "'x' + 1 == 'x1'", message: /string \+ int/ },
    { src: "hasSku(1)", message: /hasSku\(int\)/ },
    { src: "customer.tags == 1", message: /no such overload/ },
  ])("refuses wrong types: $src", ({ src, message }) => {
    const r = compileCondition(src);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(message);
      expect(typeof r.error.start).toBe("number");
      expect(typeof r.error.end).toBe("number");
    }
  });

  it.each([
    { src: "order.total + 1", type: "int" },
    { src: "customer.name", type: "string" },
    { src: "order.lines", type: "list<Line>" },
  ])("refuses a condition that is not a bool: $src is $type", ({ src, type }) => {
    expect(compileCondition(src)).toEqual({ ok: false, error: { message: `The condition must be a bool; this expression is a ${type}.` } });
  });

  it("refuses a condition longer than 4,000 characters", () => {
    const long = Array.from({ length: 400 }, () => "order.total > 1").join(" && ");
    expect(long.length).toBeGreaterThan(4000);
    expect(compileCondition(long)).toEqual({ ok: false, error: { message: "The condition is longer than 4,000 characters." } });
  });

  it.each([
    "order.total >= 50000",
    'order.total >= 50000 && hasSku("LATTE")',
    "customer.metrics.lifetimeOrders > 3",
    "local.dayOfWeek in [6, 7]",
    'customer.tier == "gold" || hasTag("vip")',
    'order.lines.exists(l, l.category == "cakes" && l.quantity >= 2)',
    "size(order.lines) > 2",
    "daysSince(event.occurredAt) < 1",
    "isBirthday() || isBirthdayMonth()",
    'quantityOf("LATTE") >= 2',
    'hasCategory("drinks")',
    "customer.attributes.level > 2",
    'event.data.rating >= 4 && event.name == ""',
    "now > event.occurredAt",
    "order.total > 1 ? true : false",
    "true",
  ])("accepts `%s`", (src) => {
    const r = compileCondition(src);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.source).toBe(src);
  });

  it("compiles the top-level && parts separately", () => {
    expect(compiled('order.total >= 50000 && hasSku("LATTE") && (hasTag("a") || hasTag("b"))').parts.map((p) => p.source)).toEqual([
      "order.total >= 50000",
      'hasSku("LATTE")',
      '(hasTag("a") || hasTag("b"))',
    ]);
    expect(compiled("order.total >= 50000").parts.map((p) => p.source)).toEqual(["order.total >= 50000"]);
    expect(compiled("true || order.total > 1 && false").parts.map((p) => p.source)).toEqual(["true || order.total > 1 && false"]);
  });
});

describe("splitConjuncts", () => {
  it.each([
    { src: "a && b && c", parts: ["a", "b", "c"] },
    { src: "  a&&b  ", parts: ["a", "b"] },
    { src: "a && (b || c) && d", parts: ["a", "(b || c)", "d"] },
    { src: "a && (b && c)", parts: ["a", "(b && c)"] },
    { src: "f(x && y, z) && [p && q][0] && {'k': m && n}.k", parts: ["f(x && y, z)", "[p && q][0]", "{'k': m && n}.k"] },
    { src: 'a == "x && y" && b', parts: ['a == "x && y"', "b"] },
    { src: "a == 'x && y' && b", parts: ["a == 'x && y'", "b"] },
    { src: 'a == "say \\"&&\\" twice" && b', parts: ['a == "say \\"&&\\" twice"', "b"] },
    { src: 'a == """x " && y""" && b', parts: ['a == """x " && y"""', "b"] },
    { src: 'a == "(" && b', parts: ['a == "("', "b"] },
    { src: 'a == "||" && b', parts: ['a == "||"', "b"] },
    { src: "a", parts: ["a"] },
  ])("splits `$src` into $parts", ({ src, parts }) => {
    expect(splitConjuncts(src)).toEqual(parts);
  });

  it.each(["a && b || c", "a || b && c", "a && b ? c : d", "(a && b) || c"])("keeps `%s` whole: a top-level || or ?: binds looser than &&", (src) => {
    expect(splitConjuncts(src)).toEqual([src]);
  });

  it("keeps a || inside brackets from stopping the split", () => {
    expect(splitConjuncts("(a || b) && c")).toEqual(["(a || b)", "c"]);
  });
});

describe("runCondition", () => {
  it("matches when every part holds", () => {
    const x = input({ order: { total: 60_000, lines: [line("LATTE", 1, 60_000)] } });
    expect(run('order.total >= 50000 && hasSku("LATTE")', x)).toEqual({ matched: true });
  });

  it("reports the first false part and its value", () => {
    const x = input({ order: { total: 20_000, lines: [line("TEA", 1, 20_000)] } });
    expect(run('order.total >= 50000 && hasSku("LATTE")', x)).toEqual({ matched: false, part: "order.total >= 50000", value: false });
    const y = input({ order: { total: 60_000, lines: [line("TEA", 1, 60_000)] } });
    expect(run('order.total >= 50000 && hasSku("LATTE")', y)).toEqual({ matched: false, part: 'hasSku("LATTE")', value: false });
  });

  it("reports a false whole expression when it cannot be split", () => {
    const x = input({ order: { total: 10 } });
    expect(run("order.total > 100 || hasTag(\"vip\")", x)).toEqual({ matched: false, part: 'order.total > 100 || hasTag("vip")', value: false });
  });

  it("reports a false dyn part (an attribute) as the false part", () => {
    // `customer.attributes.vip` is dyn: it type-checks as a part on its own.
    const x = input({ customer: { attributes: { vip: false } }, order: { total: 500 } });
    expect(run("customer.attributes.vip && order.total > 100", x)).toEqual({ matched: false, part: "customer.attributes.vip", value: false });
    const y = input({ customer: { attributes: { vip: true } }, order: { total: 500 } });
    expect(run("customer.attributes.vip && order.total > 100", y)).toEqual({ matched: true });
  });

  it("reports a run-time error (a missing attributes key) as {error}", () => {
    const x = input({ order: { total: 500 } });
    const r = run("customer.attributes.missing == 1 && order.total > 100", x);
    expect(r).toHaveProperty("error");
    if ("error" in r) {
      expect(r.error.startsWith("customer.attributes.missing == 1: ")).toBe(true);
      expect(r.error).toMatch(/missing/);
    }
  });

  it("false wins over an error, whichever comes first", () => {
    const x = input({ order: { total: 5 } });
    expect(run("customer.attributes.missing == 1 && order.total > 100", x)).toEqual({ matched: false, part: "order.total > 100", value: false });
    expect(run("order.total > 100 && customer.attributes.missing == 1", x)).toEqual({ matched: false, part: "order.total > 100", value: false });
  });

  it("an attributes key that is present is read, ints and doubles alike", () => {
    const x = input({ customer: { attributes: { level: 3, score: 4.5, city: "HCM", nested: { n: 2 } } } });
    expect(holds("customer.attributes.level > 2", x)).toBe(true);
    expect(holds("customer.attributes.score > 4.0", x)).toBe(true);
    expect(holds('customer.attributes.city == "HCM"', x)).toBe(true);
    expect(holds("customer.attributes.nested.n == 2", x)).toBe(true);
  });

  it("reads event data", () => {
    const x = input({ data: { rating: 5, text: "great" } });
    expect(holds('event.data.rating >= 4 && event.data.text == "great"', x)).toBe(true);
  });

  it("reads customer metrics and the local calendar", () => {
    // 2026-11-22T18:00Z is Monday 23 November, 01:00 in Ho Chi Minh City (Sunday in UTC).
    const x = input({ now: "2026-11-22T18:00:00Z", customer: { metrics: { lifetimeOrders: 4, lifetimeSpend: 0, daysSinceFirstOrder: 3, daysSinceLastOrder: 1, ordersThisMonth: 2, spendThisMonth: 0 } } });
    expect(holds("customer.metrics.lifetimeOrders > 3", x)).toBe(true);
    expect(holds("customer.metrics.ordersThisMonth == 2", x)).toBe(true);
    expect(holds("local.dayOfWeek == 1 && local.day == 23 && local.hour == 1 && local.month == 11 && local.year == 2026", x)).toBe(true);
    expect(holds("local.dayOfWeek in [6, 7]", x)).toBe(false);
    expect(holds("local.dayOfWeek in [6, 7]", { ...x, timeZone: "UTC" })).toBe(true);
  });

  // A `&& …` inside a `//` comment must not become a live conjunct.
  it("a CEL line comment stays a comment when splitting (the commented-out conjunct is not run)", () => {
    // Whole-expression CEL semantics: the `&& hasSku("A")` after `//` is a comment, so the condition is `order.total > 1`.
    const x = input({ order: { total: 5 } });
    expect(run('order.total > 1 // && hasSku("A")', x)).toEqual({ matched: true });
  });
});

describe("helpers", () => {
  const x = input({
    order: { total: 95_000, lines: [line("LATTE", 2, 40_000), line("CAKE", 1, 15_000, "cakes"), line("LATTE", 1, 40_000)] },
    customer: { tags: ["vip", "staff"] },
  });

  it("hasSku", () => {
    expect(holds('hasSku("LATTE")', x)).toBe(true);
    expect(holds('hasSku("CAKE")', x)).toBe(true);
    expect(holds('hasSku("latte")', x)).toBe(false);
    expect(holds('hasSku("LATTE")', input())).toBe(false);
  });

  it("hasCategory", () => {
    expect(holds('hasCategory("cakes")', x)).toBe(true);
    expect(holds('hasCategory("tea")', x)).toBe(false);
  });

  it("quantityOf adds up every line of the sku, 0 when none", () => {
    expect(holds('quantityOf("LATTE") == 3', x)).toBe(true);
    expect(holds('quantityOf("CAKE") == 1', x)).toBe(true);
    expect(holds('quantityOf("TEA") == 0', x)).toBe(true);
  });

  it("hasTag", () => {
    expect(holds('hasTag("vip")', x)).toBe(true);
    expect(holds('hasTag("VIP")', x)).toBe(false);
    expect(holds('hasTag("vip")', input())).toBe(false);
  });

  it("daysSince counts whole days to now", () => {
    const at = (occurredAt: string) => input({ now: "2026-11-23T05:00:00Z", occurredAt });
    expect(holds("daysSince(event.occurredAt) == 0", at("2026-11-23T05:00:00Z"))).toBe(true);
    expect(holds("daysSince(event.occurredAt) == 0", at("2026-11-22T05:00:01Z"))).toBe(true);
    expect(holds("daysSince(event.occurredAt) == 1", at("2026-11-22T05:00:00Z"))).toBe(true);
    expect(holds("daysSince(event.occurredAt) == 10", at("2026-11-13T04:00:00Z"))).toBe(true);
    expect(holds('daysSince(timestamp("2026-01-01T00:00:00Z")) == 326', at("2026-11-23T05:00:00Z"))).toBe(true);
  });

  it("isBirthday reads today in the program's time zone", () => {
    const birthday = "1990-11-23";
    // 2026-11-22T18:00Z is already 23 November in Ho Chi Minh City.
    expect(holds("isBirthday()", input({ now: "2026-11-22T18:00:00Z", customer: { birthday } }))).toBe(true);
    expect(holds("isBirthday()", input({ now: "2026-11-22T18:00:00Z", customer: { birthday }, timeZone: "UTC" }))).toBe(false);
    expect(holds("isBirthday()", input({ now: "2026-11-23T16:59:59Z", customer: { birthday } }))).toBe(true);
    expect(holds("isBirthday()", input({ now: "2026-11-23T17:00:00Z", customer: { birthday } }))).toBe(false);
    expect(holds("isBirthday()", input({ now: "2026-11-23T05:00:00Z", customer: { birthday: "" } }))).toBe(false);
  });

  it("isBirthdayMonth", () => {
    expect(holds("isBirthdayMonth()", input({ now: "2026-11-01T00:00:00Z", customer: { birthday: "1990-11-23" } }))).toBe(true);
    expect(holds("isBirthdayMonth()", input({ now: "2026-10-31T16:59:59Z", customer: { birthday: "1990-11-23" } }))).toBe(false);
    expect(holds("isBirthdayMonth()", input({ now: "2026-10-31T17:00:00Z", customer: { birthday: "1990-11-23" } }))).toBe(true); // 1 Nov local
    expect(holds("isBirthdayMonth()", input({ now: "2026-11-01T00:00:00Z", customer: { birthday: "" } }))).toBe(false);
  });
});

describe("isBirthdayOn", () => {
  it.each([
    { birthday: "1990-11-23", today: [2026, 11, 23], is: true },
    { birthday: "1990-11-23", today: [2026, 11, 22], is: false },
    { birthday: "1990-11-23", today: [2026, 12, 23], is: false },
    { birthday: "", today: [2026, 11, 23], is: false },
    // 29 February: the 28th in non-leap years, the 29th in leap years, never 1 March.
    { birthday: "2000-02-29", today: [2027, 2, 28], is: true },
    { birthday: "2000-02-29", today: [2027, 3, 1], is: false },
    { birthday: "2000-02-29", today: [2028, 2, 29], is: true },
    { birthday: "2000-02-29", today: [2028, 2, 28], is: false },
    { birthday: "2000-02-29", today: [2028, 3, 1], is: false },
    { birthday: "2000-02-29", today: [2100, 2, 28], is: true }, // 2100 is not a leap year
    { birthday: "2000-02-29", today: [2000, 2, 29], is: true }, // 2000 is
    { birthday: "2000-02-29", today: [2000, 2, 28], is: false },
    { birthday: "1999-02-28", today: [2028, 2, 28], is: true },
    { birthday: "1999-02-28", today: [2028, 2, 29], is: false },
  ])("$birthday on $today: $is", ({ birthday, today, is }) => {
    const [year, month, day] = today as [number, number, number];
    expect(isBirthdayOn(birthday, { year, month, day })).toBe(is);
  });

  it("isBirthday() follows it for a 29 February birthday", () => {
    const customerLeap = { birthday: "2000-02-29" };
    expect(holds("isBirthday()", input({ now: "2027-02-28T05:00:00Z", customer: customerLeap }))).toBe(true);
    expect(holds("isBirthday()", input({ now: "2027-03-01T05:00:00Z", customer: customerLeap }))).toBe(false);
    expect(holds("isBirthday()", input({ now: "2028-02-29T05:00:00Z", customer: customerLeap }))).toBe(true);
    expect(holds("isBirthday()", input({ now: "2028-02-28T05:00:00Z", customer: customerLeap }))).toBe(false);
  });
});

describe("readsMonthMetrics", () => {
  it("is true when a condition may read this month's metrics, false when it reads only other fields", () => {
    expect(readsMonthMetrics("customer.metrics.ordersThisMonth >= 2")).toBe(true);
    expect(readsMonthMetrics('customer.metrics["spendThisMonth"] > 0')).toBe(true);
    expect(readsMonthMetrics("customer.metrics == other")).toBe(true);
    expect(readsMonthMetrics("customer == x")).toBe(true);
    expect(readsMonthMetrics("customer.metrics.lifetimeOrders >= 5 && customer . metrics . daysSinceLastOrder > 30")).toBe(false);
    expect(readsMonthMetrics('hasTag("vip") && order.total > 100')).toBe(false);
  });
});
