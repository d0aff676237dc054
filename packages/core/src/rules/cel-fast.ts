import { CEL_TYPES, CEL_VARIABLES, celHelpers, EMPTY_LINE, type CelCustomer, type CelInput, type CelLine, type CelMessageType, type CelOrder, type LocalParts } from "./cel-schema.ts";

/**
 * A compiler from a checked CEL condition to a JavaScript closure over the raw input (numbers, not
 * BigInt; no value objects), for the subset that rules and campaigns are written in: field reads,
 * comparisons, `&&` `||` `!` `?:`, `in`, integer `+ - *`, the helpers, `size`, string
 * `startsWith`/`endsWith`/`contains`, and the `exists`/`all`/`exists_one` macros.
 *
 * cel-js stays the reference. `compileFast` returns null for anything outside the subset (doubles,
 * maps and attributes, `has`, regexes, conversions, …), and a compiled closure throws `FAST_BAIL`
 * whenever it cannot give exactly cel-js's answer: an integer that is not a safe integer (cel-js
 * would use a 64-bit int or fail), a field holding something that is not an integer. The caller then
 * runs cel-js, so every error and every edge case is cel-js's own. Inside the subset nothing can fail
 * except by bailing, which is why `&&` and `||` can be JavaScript's. A differential property test
 * (cel-fast.test.ts) holds the two to the same answers.
 */

/** Thrown by a fast condition that cannot decide exactly; the caller runs cel-js instead. */
export const FAST_BAIL: unique symbol = Symbol("cel-fast: run cel-js");

/** What a fast condition needs from the evaluation besides the input: its wall clock, computed once. */
export interface FastVariables {
  localParts(): LocalParts;
  /** Bits of the roots whose integers this evaluation has checked (see `checked`); 0 at first. */
  checked: number;
}

export type FastCondition = (input: CelInput, vars: FastVariables) => boolean;

type Prim = "int" | "string" | "bool" | "timestamp";
type Type = Prim | { list: Type } | { message: CelMessageType };

interface Ctx {
  input: CelInput;
  vars: FastVariables;
  /** The macros' loop variables, by slot. */
  locals: unknown[];
}

interface Code {
  type: Type;
  run: (c: Ctx) => unknown;
  /** Set when the value is known when compiling (a literal). */
  constant?: { value: unknown };
}

/** A node of cel-js's parse tree (before macro expansion). */
interface Node {
  op: string;
  args: unknown;
}

function typeOf(name: string): Type | null {
  if (name === "int" || name === "string" || name === "bool") return name;
  if (name === "google.protobuf.Timestamp") return "timestamp";
  if (name in CEL_TYPES) return { message: name as CelMessageType };
  const list = /^list<(.+)>$/.exec(name);
  if (list) {
    const of = typeOf(list[1]!);
    return of && { list: of };
  }
  return null; // maps and dyn: cel-js only
}

const isPrim = (t: Type, p?: Prim): t is Prim => typeof t === "string" && (p === undefined || t === p);
const same = (a: Type, b: Type) => JSON.stringify(a) === JSON.stringify(b);

