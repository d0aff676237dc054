import { DAY_MS, zonedParts } from "../calendar/zoned.ts";
import { isoWeekday } from "./schedule.ts";

/**
 * What a CEL condition can see: the types of the context (one table, read both by the cel-js
 * environment in cel.ts and by the fast compiler in cel-fast.ts, so the two cannot disagree), the
 * input that ingest and checkout hand in, and the helper functions, written once over that input.
 *
 * Integers are CEL `int` (BigInt inside cel-js, safe integers here); money is in minor units.
 * Strings that are unknown are "" and counts with nothing to count are 0, so conditions never meet null.
 */

export interface CelLine {
  sku: string;
  name: string;
  category: string;
  quantity: number;
  unitPrice: number;
  net: number;
  weight: number;
}

export interface CelOrder {
  id: string;
  currency: string;
  subtotal: number;
  discount: number;
  shipping: number;
  tax: number;
  total: number;
  earningBase: number;
  weight: number;
  itemCount: number;
  channel: string;
  store: string;
  lines: CelLine[];
}

export interface CelMetrics {
  lifetimeOrders: number;
  lifetimeSpend: number;
  /** -1 when the customer has no earlier order. */
  daysSinceFirstOrder: number;
  daysSinceLastOrder: number;
  ordersThisMonth: number;
  spendThisMonth: number;
}

export interface CelCustomer {
  id: string;
  email: string;
  phone: string;
  name: string;
  /** YYYY-MM-DD or "". */
  birthday: string;
  status: string;
  tier: string;
  tags: string[];
  attributes: Record<string, unknown>;
  metrics: CelMetrics;
}

/**
 * A customer with no profile and no orders (fresh objects: a batch counts its orders into the
 * metrics): a guest at checkout, or whoever a condition sees when nothing about the customer was read.
 */
export function customerWithoutHistory(over: Partial<Omit<CelCustomer, "metrics">> = {}): CelCustomer {
  return {
    id: "", email: "", phone: "", name: "", birthday: "", status: "active", tier: "", tags: [], attributes: {}, ...over,
    metrics: { lifetimeOrders: 0, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0 },
  };
}

export interface CelInput {
  event: { id: string; type: string; name: string; occurredAt: Date; data: Record<string, unknown> };
  order: CelOrder;
  customer: CelCustomer;
  now: Date;
  timeZone: string;
  /** The order line being judged (stamp cards' qualifying condition); absent elsewhere, where `line` reads as an empty line. */
  line?: CelLine | undefined;
}

/** The CEL type of every field of every message type in the context. */
export const CEL_TYPES = {
  Line: { sku: "string", name: "string", category: "string", quantity: "int", unitPrice: "int", net: "int", weight: "int" },
  Order: {
    id: "string", currency: "string", subtotal: "int", discount: "int", shipping: "int", tax: "int", total: "int", earningBase: "int",
    weight: "int", itemCount: "int", channel: "string", store: "string", lines: "list<Line>",
  },
  Metrics: { lifetimeOrders: "int", lifetimeSpend: "int", daysSinceFirstOrder: "int", daysSinceLastOrder: "int", ordersThisMonth: "int", spendThisMonth: "int" },
  Customer: {
    id: "string", email: "string", phone: "string", name: "string", birthday: "string", status: "string", tier: "string",
    tags: "list<string>", attributes: "map<string, dyn>", metrics: "Metrics",
  },
  Event: { id: "string", type: "string", name: "string", occurredAt: "google.protobuf.Timestamp", data: "map<string, dyn>" },
  Local: { year: "int", month: "int", day: "int", dayOfWeek: "int", hour: "int", minute: "int" },
} as const satisfies Record<string, Record<string, string>>;

export type CelMessageType = keyof typeof CEL_TYPES;

/** The variables a condition may read, and their types. */
export const CEL_VARIABLES = {
  event: "Event",
  order: "Order",
  // Promotions read the cart under its own name; it is the same value as `order`.
  cart: "Order",
  // Stamp cards judge one order line at a time (core/stamps); elsewhere it is an empty line.
  line: "Line",
  customer: "Customer",
  now: "google.protobuf.Timestamp",
  local: "Local",
} as const satisfies Record<string, string>;

/** `local`: the wall-clock parts of `now` in the program's time zone (ISO weekday, Monday = 1). */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  dayOfWeek: number;
  hour: number;
  minute: number;
}

export function localParts(now: Date, timeZone: string): LocalParts {
  const p = zonedParts(now, timeZone);
  return { year: p.year, month: p.month, day: p.day, dayOfWeek: isoWeekday(p.year, p.month, p.day), hour: p.hour, minute: p.minute };
}

function isLeap(y: number) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Whether today (program time zone) is the customer's birthday; 29 February counts on 28 February in other years. */
export function isBirthdayOn(birthday: string, today: { year: number; month: number; day: number }): boolean {
  if (!birthday) return false;
  const month = Number(birthday.slice(5, 7));
  const day = Number(birthday.slice(8, 10));
  if (month === 2 && day === 29 && !isLeap(today.year)) return today.month === 2 && today.day === 28;
  return today.month === month && today.day === day;
}

/**
 * The helper functions, over the raw input. `local` is the evaluation's wall clock, passed in so a
 * caller that already has it does not compute it again. Integers are returned as numbers; cel.ts
 * turns them into CEL ints.
 */
export const celHelpers = {
  daysSince: (input: CelInput, t: Date): number => Math.floor((input.now.getTime() - t.getTime()) / DAY_MS),
  isBirthday: (input: CelInput, local: LocalParts): boolean => isBirthdayOn(input.customer.birthday, local),
  isBirthdayMonth: (input: CelInput, local: LocalParts): boolean => {
    const b = input.customer.birthday;
    return b !== "" && Number(b.slice(5, 7)) === local.month;
  },
  hasSku: (input: CelInput, sku: string): boolean => input.order.lines.some((l) => l.sku === sku),
  hasCategory: (input: CelInput, category: string): boolean => input.order.lines.some((l) => l.category === category),
  quantityOf: (input: CelInput, sku: string): number => {
    let n = 0;
    for (const l of input.order.lines) if (l.sku === sku) n += l.quantity;
    return n;
  },
  hasTag: (input: CelInput, tag: string): boolean => input.customer.tags.includes(tag),
  isMember: (input: CelInput): boolean => input.customer.id !== "",
};

/** `line` outside a stamp card's condition: empty strings and zeros. */
export const EMPTY_LINE: CelLine = { sku: "", name: "", category: "", quantity: 0, unitPrice: 0, net: 0, weight: 0 };

/** An order-less event's `order`: zeros and no lines. */
export const EMPTY_ORDER: CelOrder = {
  id: "", currency: "", subtotal: 0, discount: 0, shipping: 0, tax: 0, total: 0, earningBase: 0, weight: 0, itemCount: 0, channel: "", store: "", lines: [],
};
