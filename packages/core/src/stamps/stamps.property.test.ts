import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileCondition, EMPTY_ORDER, type CelInput, type CelLine } from "../rules/cel.ts";
import { CounterBook } from "../rules/evaluate.ts";
import { completeCards, planOrderStamps, stampsToTakeBack } from "./plan.ts";
import { STAMP_PER, type CompiledStampCard, type StampPer } from "./types.ts";

/**
 * Stamp arithmetic against plain references: stamps are conserved through completions (what is added
 * is either on the card or in a completed card), a run of orders completes exactly floor(total / N)
 * cards, limits are never exceeded, and refunds never take more than is on the card.
 */

const TZ = "UTC";
const CATEGORIES = ["coffee", "tea", "cake"] as const;

describe("completeCards conserves stamps", () => {
  it("added = completions × N + (after − before), and the card never holds N or more after", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1000 }), fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 40 }), (size, adds) => {
        let balance = 0;
        let completions = 0;
        for (const added of adds) {
          const r = completeCards({ balance, added, size });
          expect(added).toBe(r.completions * size + (r.balance - balance));
          expect(r.balance).toBeGreaterThanOrEqual(0);
          expect(r.balance).toBeLessThan(size);
          completions += r.completions;
          balance = r.balance;
        }
        const total = adds.reduce((a, b) => a + b, 0);
        expect(completions).toBe(Math.floor(total / size));
        expect(balance).toBe(total % size);
      }),
    );
  });

  it("with rewards running out, completions never exceed what can be given and stamps are still conserved", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 3 })), { maxLength: 30 }), (size, steps) => {
        let balance = 0;
        for (const [added, max] of steps) {
          const r = completeCards({ balance, added, size, maxCompletions: max });
          expect(r.completions).toBeLessThanOrEqual(max);
          expect(added).toBe(r.completions * size + (r.balance - balance));
          // Held back only for want of a reward: with enough rewards, nothing would be left at N or more.
          if (r.completions < max) expect(r.balance).toBeLessThan(size);
          balance = r.balance;
        }
      }),
    );
  });
});

interface CardSpec {
  size: number;
  category: (typeof CATEGORIES)[number] | null;
  per: StampPer;
  maxPerOrder: number | null;
  dayLimit: number | null;
}