function safeInt(v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw FAST_BAIL;
  return v;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * cel-js converts a whole variable when a condition first reads it, and the conversion fails on any
 * int field that is not an integer (BigInt(1.5)), whichever field the condition reads. The fast roots
 * check the same fields, once per evaluation (`FastVariables.checked`), and bail where cel-js would fail.
 */
const intFields = (type: CelMessageType) => Object.entries(CEL_TYPES[type] as Record<string, string>).filter(([, t]) => t === "int").map(([name]) => name);
const INTS = { Order: intFields("Order"), Line: intFields("Line"), Metrics: intFields("Metrics") };

const ORDER = 1;
const LINE = 2;
const CUSTOMER = 4;

function checked<T extends object>(c: Ctx, flag: number, value: T, ok: (v: T) => boolean): T {
  if ((c.vars.checked & flag) === 0) {
    if (!ok(value)) throw FAST_BAIL;
    c.vars.checked |= flag;
  }
  return value;
}

// The checks spelled out field by field: a loop over names is a keyed load per field, which V8
// handles megamorphically (3% of a rule evaluation). `INTS`, read off the schema, stays the
// reference: a unit test holds these to the same fields.
const isInt = Number.isInteger;
const lineInts = (l: CelLine) => isInt(l.quantity) && isInt(l.unitPrice) && isInt(l.net) && isInt(l.weight);
const orderInts = (o: CelOrder) =>
  isInt(o.subtotal) && isInt(o.discount) && isInt(o.shipping) && isInt(o.tax) && isInt(o.total) && isInt(o.earningBase) && isInt(o.weight) && isInt(o.itemCount);
const metricsInts = (m: CelCustomer["metrics"]) =>
  isInt(m.lifetimeOrders) && isInt(m.lifetimeSpend) && isInt(m.daysSinceFirstOrder) && isInt(m.daysSinceLastOrder) && isInt(m.ordersThisMonth) && isInt(m.spendThisMonth);

/** The int fields the spelled-out checks read, for the unit test that holds them to the schema. */
export const SPELLED_INTS = { Order: ["subtotal", "discount", "shipping", "tax", "total", "earningBase", "weight", "itemCount"], Line: ["quantity", "unitPrice", "net", "weight"], Metrics: ["lifetimeOrders", "lifetimeSpend", "daysSinceFirstOrder", "daysSinceLastOrder", "ordersThisMonth", "spendThisMonth"] };
export const SCHEMA_INTS = INTS;

const orderOk = (o: CelOrder) => {
  if (!orderInts(o)) return false;
  for (let i = 0; i < o.lines.length; i++) if (!lineInts(o.lines[i]!)) return false;
  return true;
};
const customerOk = (cu: CelCustomer) => metricsInts(cu.metrics);

const ROOTS: Record<keyof typeof CEL_VARIABLES, (c: Ctx) => unknown> = {
  event: (c) => c.input.event,
  order: (c) => checked(c, ORDER, c.input.order, orderOk),
  cart: (c) => checked(c, ORDER, c.input.order, orderOk),
  line: (c) => checked(c, LINE, c.input.line ?? EMPTY_LINE, lineInts),
  customer: (c) => checked(c, CUSTOMER, c.input.customer, customerOk),
  now: (c) => c.input.now,
  local: (c) => c.vars.localParts(),
};

type Scope = ReadonlyMap<string, { slot: number; type: Type }>;

/** The fast form of a parsed condition, or null when it is outside the subset or not a bool. */
export function compileFast(ast: unknown): FastCondition | null {
  let code: Code | null;
  try {
    code = compile(ast as Node, new Map());
  } catch {
    return null; // a tree shape this compiler does not know
  }
  if (code === null || !isPrim(code.type, "bool")) return null;
  const run = code.run;
  if (!usesLocals(ast)) return (input, vars) => run({ input, vars, locals: NO_LOCALS }) as boolean;
  return (input, vars) => run({ input, vars, locals: [] }) as boolean;
}

const NO_LOCALS: unknown[] = [];

/** Whether the tree has a receiver call (the macros are such calls): its closures then need a slot array of their own. */
function usesLocals(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesLocals);
  if (node === null || typeof node !== "object" || !("op" in node)) return false;
  return (node as Node).op === "rcall" || usesLocals((node as Node).args);
}

function compile(node: Node, scope: Scope): Code | null {
  const a = node.args;
  switch (node.op) {
    case "value":
      return literal(a);
    case "id": {
      const name = a as string;
      const local = scope.get(name);
      if (local) return { type: local.type, run: (c) => c.locals[local.slot] };
      if (!(name in CEL_VARIABLES)) return null;
      const type = typeOf(CEL_VARIABLES[name as keyof typeof CEL_VARIABLES]);
      return type && { type, run: ROOTS[name as keyof typeof ROOTS] };
    }
    case ".": {
      const [objNode, field] = a as [Node, string];
      const obj = compile(objNode, scope);
      if (!obj || isPrim(obj.type) || !("message" in obj.type)) return null;
      const fields: Record<string, string> = CEL_TYPES[obj.type.message];
      const fieldType = fields[field] === undefined ? null : typeOf(fields[field]);
      if (!fieldType) return null;
      const get = obj.run;
      if (isPrim(fieldType, "int")) return { type: fieldType, run: (c) => safeInt((get(c) as Record<string, unknown>)[field]) };
      return { type: fieldType, run: (c) => (get(c) as Record<string, unknown>)[field] };
    }
    case "&&":
    case "||": {
      const [l, r] = both(a, scope);
      if (!l || !r || !isPrim(l.type, "bool") || !isPrim(r.type, "bool")) return null;
      const [x, y] = [l.run, r.run];
      return { type: "bool", run: node.op === "&&" ? (c) => (x(c) as boolean) && (y(c) as boolean) : (c) => (x(c) as boolean) || (y(c) as boolean) };
    }
    case "!_": {
      const x = compile(a as Node, scope);
      if (!x || !isPrim(x.type, "bool")) return null;
      const run = x.run;
      return { type: "bool", run: (c) => !run(c) };
    }
    case "-_": {
      const x = compile(a as Node, scope);
      if (!x || !isPrim(x.type, "int")) return null;
      const run = x.run;
      return { type: "int", run: (c) => -(run(c) as number) || 0 }; // `|| 0`: no -0
    }
    case "==":
    case "!=":
      return equality(node.op, a, scope);
    case "<":
    case "<=":
    case ">":
    case ">=":
      return ordering(node.op, a, scope);
    case "+":
    case "-":
    case "*":
      return arithmetic(node.op, a, scope);
    case "in":
      return membership(a, scope);
    case "?:": {
      const [cn, tn, en] = a as [Node, Node, Node];
      const cond = compile(cn, scope);
      const then = compile(tn, scope);
      const otherwise = compile(en, scope);
      if (!cond || !then || !otherwise || !isPrim(cond.type, "bool") || !same(then.type, otherwise.type)) return null;
      const [k, t, e] = [cond.run, then.run, otherwise.run];
      return { type: then.type, run: (c) => (k(c) ? t(c) : e(c)) };
    }
    case "list": {
      const items = (a as Node[]).map((n) => compile(n, scope));
      if (items.length === 0 || items.some((i) => !i || !isPrim(i.type) || !same(i.type, items[0]!.type))) return null;
      const codes = items as Code[];
      if (codes.every((i) => i.constant)) {
        const value = codes.map((i) => i.constant!.value);
        return { type: { list: codes[0]!.type }, run: () => value, constant: { value } };
      }
      const runs = codes.map((i) => i.run);
      return { type: { list: codes[0]!.type }, run: (c) => runs.map((r) => r(c)) };
    }
    case "call":
      return call(a as [string, Node[]], scope);
    case "rcall":
      return receiverCall(a as [string, Node, Node[]], scope);
    default:
      return null;
  }
}

