import { Environment } from "@marcbachmann/cel-js";
import { CEL_TYPES, CEL_VARIABLES, celHelpers, EMPTY_LINE, localParts, type CelCustomer, type CelInput, type CelLine, type CelMetrics, type CelOrder, type LocalParts } from "./cel-schema.ts";
import { compileFast, FAST_BAIL, type FastCondition } from "./cel-fast.ts";

export * from "./cel-schema.ts";

/**
 * The CEL environment of rule conditions: the variables a condition may read, their types, and our
 * helper functions. Conditions are type-checked against it when a rule is saved (unknown variable,
 * wrong type, syntax) and compiled once; evaluation is synchronous and pure.
 *
 * The types, the input and the helpers are in cel-schema.ts. Most conditions also get a fast
 * compiled form (cel-fast.ts) that runs on the raw input; cel-js stays the reference and runs whatever
 * the fast form cannot decide exactly.
 */

/**
 * One class per CEL message type. Values are built as instances of these, so cel-js reads their
 * fields directly instead of wrapping plain objects on every evaluation. Each constructor assigns its
 * fields one by one (a fixed object shape, no `Object.assign`): ingest and checkout build these for
 * every event and cart, so their cost is the cost of a rule or campaign evaluation.
 */
const big = (n: number) => BigInt(n);

class LineValue {
  sku: string;
  name: string;
  category: string;
  quantity: bigint;
  unitPrice: bigint;
  net: bigint;
  weight: bigint;
  constructor(l: CelLine) {
    this.sku = l.sku;
    this.name = l.name;
    this.category = l.category;
    this.quantity = big(l.quantity);
    this.unitPrice = big(l.unitPrice);
    this.net = big(l.net);
    this.weight = big(l.weight);
  }
}

class OrderValue {
  id: string;
  currency: string;
  subtotal: bigint;
  discount: bigint;
  shipping: bigint;
  tax: bigint;
  total: bigint;
  earningBase: bigint;
  weight: bigint;
  itemCount: bigint;
  channel: string;
  store: string;
  lines: LineValue[];
  constructor(o: CelOrder) {
    this.id = o.id;
    this.currency = o.currency;
    this.subtotal = big(o.subtotal);
    this.discount = big(o.discount);
    this.shipping = big(o.shipping);
    this.tax = big(o.tax);
    this.total = big(o.total);
    this.earningBase = big(o.earningBase);
    this.weight = big(o.weight);
    this.itemCount = big(o.itemCount);
    this.channel = o.channel;
    this.store = o.store;
    const lines = new Array<LineValue>(o.lines.length);
    for (let i = 0; i < o.lines.length; i++) lines[i] = new LineValue(o.lines[i]!);
    this.lines = lines;
  }
}

class MetricsValue {
  lifetimeOrders: bigint;
  lifetimeSpend: bigint;
  daysSinceFirstOrder: bigint;
  daysSinceLastOrder: bigint;
  ordersThisMonth: bigint;
  spendThisMonth: bigint;
  constructor(m: CelMetrics) {
    this.lifetimeOrders = big(m.lifetimeOrders);
    this.lifetimeSpend = big(m.lifetimeSpend);
    this.daysSinceFirstOrder = big(m.daysSinceFirstOrder);
    this.daysSinceLastOrder = big(m.daysSinceLastOrder);
    this.ordersThisMonth = big(m.ordersThisMonth);
    this.spendThisMonth = big(m.spendThisMonth);
  }
}

class CustomerValue {
  id: string;
  email: string;
  phone: string;
  name: string;
  birthday: string;
  status: string;
  tier: string;
  tags: string[];
  attributes: unknown;
  metrics: MetricsValue;
  constructor(c: CelCustomer) {
    this.id = c.id;
    this.email = c.email;
    this.phone = c.phone;
    this.name = c.name;
    this.birthday = c.birthday;
    this.status = c.status;
    this.tier = c.tier;
    this.tags = c.tags;
    this.attributes = celValue(c.attributes);
    this.metrics = new MetricsValue(c.metrics);
  }
}

class EventValue {
  id: string;
  type: string;
  name: string;
  occurredAt: Date;
  data: unknown;
  constructor(e: CelInput["event"]) {
    this.id = e.id;
    this.type = e.type;
    this.name = e.name;
    this.occurredAt = e.occurredAt;
    this.data = celValue(e.data);
  }
}

class LocalValue {
  year: bigint;
  month: bigint;
  day: bigint;
  dayOfWeek: bigint;
  hour: bigint;
  minute: bigint;
  constructor(p: LocalParts) {
    this.year = big(p.year);
    this.month = big(p.month);
    this.day = big(p.day);
    this.dayOfWeek = big(p.dayOfWeek);
    this.hour = big(p.hour);
    this.minute = big(p.minute);
  }
}

// Helper functions read the evaluation's input from here: evaluation is synchronous, so the value
// set just before a call is the one its helpers see.
let current: { input: CelInput; vars: CelVariables } | null = null;