const cardSpec = fc.record({
  size: fc.integer({ min: 2, max: 12 }),
  category: fc.option(fc.constantFrom(...CATEGORIES), { nil: null }),
  per: fc.constantFrom(...STAMP_PER),
  maxPerOrder: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
  dayLimit: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
});
const order = fc.record({
  day: fc.integer({ min: 0, max: 3 }),
  lines: fc.array(fc.record({ category: fc.constantFrom(...CATEGORIES), quantity: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 4 }),
});

function compile(specs: CardSpec[]): CompiledStampCard[] {
  return specs.map((s, i) => {
    const qualifying = s.category ? `line.category == "${s.category}"` : null;
    const c = qualifying ? compileCondition(qualifying) : null;
    if (c && !c.ok) throw new Error(c.error.message);
    return {
      id: `card${i}`,
      def: { name: `card ${i}`, stamps: s.size, qualifying, per: s.per, maxPerOrder: s.maxPerOrder, limits: s.dayLimit ? [{ per: "day", maxStamps: s.dayLimit }] : [], expiry: { kind: "never" }, reward: { kind: "points", points: 1 } },
      condition: c ? c.value : null,
    };
  });
}

/** The reference: stamps an order's lines give a card before limits, counted without CEL. */
function reference(s: CardSpec, lines: { category: string; quantity: number }[]): number {
  const q = lines.filter((l) => (s.category === null || l.category === s.category) && l.quantity > 0);
  const n = s.per === "unit" ? q.reduce((a, l) => a + l.quantity, 0) : s.per === "line" ? q.length : Math.min(1, q.length);
  return s.maxPerOrder === null ? n : Math.min(n, s.maxPerOrder);
}

describe("planOrderStamps over a run of orders", () => {
  it("matches the reference, keeps every card's limit per day, and conserves stamps card by card", () => {
    fc.assert(
      fc.property(fc.array(cardSpec, { minLength: 1, maxLength: 3 }), fc.array(order, { maxLength: 25 }), (specs, orders) => {
        const cards = compile(specs);
        const counters = new CounterBook();
        const balance = new Map<string, number>();
        const completions = new Map<string, number>();
        const addedTotal = new Map<string, number>();
        const perDay = new Map<string, number>();
        for (const o of orders.sort((a, b) => a.day - b.day)) {
          const at = new Date(Date.UTC(2026, 2, 10 + o.day, 12));
          const lines: CelLine[] = o.lines.map((l, i) => ({ sku: `S${i}`, name: "", category: l.category, quantity: l.quantity, unitPrice: 100, net: 100 * l.quantity, weight: 0 }));
          const input: CelInput = { event: { id: "e", type: "order.completed", name: "", occurredAt: at, data: {} }, order: { ...EMPTY_ORDER, lines }, customer: undefined as never, now: at, timeZone: TZ };
          const r = planOrderStamps({ cards, input, customerId: "c", timeZone: TZ, counters, balance: (id) => balance.get(id) ?? 0 });
          expect(r.failures).toEqual([]);
          specs.forEach((s, i) => {
            const id = `card${i}`;
            const out = r.outcomes.find((x) => x.cardId === id);
            const want = reference(s, o.lines);
            if (want === 0) return expect(out).toBeUndefined();
            expect(out!.wanted).toBe(want);
            const dayKey = `${id}|${o.day}`;
            const usedToday = perDay.get(dayKey) ?? 0;
            expect(out!.added).toBe(s.dayLimit === null ? want : Math.min(want, s.dayLimit - usedToday));
            perDay.set(dayKey, usedToday + out!.added);
            expect(out!.added).toBe(out!.completions * s.size + (out!.balanceAfter - out!.balanceBefore));
            balance.set(id, out!.balanceAfter);
            completions.set(id, (completions.get(id) ?? 0) + out!.completions);
            addedTotal.set(id, (addedTotal.get(id) ?? 0) + out!.added);
          });
        }
        specs.forEach((s, i) => {
          const id = `card${i}`;
          const total = addedTotal.get(id) ?? 0;
          expect(completions.get(id) ?? 0).toBe(Math.floor(total / s.size));
          expect(balance.get(id) ?? 0).toBe(total % s.size);
          for (const [k, n] of perDay) if (k.startsWith(`${id}|`) && s.dayLimit !== null) expect(n).toBeLessThanOrEqual(s.dayLimit);
        });
      }),
    );
  });
});

describe("stampsToTakeBack", () => {
  it("never takes more than is on the card, takes it all once everything is refunded, and takes more as more is refunded", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STAMP_PER),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 6 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        (per, maxPerOrder, raw, onCardSeed) => {
          const lines = raw.map(([quantity, r]) => ({ quantity, refundedQuantity: Math.min(r, quantity) }));
          const given = Math.max(1, lines.reduce((n, l) => n + l.quantity, 0));
          const onCard = onCardSeed % (given + 1);
          const take = stampsToTakeBack({ per, maxPerOrder, given, lines, refundedInFull: false, onCard });
          expect(take).toBeGreaterThanOrEqual(0);
          expect(take).toBeLessThanOrEqual(onCard);
          expect(stampsToTakeBack({ per, maxPerOrder, given, lines, refundedInFull: true, onCard })).toBe(onCard);
          const allBack = lines.map((l) => ({ ...l, refundedQuantity: l.quantity }));
          expect(stampsToTakeBack({ per, maxPerOrder, given, lines: allBack, refundedInFull: false, onCard })).toBe(onCard);
          const more = lines.map((l) => ({ ...l, refundedQuantity: Math.min(l.quantity, l.refundedQuantity + 1) }));
          expect(stampsToTakeBack({ per, maxPerOrder, given, lines: more, refundedInFull: false, onCard })).toBeGreaterThanOrEqual(take);
        },
      ),
    );
  });
});
