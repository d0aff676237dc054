/**
 * Rules-engine benchmark: events/s of `evaluateRules` in process, no database, no HTTP. 20 active
 * order.completed rules (mixed effects, about half with CEL conditions, some with schedules and limits)
 * run on an order event with 3 lines. Each event gets a fresh CounterBook and its own CEL context, as
 * ingest does, so `celVariables` runs inside every evaluation.
 *
 *   npm run bench:rules                           # warm-up 2 s, then 5 rounds of 1 s
 *   npm run bench:rules -- --rounds 7 --seconds 2 # longer
 *
 * The goal is ≥ 200,000 events/s (the median of the rounds) on one core.
 */
import { parseArgs } from "node:util";
import { cpus } from "node:os";
import { compileCondition, CounterBook, evaluateRules, type CelInput, type CelOrder, type CompiledRule, type RuleDefinition, type RuleEvent } from "../packages/core/src/index.ts";

const GOAL = 200_000;
const TZ = "Asia/Ho_Chi_Minh";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "1" },
    warmup: { type: "string", default: "2" },
    help: { type: "boolean", default: false },
  },
});
console.log("usage: npm run bench:rules -- [--rounds N (≥ 5, default 5)] [--seconds S per round (≥ 1, default 1)] [--warmup S (default 2)]");
if (args.help) process.exit(0);
const rounds = Math.max(5, Number(args.rounds));
const seconds = Math.max(1, Number(args.seconds));
const warmupSeconds = Math.max(0, Number(args.warmup));
if (!Number.isFinite(rounds) || !Number.isFinite(seconds) || !Number.isFinite(warmupSeconds)) throw new Error("--rounds, --seconds and --warmup take numbers");

// ---- 20 rules ----

function rule(i: number, def: Partial<RuleDefinition>): CompiledRule {
  const full: RuleDefinition = {
    name: `rule ${i}`,
    trigger: { event: "order.completed" },
    condition: null,
    effect: { kind: "fixed", asset: "points", points: 10 },
    schedule: null,
    limits: [],
    budget: null,
    pendingDays: null,
    expiry: null,
    priority: i,
    stopFurther: false,
    ...def,
  };
  let condition = null;
  if (full.condition !== null) {
    const c = compileCondition(full.condition);
    if (!c.ok) throw new Error(`rule ${i}: ${c.error.message}`);
    condition = c.value;
  }
  return { id: `rule_${i}`, version: 1, def: full, condition };
}

const RULES: CompiledRule[] = [
  rule(1, { effect: { kind: "per_amount", asset: "points", points: 1, per: 1_000, rounding: "floor", base: "earning_base" } }),
  rule(2, { condition: 'order.total >= 50000 && hasSku("LATTE")', effect: { kind: "fixed", asset: "points", points: 20 } }),
  rule(3, { condition: "customer.metrics.lifetimeOrders > 3", effect: { kind: "per_amount", asset: "points", points: 1, per: 5_000, rounding: "half_up", base: "total" } }),
  rule(4, { condition: "local.dayOfWeek in [6, 7]", effect: { kind: "fixed", asset: "points", points: 15 } }),
  rule(5, { effect: { kind: "per_line", asset: "points", points: 2, per: "quantity", categories: ["drinks"] } }),
  rule(6, { condition: 'hasTag("vip")', effect: { kind: "fixed", asset: "points", points: 30 }, limits: [{ per: "day", maxAwards: 1 }] }),
  rule(7, { effect: { kind: "per_line", asset: "points", points: 5, per: "line", skus: ["CAKE", "COOKIE"] }, schedule: { hours: [{ from: "06:00", to: "22:00" }] } }),
  rule(8, { condition: 'customer.tier == "gold" || customer.tier == "platinum"', effect: { kind: "per_amount", asset: "points", points: 1, per: 2_000, rounding: "floor", base: "subtotal" } }),
  rule(9, { effect: { kind: "fixed", asset: "points", points: 5 }, schedule: { daysOfMonth: [5, 20] } }),
  rule(10, { condition: 'quantityOf("LATTE") >= 2', effect: { kind: "fixed", asset: "points", points: 10 }, limits: [{ per: "week", maxPoints: 50 }] }),
  rule(11, { effect: { kind: "fixed", asset: "points", points: 3 }, limits: [{ per: "day", maxAwards: 3, maxPoints: 20 }], budget: { points: 1_000_000 } }),
  rule(12, { condition: 'order.channel == "app" && order.itemCount >= 3', effect: { kind: "fixed", asset: "points", points: 8 } }),
  rule(13, { effect: { kind: "per_line", asset: "points", points: 1, per: "quantity" } }),
  rule(14, { condition: 'customer.metrics.daysSinceLastOrder >= 30 || customer.metrics.daysSinceLastOrder == -1', effect: { kind: "fixed", asset: "points", points: 25 } }),
  rule(15, { effect: { kind: "fixed", asset: "points", points: 2 }, schedule: { from: "2026-01-01T00:00:00+07:00", to: "2027-01-01T00:00:00+07:00", daysOfWeek: [1, 2, 3, 4, 5] } }),
  rule(16, { condition: 'order.lines.exists(l, l.category == "food" && l.net >= 20000)', effect: { kind: "fixed", asset: "points", points: 12 } }),
  rule(17, { effect: { kind: "per_amount", asset: "points", points: 2, per: 10_000, rounding: "half_even", base: "total" }, limits: [{ per: "month", maxPoints: 500 }] }),
  rule(18, { condition: "isBirthdayMonth()", effect: { kind: "multiplier", asset: "points", factor: 2 } }),
  rule(19, { effect: { kind: "multiplier", asset: "points", factor: 1.5 }, schedule: { hours: [{ from: "14:00", to: "17:00" }] } }),
  rule(20, { condition: "customer.metrics.lifetimeSpend >= 1000000 && local.hour >= 7", effect: { kind: "fixed", asset: "points", points: 40 }, limits: [{ per: "lifetime", maxAwards: 5 }] }),
];