const CTORS = { Line: LineValue, Order: OrderValue, Metrics: MetricsValue, Customer: CustomerValue, Event: EventValue, Local: LocalValue };

export const celEnvironment = (() => {
  let env = new Environment({ homogeneousAggregateLiterals: false });
  for (const [name, fields] of Object.entries(CEL_TYPES)) env = env.registerType(name, { ctor: CTORS[name as keyof typeof CTORS], fields });
  for (const [name, type] of Object.entries(CEL_VARIABLES)) env = env.registerVariable(name, type);
  const h = celHelpers;
  return env
    .registerFunction("daysSince(google.protobuf.Timestamp): int", (t: Date) => big(h.daysSince(current!.input, t)), { description: "Whole days from the timestamp to now." })
    .registerFunction("isBirthday(): bool", () => h.isBirthday(current!.input, current!.vars.localParts()), {
      description: "Today, in the program's time zone, is the customer's birthday (29 February: the 28th in other years).",
    })
    .registerFunction("isBirthdayMonth(): bool", () => h.isBirthdayMonth(current!.input, current!.vars.localParts()), {
      description: "This month, in the program's time zone, is the customer's birthday month.",
    })
    .registerFunction("hasSku(string): bool", (sku: string) => h.hasSku(current!.input, sku), { description: "The order has a line with this sku." })
    .registerFunction("hasCategory(string): bool", (c: string) => h.hasCategory(current!.input, c), { description: "The order has a line in this category." })
    .registerFunction("quantityOf(string): int", (sku: string) => big(h.quantityOf(current!.input, sku)), { description: "Units of this sku in the order." })
    .registerFunction("hasTag(string): bool", (t: string) => h.hasTag(current!.input, t), { description: "The customer has this tag." })
    .registerFunction("isMember(): bool", () => h.isMember(current!.input), { description: "The customer is a member of the program (not a guest checkout)." });
})();

/** A JSON value as CEL sees it: integral numbers become int (BigInt), others double. */
function celValue(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(celValue);
  if (v && typeof v === "object" && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, celValue(x)]));
  return v;
}

/**
 * The CEL variables of one evaluation. Each is built the first time a condition reads it (cel-js reads
 * variables as properties, and these getters live on the prototype), so an event whose conditions
 * only look at the order never converts the customer, and the other way round. A class rather than
 * an object literal with getters: V8 builds such a literal through a slow path, and this object is
 * made for every event and every cart.
 */
