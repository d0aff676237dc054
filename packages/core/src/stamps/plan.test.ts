import { describe, expect, it } from "vitest";
import { compileCondition, EMPTY_ORDER, type CelInput, type CelLine } from "../rules/cel.ts";
import { CounterBook, counterKey } from "../rules/evaluate.ts";
import { completeCards, giveStamps, limitStamps, planOrderStamps, qualifyingLines, stampsFor, stampsToTakeBack } from "./plan.ts";
import type { CompiledStampCard, StampCardDefinition } from "./types.ts";

const TZ = "Asia/Ho_Chi_Minh";
const AT = new Date("2026-03-10T03:00:00Z"); // 10:00 in Ho Chi Minh City, a Tuesday

function card(id: string, over: Partial<StampCardDefinition> = {}): CompiledStampCard {
  const def: StampCardDefinition = { name: id, stamps: 10, qualifying: 'line.category == "coffee"', per: "unit", limits: [], expiry: { kind: "never" }, reward: { kind: "points", points: 100 }, ...over };
  let condition = null;
  if (def.qualifying !== null) {
    const c = compileCondition(def.qualifying);
    if (!c.ok) throw new Error(c.error.message);
    condition = c.value;
  }
  return { id, def, condition };
}

const line = (sku: string, quantity: number, unitPrice: number, category: string): CelLine => ({ sku, name: sku, category, quantity, unitPrice, net: quantity * unitPrice, weight: 0 });
const LATTE = (q: number) => line("LATTE", q, 45_000, "coffee");
const CAKE = (q: number) => line("CAKE", q, 30_000, "cakes");

function input(lines: CelLine[], at = AT): CelInput {
  return {
    event: { id: "evt", type: "order.completed", name: "", occurredAt: at, data: {} },
    order: { ...EMPTY_ORDER, id: "o1", lines, total: lines.reduce((n, l) => n + l.net, 0) },
    customer: { id: "cus_1", email: "", phone: "", name: "", birthday: "", status: "active", tier: "", tags: [], attributes: {}, metrics: { lifetimeOrders: 0, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0 } },
    now: at,
    timeZone: TZ,
  };
}

describe("stampsFor: how many stamps qualifying quantities give", () => {
  it.each<[string, Parameters<typeof stampsFor>, number]>([
    ["per unit: every unit", ["unit", [2, 3], null], 5],
    ["per line: every line", ["line", [2, 3], null], 2],
    ["per order: one", ["order", [2, 3], null], 1],
    ["per order, nothing qualifying: none", ["order", [], null], 0],
    ["lines with nothing left count for nothing", ["line", [0, 3], null], 1],
    ["maxPerOrder caps", ["unit", [12], 4], 4],
  ])("%s", (_, args, expected) => {
    expect(stampsFor(...args)).toBe(expected);
  });
});

describe("qualifyingLines: the card's condition judged on each line", () => {
  it.each<[string, CompiledStampCard, CelLine[], { lines: number[]; stamps: number }]>([
    ["coffee units", card("c"), [LATTE(2), CAKE(1), line("ESP", 1, 30_000, "coffee")], { lines: [0, 2], stamps: 3 }],
    ["no coffee: nothing", card("c"), [CAKE(4)], { lines: [], stamps: 0 }],
    ["by sku and price", card("c", { qualifying: 'line.sku == "LATTE" && line.unitPrice >= 40000' }), [LATTE(1), line("LATTE", 1, 20_000, "coffee")], { lines: [0], stamps: 1 }],
    ["a line-level quantity condition", card("c", { qualifying: "line.quantity >= 2", per: "line" }), [LATTE(2), CAKE(1)], { lines: [0], stamps: 1 }],
    ["reading the order too", card("c", { qualifying: 'line.category == "coffee" && order.total >= 100000' }), [LATTE(2)], { lines: [], stamps: 0 }],
    ["no condition: every line, per order", card("c", { qualifying: null, per: "order" }), [LATTE(2), CAKE(1)], { lines: [0, 1], stamps: 1 }],
    ["maxPerOrder", card("c", { maxPerOrder: 2 }), [LATTE(5)], { lines: [0], stamps: 2 }],
  ])("%s", (_, c, lines, expected) => {
    expect(qualifyingLines(c, input(lines))).toMatchObject({ ...expected, error: null });
  });

  it("a line the condition fails on does not qualify, and the error is reported", () => {
    const c = card("c", { qualifying: "line.unitPrice / (line.quantity - 2) > 0" });
    const q = qualifyingLines(c, input([LATTE(2), LATTE(3)]));
    expect(q.lines).toEqual([1]);
    expect(q.error).toMatch(/division|zero/i);
  });

  it("`line` outside a stamp card reads as an empty line", () => {
    const c = compileCondition('line.sku == "" && line.quantity == 0');
    expect(c.ok).toBe(true);
  });
});