// ---- events: a few customers and times, always 3 lines ----

interface Shape {
  at: string;
  customerId: string;
  tier: string;
  tags: string[];
  lifetimeOrders: number;
  lifetimeSpend: number;
  daysSinceLastOrder: number;
  birthday: string;
  latte: number;
}

const SHAPES: Shape[] = [
  { at: "2026-11-20T08:15:00Z", customerId: "cus_1", tier: "gold", tags: ["vip"], lifetimeOrders: 12, lifetimeSpend: 2_400_000, daysSinceLastOrder: 3, birthday: "1990-11-23", latte: 2 },
  { at: "2026-11-21T02:40:00Z", customerId: "cus_2", tier: "", tags: [], lifetimeOrders: 0, lifetimeSpend: 0, daysSinceLastOrder: -1, birthday: "", latte: 1 },
  { at: "2026-11-23T09:05:00Z", customerId: "cus_3", tier: "platinum", tags: ["staff"], lifetimeOrders: 4, lifetimeSpend: 900_000, daysSinceLastOrder: 40, birthday: "1985-02-29", latte: 3 },
  { at: "2026-11-24T16:30:00Z", customerId: "cus_4", tier: "silver", tags: ["vip", "student"], lifetimeOrders: 2, lifetimeSpend: 150_000, daysSinceLastOrder: 10, birthday: "2001-06-01", latte: 1 },
];

function orderFor(s: Shape, n: number): CelOrder {
  const lines = [
    { sku: "LATTE", name: "Latte", category: "drinks", quantity: s.latte, unitPrice: 45_000, net: s.latte * 45_000, weight: 0 },
    { sku: "CAKE", name: "Cheesecake", category: "food", quantity: 1, unitPrice: 35_000, net: 35_000, weight: 0 },
    { sku: "WATER", name: "Water", category: "drinks", quantity: 2, unitPrice: 10_000, net: 20_000, weight: 0 },
  ];
  const subtotal = lines.reduce((a, l) => a + l.net, 0);
  return {
    id: `ord_${n}`, currency: "VND", subtotal, discount: 5_000, shipping: 0, tax: 0, total: subtotal - 5_000, earningBase: subtotal - 5_000, weight: 0,
    itemCount: lines.reduce((a, l) => a + l.quantity, 0), channel: n % 2 ? "app" : "pos", store: "store_1", lines,
  };
}

let sink = 0; // what the evaluations awarded, printed so that nothing is optimised away

function oneEvent(n: number): void {
  const s = SHAPES[n % SHAPES.length]!;
  const occurredAt = new Date(s.at);
  const event: RuleEvent = { type: "order.completed", name: "", occurredAt, customerId: s.customerId };
  // Built per event, as ingest does: the order and customer as CEL sees them.
  const context = (): CelInput => ({
    event: { id: `evt_${n}`, type: "order.completed", name: "", occurredAt, data: {} },
    order: orderFor(s, n),
    customer: {
      id: s.customerId, email: `${s.customerId}@example.com`, phone: "", name: "", birthday: s.birthday, status: "active", tier: s.tier, tags: s.tags, attributes: {},
      metrics: { lifetimeOrders: s.lifetimeOrders, lifetimeSpend: s.lifetimeSpend, daysSinceFirstOrder: s.lifetimeOrders ? 200 : -1, daysSinceLastOrder: s.daysSinceLastOrder, ordersThisMonth: 1, spendThisMonth: 100_000 },
    },
    now: occurredAt,
    timeZone: TZ,
  });
  const result = evaluateRules({ rules: RULES, event, context, timeZone: TZ, pointValue: { money: 1_000, points: 1 }, counters: new CounterBook() });
  if (result.failures.length) throw new Error(`unexpected failure: ${JSON.stringify(result.failures)}`);
  for (const a of result.awards) sink += a.points;
}

/** Runs events for about `ms` milliseconds; returns events/s. */
function run(ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1_000; i++) oneEvent(n++);
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

// Sanity: what one event of each shape does.
for (let i = 0; i < SHAPES.length; i++) {
  const before = sink;
  oneEvent(i);
  console.log(`  shape ${i + 1} (${SHAPES[i]!.customerId}, ${SHAPES[i]!.at}): ${sink - before} points`);
}

console.log(`rules: ${RULES.length} (${RULES.filter((r) => r.condition).length} with CEL conditions), 3 lines per order, fresh CounterBook per event`);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? "unknown cpu"}`);
console.log(`warm-up ${warmupSeconds} s …`);
run(warmupSeconds * 1000);

const figures: number[] = [];
for (let r = 1; r <= rounds; r++) {
  const eps = run(seconds * 1000);
  figures.push(eps);
  console.log(`round ${r}/${rounds}: ${fmt(eps)} events/s  (${(1e6 / eps).toFixed(2)} µs/event)`);
}
const sorted = [...figures].sort((a, b) => a - b);
const mid = sorted.length >> 1;
const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
console.log(`median: ${fmt(median)} events/s  (${(1e6 / median).toFixed(2)} µs/event)`);
console.log(`goal ≥ ${fmt(GOAL)} events/s: ${median >= GOAL ? "met" : "NOT met"}`);
console.log(`(checksum ${sink})`);