function literal(v: unknown): Code | null {
  let value: unknown;
  let type: Prim;
  if (typeof v === "bigint") {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return null;
    [value, type] = [Number(v), "int"];
  } else if (typeof v === "string") [value, type] = [v, "string"];
  else if (typeof v === "boolean") [value, type] = [v, "bool"];
  else return null; // doubles, null, bytes, uints: cel-js only
  return { type, run: () => value, constant: { value } };
}

function both(a: unknown, scope: Scope): [Code | null, Code | null] {
  const [l, r] = a as [Node, Node];
  return [compile(l, scope), compile(r, scope)];
}

function equality(op: "==" | "!=", a: unknown, scope: Scope): Code | null {
  const [l, r] = both(a, scope);
  if (!l || !r || !isPrim(l.type) || !same(l.type, r.type)) return null;
  const [x, y] = [l.run, r.run];
  const eq =
    l.type === "timestamp" ? (c: Ctx) => (x(c) as Date).getTime() === (y(c) as Date).getTime() : (c: Ctx) => x(c) === y(c);
  return { type: "bool", run: op === "==" ? eq : (c) => !eq(c) };
}

function ordering(op: "<" | "<=" | ">" | ">=", a: unknown, scope: Scope): Code | null {
  const [l, r] = both(a, scope);
  // Strings are left to cel-js: CEL orders them by code point, JavaScript by UTF-16 unit.
  if (!l || !r || !same(l.type, r.type) || !(isPrim(l.type, "int") || isPrim(l.type, "timestamp"))) return null;
  const [x, y] = l.type === "int" ? [l.run, r.run] : [(c: Ctx) => (l.run(c) as Date).getTime(), (c: Ctx) => (r.run(c) as Date).getTime()];
  switch (op) {
    case "<":
      return { type: "bool", run: (c) => (x(c) as number) < (y(c) as number) };
    case "<=":
      return { type: "bool", run: (c) => (x(c) as number) <= (y(c) as number) };
    case ">":
      return { type: "bool", run: (c) => (x(c) as number) > (y(c) as number) };
    case ">=":
      return { type: "bool", run: (c) => (x(c) as number) >= (y(c) as number) };
  }
}

function arithmetic(op: "+" | "-" | "*", a: unknown, scope: Scope): Code | null {
  const [l, r] = both(a, scope);
  if (!l || !r || !isPrim(l.type, "int") || !isPrim(r.type, "int")) return null;
  const [x, y] = [l.run, r.run];
  // A result outside the safe integers may still be a valid int64 (or an overflow error): cel-js decides.
  if (op === "+") return { type: "int", run: (c) => safeInt((x(c) as number) + (y(c) as number)) };
  if (op === "-") return { type: "int", run: (c) => safeInt((x(c) as number) - (y(c) as number)) };
  return { type: "int", run: (c) => safeInt((x(c) as number) * (y(c) as number) || 0) };
}