describe("completeCards: completions and carry-over", () => {
  it.each<[string, { balance: number; added: number; size: number; maxCompletions?: number }, { completions: number; balance: number }]>([
    ["9 stamps from 0: not yet", { balance: 0, added: 9, size: 10 }, { completions: 0, balance: 9 }],
    ["the 10th stamp completes the card, which restarts at 0", { balance: 9, added: 1, size: 10 }, { completions: 1, balance: 0 }],
    ["12 from 0: one card and 2 carried", { balance: 0, added: 12, size: 10 }, { completions: 1, balance: 2 }],
    ["25 from 7: three cards and 2 carried", { balance: 7, added: 25, size: 10 }, { completions: 3, balance: 2 }],
    ["a card that shrank: 8 held, N now 5", { balance: 8, added: 1, size: 5 }, { completions: 1, balance: 4 }],
    ["the reward out of stock: the card stays full", { balance: 9, added: 3, size: 10, maxCompletions: 0 }, { completions: 0, balance: 12 }],
    ["one reward left for two cards", { balance: 9, added: 11, size: 10, maxCompletions: 1 }, { completions: 1, balance: 10 }],
  ])("%s", (_, x, expected) => {
    expect(completeCards(x)).toEqual(expected);
  });
});

describe("limits", () => {
  const limited = card("lim", { limits: [{ per: "day", maxStamps: 3 }, { per: "month", maxStamps: 5 }] });

  it("cut what is over the tightest limit and count what is given", () => {
    const counters = new CounterBook();
    const give = (wanted: number, at = AT) => limitStamps(limited, { customerId: "cus_1", wanted, at, timeZone: TZ, counters });
    expect(give(2)).toEqual({ stamps: 2, limitedBy: null });
    expect(give(2)).toEqual({ stamps: 1, limitedBy: "3 stamps per day: 2 already given" });
    expect(give(1).stamps).toBe(0);
    // The next local day starts afresh, until the month's 5 are used.
    const tomorrow = new Date("2026-03-10T17:00:00Z"); // 00:00 on the 11th in Ho Chi Minh City
    expect(give(3, tomorrow)).toEqual({ stamps: 2, limitedBy: "5 stamps per month: 3 already given" });
    expect(counters.get(counterKey("lim", "cus_1", "day:2026-03-10")).points).toBe(3);
    expect(counters.get(counterKey("lim", "cus_1", "month:2026-03")).points).toBe(5);
  });

  it("are per customer", () => {
    const counters = new CounterBook();
    expect(limitStamps(limited, { customerId: "a", wanted: 3, at: AT, timeZone: TZ, counters }).stamps).toBe(3);
    expect(limitStamps(limited, { customerId: "b", wanted: 3, at: AT, timeZone: TZ, counters }).stamps).toBe(3);
  });
});

