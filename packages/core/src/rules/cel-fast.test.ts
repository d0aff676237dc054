import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { celVariables, compileCondition, runCondition, type CelInput, type CompiledCondition } from "./cel.ts";
import { FAST_BAIL, SCHEMA_INTS, SPELLED_INTS } from "./cel-fast.ts";

/**
 * The fast compiler against cel-js, the reference: random well-typed conditions over the whole
 * context, on random inputs (huge and non-integer numbers, astral characters, empty orders), must
 * give the same outcome with and without the fast forms. Some generated conditions are outside the
 * subset on purpose (doubles, attributes, string ordering), to check that they fall back.
 */

const SKUS = ["LATTE", "CAKE", "TEA", ""];
const CATEGORIES = ["drinks", "food", ""];
const STRINGS = ["LATTE", "gold", "vip", "", "app", "pos", "An", "😀", "é"];
const strLit = fc.constantFrom(...STRINGS).map((s) => JSON.stringify(s));
const intLit = fc.oneof(
  fc.integer({ min: -5, max: 100 }),
  fc.integer({ min: -1_000_000, max: 3_000_000 }),
  fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 62, -(2 ** 53)),
).map((n) => (n < 0 ? `(${n})` : String(n)));

const INT_FIELDS = [
  "order.total", "order.subtotal", "order.discount", "order.itemCount", "order.weight", "cart.total", "line.quantity", "line.net",
  "customer.metrics.lifetimeOrders", "customer.metrics.lifetimeSpend", "customer.metrics.daysSinceLastOrder", "customer.metrics.ordersThisMonth",
  "local.dayOfWeek", "local.hour", "local.day", "local.month",
];
const STRING_FIELDS = ["order.channel", "order.currency", "customer.tier", "customer.name", "customer.birthday", "event.type", "line.sku", "line.category"];

function intExpr(depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(
    fc.constantFrom(...INT_FIELDS),
    intLit,
    fc.constantFrom("size(order.lines)", "order.lines.size()", "size(customer.name)", "customer.tags.size()", "daysSince(event.occurredAt)"),
    fc.constantFrom(...SKUS).map((s) => `quantityOf(${JSON.stringify(s)})`),
  );
  if (depth <= 0) return leaf;
  const sub = intExpr(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.tuple(sub, fc.constantFrom("+", "-", "*"), sub).map(([a, op, b]) => `(${a} ${op} ${b})`) },
    { weight: 1, arbitrary: sub.map((a) => `-(${a})`) },
    { weight: 1, arbitrary: fc.tuple(boolExpr(depth - 1), sub, sub).map(([c, a, b]) => `(${c} ? ${a} : ${b})`) },
  );
}

function stringExpr(depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(fc.constantFrom(...STRING_FIELDS), strLit);
  if (depth <= 0) return leaf;
  return fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: fc.tuple(boolExpr(depth - 1), leaf, leaf).map(([c, a, b]) => `(${c} ? ${a} : ${b})`) });
}

const lineBody = fc.oneof(
  fc.tuple(fc.constantFrom("l.sku", "l.category", "l.name"), fc.constantFrom("==", "!="), fc.constantFrom(...SKUS, ...CATEGORIES)).map(([f, op, v]) => `${f} ${op} ${JSON.stringify(v)}`),
  fc.tuple(fc.constantFrom("l.net", "l.quantity", "l.unitPrice"), fc.constantFrom("<", ">=", "=="), intLit).map(([f, op, v]) => `${f} ${op} ${v}`),
);

function boolExpr(depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(
    fc.tuple(intExpr(0), fc.constantFrom("<", "<=", ">", ">=", "==", "!="), intExpr(0)).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(stringExpr(0), fc.constantFrom("==", "!="), stringExpr(0)).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.constantFrom(...SKUS).map((s) => `hasSku(${JSON.stringify(s)})`),
    fc.constantFrom(...CATEGORIES).map((s) => `hasCategory(${JSON.stringify(s)})`),
    strLit.map((s) => `hasTag(${s})`),
    fc.constantFrom("isMember()", "isBirthday()", "isBirthdayMonth()", "true", "false", "event.occurredAt < now", "event.occurredAt == now"),
    fc.tuple(intExpr(0), fc.array(intLit, { minLength: 1, maxLength: 3 })).map(([a, xs]) => `${a} in [${xs.join(", ")}]`),
    fc.tuple(stringExpr(0), fc.constantFrom("customer.tags", '["gold", "vip"]')).map(([a, xs]) => `${a} in ${xs}`),
    fc.tuple(stringExpr(0), fc.constantFrom("startsWith", "endsWith", "contains"), strLit).map(([a, m, b]) => `${a}.${m}(${b})`),
    fc.tuple(fc.constantFrom("exists", "all", "exists_one"), lineBody).map(([m, body]) => `order.lines.${m}(l, ${body})`),
    // Outside the subset: cel-js must answer these.
    fc.constantFrom('customer.attributes.vip == true', "order.total > 1.5", 'customer.name < "M"', "has(customer.attributes.vip)", 'event.data.source == "x"', "order.total / 0 == 1"),
  );
  if (depth <= 0) return leaf;
  const sub = boolExpr(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 2, arbitrary: fc.tuple(sub, fc.constantFrom("&&", "||"), sub).map(([a, op, b]) => `(${a}) ${op} (${b})`) },
    { weight: 1, arbitrary: sub.map((a) => `!(${a})`) },
    { weight: 1, arbitrary: fc.tuple(sub, sub, sub).map(([c, a, b]) => `(${c} ? ${a} : ${b})`) },
    { weight: 1, arbitrary: fc.tuple(intExpr(1), fc.constantFrom("<", ">=", "=="), intExpr(1)).map(([a, op, b]) => `${a} ${op} ${b}`) },
  );
}