function membership(a: unknown, scope: Scope): Code | null {
  const [l, r] = both(a, scope);
  if (!l || !r || !isPrim(l.type) || l.type === "timestamp" || isPrim(r.type) || !("list" in r.type) || !same(l.type, r.type.list)) return null;
  const x = l.run;
  if (r.constant) {
    const set = new Set(r.constant.value as unknown[]);
    return { type: "bool", run: (c) => set.has(x(c)) };
  }
  const y = r.run;
  return { type: "bool", run: (c) => (y(c) as unknown[]).includes(x(c)) };
}

function call([name, argNodes]: [string, Node[]], scope: Scope): Code | null {
  const args = argNodes.map((n) => compile(n, scope));
  if (args.some((x) => x === null)) return null;
  const codes = args as Code[];
  const h = celHelpers;
  const one = (t: Prim) => codes.length === 1 && isPrim(codes[0]!.type, t);
  const arg = codes[0]?.run;
  switch (name) {
    case "hasSku":
      return one("string") ? { type: "bool", run: (c) => h.hasSku(c.input, arg!(c) as string) } : null;
    case "hasCategory":
      return one("string") ? { type: "bool", run: (c) => h.hasCategory(c.input, arg!(c) as string) } : null;
    case "hasTag":
      return one("string") ? { type: "bool", run: (c) => h.hasTag(c.input, arg!(c) as string) } : null;
    case "quantityOf":
      return one("string") ? { type: "int", run: (c) => safeInt(h.quantityOf(c.input, arg!(c) as string)) } : null;
    case "daysSince":
      return one("timestamp") ? { type: "int", run: (c) => safeInt(h.daysSince(c.input, arg!(c) as Date)) } : null;
    case "isMember":
      return codes.length === 0 ? { type: "bool", run: (c) => h.isMember(c.input) } : null;
    case "isBirthday":
      return codes.length === 0 ? { type: "bool", run: (c) => h.isBirthday(c.input, c.vars.localParts()) } : null;
    case "isBirthdayMonth":
      return codes.length === 0 ? { type: "bool", run: (c) => h.isBirthdayMonth(c.input, c.vars.localParts()) } : null;
    case "size":
      return codes.length === 1 ? size(codes[0]!) : null;
    default:
      return null;
  }
}

function size(x: Code): Code | null {
  const run = x.run;
  if (isPrim(x.type, "string")) return { type: "int", run: (c) => codePoints(run(c) as string) };
  if (!isPrim(x.type) && "list" in x.type) return { type: "int", run: (c) => (run(c) as unknown[]).length };
  return null;
}

function receiverCall([name, receiverNode, argNodes]: [string, Node, Node[]], scope: Scope): Code | null {
  const receiver = compile(receiverNode, scope);
  if (!receiver) return null;
  const recv = receiver.run;
  if (name === "size" && argNodes.length === 0) return size(receiver);
  if (name === "startsWith" || name === "endsWith" || name === "contains") {
    const arg = argNodes.length === 1 ? compile(argNodes[0]!, scope) : null;
    if (!arg || !isPrim(receiver.type, "string") || !isPrim(arg.type, "string")) return null;
    const y = arg.run;
    if (name === "startsWith") return { type: "bool", run: (c) => (recv(c) as string).startsWith(y(c) as string) };
    if (name === "endsWith") return { type: "bool", run: (c) => (recv(c) as string).endsWith(y(c) as string) };
    return { type: "bool", run: (c) => (recv(c) as string).includes(y(c) as string) };
  }
  if (name !== "exists" && name !== "all" && name !== "exists_one") return null;
  if (isPrim(receiver.type) || !("list" in receiver.type) || argNodes.length !== 2 || argNodes[0]!.op !== "id") return null;
  // One slot per nesting level: deeper than every loop variable already in scope.
  let slot = 0;
  for (const v of scope.values()) slot = Math.max(slot, v.slot + 1);
  const inner = new Map(scope);
  inner.set(argNodes[0]!.args as string, { slot, type: receiver.type.list });
  const body = compile(argNodes[1]!, inner);
  if (!body || !isPrim(body.type, "bool")) return null;
  const test = body.run;
  const loop = (c: Ctx, visit: (hit: boolean) => boolean | undefined): boolean | undefined => {
    for (const item of recv(c) as unknown[]) {
      c.locals[slot] = item;
      const stop = visit(test(c) as boolean);
      if (stop !== undefined) return stop;
    }
    return undefined;
  };
  if (name === "exists") return { type: "bool", run: (c) => loop(c, (hit) => (hit ? true : undefined)) ?? false };
  if (name === "all") return { type: "bool", run: (c) => loop(c, (hit) => (hit ? undefined : false)) ?? true };
  return {
    type: "bool",
    run: (c) => {
      let n = 0;
      loop(c, (hit) => (hit ? (++n, undefined) : undefined));
      return n === 1;
    },
  };
}