describe("planOrderStamps: several cards at once", () => {
  const coffee = card("coffee");
  const cakes = card("cakes", { stamps: 6, qualifying: 'line.category == "cakes"', per: "line" });
  const visits = card("visits", { stamps: 5, qualifying: null, per: "order" });
  const balances: Record<string, number> = { coffee: 9, cakes: 5, visits: 0 };

  it("each card counts its own lines and completes on its own balance", () => {
    const r = planOrderStamps({ cards: [coffee, cakes, visits], input: input([LATTE(3), CAKE(1)]), customerId: "cus_1", timeZone: TZ, counters: new CounterBook(), balance: (id) => balances[id] ?? 0 });
    expect(r.failures).toEqual([]);
    expect(r.outcomes).toEqual([
      { cardId: "coffee", wanted: 3, added: 3, limitedBy: null, lines: [0], balanceBefore: 9, completions: 1, balanceAfter: 2 },
      { cardId: "cakes", wanted: 1, added: 1, limitedBy: null, lines: [1], balanceBefore: 5, completions: 1, balanceAfter: 0 },
      { cardId: "visits", wanted: 1, added: 1, limitedBy: null, lines: [0, 1], balanceBefore: 0, completions: 0, balanceAfter: 1 },
    ]);
  });

  it("leaves out cards the order gives nothing on", () => {
    const r = planOrderStamps({ cards: [coffee, cakes], input: input([CAKE(2)]), customerId: "cus_1", timeZone: TZ, counters: new CounterBook(), balance: () => 0 });
    expect(r.outcomes.map((o) => o.cardId)).toEqual(["cakes"]);
  });

  it("a staff confirmation is capped by maxPerOrder and the limits like an order", () => {
    const c = card("staff", { maxPerOrder: 2, limits: [{ per: "day", maxStamps: 3 }] });
    const counters = new CounterBook();
    const give = (wanted: number) => giveStamps(c, { customerId: "cus_1", wanted, at: AT, timeZone: TZ, counters, balance: () => 0 });
    expect(give(5)).toMatchObject({ wanted: 2, added: 2, limitedBy: null });
    expect(give(5)).toMatchObject({ wanted: 2, added: 1, limitedBy: "3 stamps per day: 2 already given" });
  });
});

describe("stampsToTakeBack: a refund", () => {
  const base = { per: "unit" as const, maxPerOrder: null, given: 3, refundedInFull: false, onCard: 3 };
  it.each<[string, Parameters<typeof stampsToTakeBack>[0], number]>([
    ["one of three coffees refunded: one stamp", { ...base, lines: [{ quantity: 3, refundedQuantity: 1 }] }, 1],
    ["all three by lines: all three", { ...base, lines: [{ quantity: 3, refundedQuantity: 3 }] }, 3],
    ["refunded in full (by amount or the rest): all", { ...base, lines: [{ quantity: 3, refundedQuantity: 0 }], refundedInFull: true }, 3],
    ["a partial refund by amount names no line: none", { ...base, lines: [{ quantity: 3, refundedQuantity: 0 }] }, 0],
    ["stamps used by a completed card stay used: only what is on the card", { ...base, given: 12, lines: [{ quantity: 12, refundedQuantity: 12 }], onCard: 2 }, 2],
    ["the unrefunded lines still justify what is on the card", { ...base, given: 12, lines: [{ quantity: 12, refundedQuantity: 6 }], onCard: 2 }, 0],
    ["per line: a line counts until its last unit goes", { ...base, per: "line", given: 2, onCard: 2, lines: [{ quantity: 2, refundedQuantity: 1 }, { quantity: 1, refundedQuantity: 1 }] }, 1],
    ["per order: the stamp goes with the last qualifying unit", { ...base, per: "order", given: 1, onCard: 1, lines: [{ quantity: 2, refundedQuantity: 2 }] }, 1],
    ["maxPerOrder: 5 coffees gave 2; refunding 2 of them keeps 2", { ...base, maxPerOrder: 2, given: 2, onCard: 2, lines: [{ quantity: 5, refundedQuantity: 2 }] }, 0],
    ["a limit gave less than the lines would: never keeps more than given", { ...base, given: 1, onCard: 1, lines: [{ quantity: 3, refundedQuantity: 2 }] }, 0],
  ])("%s", (_, x, expected) => {
    expect(stampsToTakeBack(x)).toBe(expected);
  });
});