class CelVariables {
  readonly #input: CelInput;
  #event: EventValue | undefined;
  #order: OrderValue | undefined;
  #customer: CustomerValue | undefined;
  #local: LocalValue | undefined;
  #line: LineValue | undefined;
  #localParts: LocalParts | undefined;
  /** For the fast conditions: which roots' integers were checked (cel-fast.ts). */
  checked = 0;
  readonly now: Date;
  constructor(input: CelInput) {
    this.#input = input;
    this.now = input.now;
  }
  get event(): EventValue {
    return (this.#event ??= new EventValue(this.#input.event));
  }
  get order(): OrderValue {
    return (this.#order ??= new OrderValue(this.#input.order));
  }
  get cart(): OrderValue {
    return this.order;
  }
  get customer(): CustomerValue {
    return (this.#customer ??= new CustomerValue(this.#input.customer));
  }
  get line(): LineValue {
    return (this.#line ??= new LineValue(this.#input.line ?? EMPTY_LINE));
  }
  get local(): LocalValue {
    return (this.#local ??= new LocalValue(this.localParts()));
  }
  /** `local` as numbers, for the helpers and the fast conditions. */
  localParts(): LocalParts {
    return (this.#localParts ??= localParts(this.#input.now, this.#input.timeZone));
  }
}

export type { CelVariables };

export function celVariables(input: CelInput): CelVariables {
  return new CelVariables(input);
}

export interface ConditionError {
  message: string;
  /** Where in the expression (0-based offsets), when the parser knows. */
  start?: number | undefined;
  end?: number | undefined;
}

/** A checked, compiled condition: its top-level `&&` parts, so a trace can say which part was false. */
export interface CompiledCondition {
  source: string;
  /** Whether it may read the customer (profile or metrics): ingest loads customers' facts only for such rules. */
  readsCustomer: boolean;
  /** Whether it may read this month's metrics (`ordersThisMonth`, `spendThisMonth`): ingest counts this month's orders only for such rules. */
  readsMonth: boolean;
  parts: ConditionPart[];
}

export interface ConditionPart {
  source: string;
  /** cel-js: the reference, for every part. */
  run: (vars: CelVariables) => unknown;
  /** The fast form, when the part is in the subset cel-fast.ts compiles; null otherwise. */
  fast: FastCondition | null;
  /** The outcome when this part is false, made once: most conditions are false for most events. */
  miss: ConditionOutcome;
}

/** Splits `a && (b || c) && d` into its top-level conjuncts, respecting brackets and string literals. */
export function splitConjuncts(src: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (src.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = null;
      }
      continue;
    }
    if (ch === "/" && src[i + 1] === "/") return [src.trim()]; // a comment could hide an &&: keep the expression whole
    if (ch === '"' || ch === "'") {
      quote = src.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      i += quote.length - 1;
    } else if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    else if (depth === 0 && src.startsWith("&&", i)) {
      out.push(src.slice(start, i).trim());
      start = i + 2;
      i++;
    } else if (depth === 0 && (src.startsWith("||", i) || ch === "?")) {
      return [src.trim()]; // a top-level || or ?: binds looser than &&: keep the expression whole
    }
  }
  out.push(src.slice(start).trim());
  return out.filter((s) => s.length > 0);
}

/** Type-checks and compiles a condition; it must be a bool. */
export function compileCondition(source: string): { ok: true; value: CompiledCondition } | { ok: false; error: ConditionError } {
  if (source.length > 4000) return { ok: false, error: { message: "The condition is longer than 4,000 characters." } };
  let checked;
  try {
    checked = celEnvironment.check(source);
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
  if (!checked.valid) return { ok: false, error: describe(checked.error) };
  if (checked.type !== "bool") return { ok: false, error: { message: `The condition must be a bool; this expression is a ${checked.type}.` } };
  const pieces = splitConjuncts(source);
  const parts = (pieces.length > 1 && pieces.every((p) => celEnvironment.check(p).valid) ? pieces : [source]).map((p) => {
    const fn = celEnvironment.parse(p);
    return { source: p, run: (vars: CelVariables) => fn(vars as unknown as Record<string, unknown>), fast: compileFast(fn.ast), miss: missOf(p) };
  });
  return { ok: true, value: { source, parts, readsCustomer: /\bcustomer\b|\bisBirthday|\bhasTag\b|\bisMember\b/.test(source), readsMonth: readsMonthMetrics(source) } };
}

/**
 * Whether a condition may read this month's metrics. Conservative, on the text: it names one of them,
 * or it uses `metrics` other than as `metrics.<field>` (the whole message, an index), or it names a
 * variable that holds the whole customer without reading a field of it.
 */
export function readsMonthMetrics(source: string): boolean {
  if (/ThisMonth/.test(source)) return true;
  for (const m of source.matchAll(/\bmetrics\b/g)) if (!/^\s*\.\s*[A-Za-z_]/.test(source.slice(m.index + "metrics".length))) return true;
  for (const m of source.matchAll(/\bcustomer\b/g)) if (!/^\s*\.\s*[A-Za-z_]/.test(source.slice(m.index + "customer".length))) return true;
  return false;
}

/**
 * A saved condition that no longer compiles (the CEL environment changed since it was saved): it
 * never matches, and every run reports `message` as its error (the dry-run trace shows it).
 */
export function failingCondition(source: string, message: string, readsCustomer: boolean): CompiledCondition {
  const fail = () => {
    throw new Error(message);
  };
  // It never matches, whatever it would read: no month to count for it.
  return { source, readsCustomer, readsMonth: false, parts: [{ source, run: fail, fast: null, miss: missOf(source) }] };
}

function describe(e: unknown): ConditionError {
  const err = e as { summary?: string; message?: string; range?: { start?: number; end?: number } } | undefined;
  return { message: err?.summary ?? err?.message ?? String(e), start: err?.range?.start, end: err?.range?.end };
}

export type ConditionOutcome = { matched: true } | { matched: false; part: string; value: unknown } | { error: string };

const MATCHED: ConditionOutcome = Object.freeze({ matched: true });
const missOf = (part: string): ConditionOutcome => Object.freeze({ matched: false, part, value: false });

/**
 * Runs a condition with CEL's `&&` semantics: false wins over an error. Returns which part was false
 * (and its value) for the trace.
 */
export function runCondition(cond: CompiledCondition, input: CelInput, vars: CelVariables): ConditionOutcome {
  let error: string | null = null;
  for (const part of cond.parts) {
    let v: unknown;
    try {
      v = runPart(part, input, vars);
    } catch (e) {
      error ??= `${part.source}: ${(e as { summary?: string; message?: string }).summary ?? (e as Error).message}`;
      continue;
    }
    if (v === false) return part.miss;
    // A part that is not a bool (a dyn attribute holding "yes") is an error, as in CEL's own &&.
    if (v !== true) error ??= `${part.source}: the condition part is a ${typeof v}, not a bool`;
  }
  return error ? { error } : MATCHED;
}

/** The fast form when there is one and it can decide; cel-js otherwise (and for every error). */
function runPart(part: ConditionPart, input: CelInput, vars: CelVariables): unknown {
  if (part.fast !== null) {
    try {
      return part.fast(input, vars);
    } catch (e) {
      if (e !== FAST_BAIL) throw e;
    }
  }
  current = { input, vars };
  try {
    return part.run(vars);
  } finally {
    current = null;
  }
}