// Numbers that are not safe integers make cel-js fail (BigInt of 1.5) or go past 2^53: the fast form must bail.
const amount = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 5_000_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 53 - 1, 2 ** 60, 1.5, -3) },
);
const line = fc.record({
  sku: fc.constantFrom(...SKUS),
  name: fc.constantFrom(...STRINGS),
  category: fc.constantFrom(...CATEGORIES),
  quantity: amount,
  unitPrice: amount,
  net: amount,
  weight: fc.constant(0),
});
const input: fc.Arbitrary<CelInput> = fc
  .record({
    lines: fc.array(line, { maxLength: 4 }),
    total: amount,
    subtotal: amount,
    itemCount: fc.integer({ min: 0, max: 20 }),
    channel: fc.constantFrom("app", "pos", ""),
    tier: fc.constantFrom("gold", "", "😀"),
    name: fc.constantFrom(...STRINGS),
    tags: fc.subarray(["vip", "gold", "", "😀"]),
    birthday: fc.constantFrom("", "1990-11-23", "2000-02-29", "1985-06-01"),
    lifetimeOrders: amount,
    lifetimeSpend: amount,
    daysSinceLastOrder: fc.integer({ min: -1, max: 400 }),
    customerId: fc.constantFrom("cus_1", ""),
    now: fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2028-12-31T00:00:00Z"), noInvalidDate: true }),
    occurredAt: fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2028-12-31T00:00:00Z"), noInvalidDate: true }),
    timeZone: fc.constantFrom("Asia/Ho_Chi_Minh", "America/New_York", "UTC"),
    withLine: fc.boolean(),
  })
  .map((x) => ({
    event: { id: "evt_1", type: "order.completed", name: "", occurredAt: x.occurredAt, data: {} },
    order: {
      id: "ord_1", currency: "VND", subtotal: x.subtotal, discount: 0, shipping: 0, tax: 0, total: x.total, earningBase: x.total, weight: 0, itemCount: x.itemCount,
      channel: x.channel, store: "", lines: x.lines,
    },
    customer: {
      id: x.customerId, email: "", phone: "", name: x.name, birthday: x.birthday, status: "active", tier: x.tier, tags: x.tags, attributes: {},
      metrics: { lifetimeOrders: x.lifetimeOrders, lifetimeSpend: x.lifetimeSpend, daysSinceFirstOrder: -1, daysSinceLastOrder: x.daysSinceLastOrder, ordersThisMonth: 0, spendThisMonth: 0 },
    },
    now: x.now,
    timeZone: x.timeZone,
    line: x.withLine ? x.lines[0] : undefined,
  }));

const withoutFast = (c: CompiledCondition): CompiledCondition => ({ ...c, parts: c.parts.map((p) => ({ ...p, fast: null })) });

describe("cel-fast's integer checks", () => {
  it("read exactly the int fields of the schema (Order, Line, Metrics)", () => {
    for (const type of ["Order", "Line", "Metrics"] as const) expect([...SPELLED_INTS[type]].sort()).toEqual([...SCHEMA_INTS[type]].sort());
  });
});

describe("cel-fast against cel-js", () => {
  it("gives the same outcome as cel-js on random conditions and inputs (bailing to cel-js where it cannot)", () => {
    const seen = { conditions: 0, fastParts: 0, decidedFast: 0, bailed: 0 };
    fc.assert(
      fc.property(boolExpr(3), fc.array(input, { minLength: 1, maxLength: 4 }), (src, inputs) => {
        const compiled = compileCondition(src);
        if (!compiled.ok) return; // a generated expression cel-js refuses (rare): nothing to compare
        seen.conditions++;
        const cond = compiled.value;
        const reference = withoutFast(cond);
        for (const x of inputs) {
          for (const part of cond.parts) {
            if (!part.fast) continue;
            seen.fastParts++;
            try {
              part.fast(x, celVariables(x));
              seen.decidedFast++;
            } catch (e) {
              if (e !== FAST_BAIL) throw e;
              seen.bailed++;
            }
          }
          expect(runCondition(cond, x, celVariables(x)), `${src} on ${JSON.stringify(x.order)}`).toEqual(runCondition(reference, x, celVariables(x)));
        }
      }),
      { numRuns: 3_000 },
    );
    // The comparison means something only if the fast path both decides and bails often.
    expect(seen.conditions).toBeGreaterThan(2_500);
    expect(seen.decidedFast).toBeGreaterThan(1_000);
    expect(seen.bailed).toBeGreaterThan(50);
  });

  it.each([
    'order.total >= 50000 && hasSku("LATTE")',
    "local.dayOfWeek in [6, 7]",
    'customer.tier == "gold" || customer.tier == "platinum"',
    'order.lines.exists(l, l.category == "food" && l.net >= 20000)',
    "customer.metrics.daysSinceLastOrder >= 30 || customer.metrics.daysSinceLastOrder == -1",
    "isBirthdayMonth()",
    'order.lines.exists(a, order.lines.exists(b, a.sku != b.sku && a.net > b.net))',
  ])("compiles the usual conditions: %s", (src) => {
    const c = compileCondition(src);
    expect(c.ok && c.value.parts.every((p) => p.fast !== null)).toBe(true);
  });

  it.each(["customer.attributes.vip == true", "order.total > 1.5", 'customer.name < "M"', 'order.channel.matches("^a")', "int(order.total) > 1"])(
    "leaves the rest to cel-js: %s",
    (src) => {
      const c = compileCondition(src);
      expect(c.ok && c.value.parts.every((p) => p.fast === null)).toBe(true);
    },
  );
});
