import { celVariables, runCondition, type CelInput } from "../rules/cel.ts";
import { counterKey, type CounterBook } from "../rules/evaluate.ts";
import { periodKey } from "../rules/periods.ts";
import type { CompiledStampCard, StampCardDefinition, StampPer } from "./types.ts";

/**
 * The arithmetic of stamp cards, as pure functions: which lines of an order qualify, how many stamps
 * that makes, what the limits leave of it, and how many cards a balance completes. The server applies
 * the result to the ledger (a credit of the stamps, then a debit of N stamps per completed card).
 */

/** Stamps for these qualifying quantities (one entry per qualifying line) under `per`, capped by `maxPerOrder`. */
export function stampsFor(per: StampPer, quantities: readonly number[], maxPerOrder: number | null | undefined): number {
  let n = 0;
  for (const q of quantities) if (q > 0) n += per === "unit" ? q : 1;
  if (per === "order") n = Math.min(n, 1);
  return maxPerOrder ? Math.min(n, maxPerOrder) : n;
}

export interface QualifyingLines {
  /** Indexes (in `order.lines`) of the lines that qualify. */
  lines: number[];
  /** Stamps those lines give before limits. */
  stamps: number;
  /** The first run-time error of the condition (a line it failed on does not qualify). */
  error: string | null;
}

/**
 * The lines of the order in `input` that qualify for the card, each judged with `line` set to it, and
 * the stamps they give before limits. A line with quantity 0 never qualifies.
 *
 * @example
 * // qualifying "line.category == 'coffee'", per "unit": 2 lattes and a cake
 * qualifyingLines(card, input) // { lines: [0], stamps: 2, error: null }
 */
export function qualifyingLines(card: CompiledStampCard, input: CelInput): QualifyingLines {
  const lines: number[] = [];
  let error: string | null = null;
  input.order.lines.forEach((line, i) => {
    if (line.quantity <= 0) return;
    if (card.condition) {
      const withLine: CelInput = { ...input, line };
      const outcome = runCondition(card.condition, withLine, celVariables(withLine));
      if ("error" in outcome) {
        error ??= outcome.error;
        return;
      }
      if (!outcome.matched) return;
    }
    lines.push(i);
  });
  return { lines, stamps: stampsFor(card.def.per, lines.map((i) => input.order.lines[i]!.quantity), card.def.maxPerOrder), error };
}

/** The limit counter keys of a card for a customer at `at` (known before anything is decided, so they can be read first). */
export function stampCounterKeys(card: { id: string; def: StampCardDefinition }, customerId: string, at: Date, timeZone: string): string[] {
  return card.def.limits.map((l) => counterKey(card.id, customerId, periodKey(l.per, at, timeZone)));
}

/**
 * What the card's limits leave of `wanted` stamps for the customer at `at`, and the counters updated
 * with what is given (the counters' `points` count stamps). `limitedBy` says which limit cut it.
 */
export function limitStamps(card: { id: string; def: StampCardDefinition }, x: { customerId: string; wanted: number; at: Date; timeZone: string; counters: CounterBook }): { stamps: number; limitedBy: string | null } {
  let stamps = x.wanted;
  let limitedBy: string | null = null;
  const keys = stampCounterKeys(card, x.customerId, x.at, x.timeZone);
  card.def.limits.forEach((l, i) => {
    const used = x.counters.get(keys[i]!).points;
    const left = Math.max(0, l.maxStamps - used);
    if (stamps > left) {
      stamps = left;
      limitedBy = `${l.maxStamps} stamps per ${l.per}: ${used} already given`;
    }
  });
  if (stamps > 0) for (const k of new Set(keys)) x.counters.add(k, stamps);
  return { stamps, limitedBy };
}

/**
 * Completes cards: `balance` stamps on the card (never negative) plus `added` fill
 * floor((balance + added) / size) cards, at most `maxCompletions` (the reward may be out of stock: the
 * card then stays full until it can be given). What is left carries over to the next card.
 * Stamps are conserved: added = completions × size + (after − balance).
 *
 * @example completeCards({ balance: 0, added: 12, size: 10 }) // { completions: 1, balance: 2 }
 */
export function completeCards(x: { balance: number; added: number; size: number; maxCompletions?: number | undefined }): { completions: number; balance: number } {
  const total = Math.max(0, x.balance) + x.added;
  const completions = Math.min(Math.floor(total / x.size), x.maxCompletions ?? Number.POSITIVE_INFINITY);
  return { completions, balance: total - completions * x.size };
}

/** One card's outcome of an order or a confirmation. */
export interface StampOutcome {
  cardId: string;
  /** Stamps the order or confirmation would give before limits. */
  wanted: number;
  /** Stamps given. */
  added: number;
  limitedBy: string | null;
  /** Qualifying line indexes (orders only). */
  lines: number[];
  balanceBefore: number;
  completions: number;
  balanceAfter: number;
}

/**
 * Every card at once for one order: each card counts its qualifying lines, its limits cut what they
 * must, and each card completes on its own balance. Cards that give nothing are left out.
 * `balance(cardId)` is the customer's stamps on the card before the order (after expiry);
 * `maxCompletions(cardId)` how many rewards can be given now.
 */
export function planOrderStamps(x: {
  cards: readonly CompiledStampCard[];
  input: CelInput;
  customerId: string;
  timeZone: string;
  counters: CounterBook;
  balance: (cardId: string) => number;
  maxCompletions?: ((cardId: string) => number) | undefined;
}): { outcomes: StampOutcome[]; failures: { cardId: string; error: string }[] } {
  const outcomes: StampOutcome[] = [];
  const failures: { cardId: string; error: string }[] = [];
  for (const card of x.cards) {
    const q = qualifyingLines(card, x.input);
    if (q.error) failures.push({ cardId: card.id, error: q.error });
    if (q.stamps <= 0) continue;
    outcomes.push(giveStamps(card, { ...x, wanted: q.stamps, lines: q.lines, at: x.input.event.occurredAt }));
  }
  return { outcomes, failures };
}

/**
 * `wanted` stamps on one card (a staff confirmation, or an order's qualifying lines): capped by
 * maxPerOrder and the limits, then completing cards on the balance.
 */
export function giveStamps(
  card: CompiledStampCard,
  x: { customerId: string; wanted: number; lines?: number[]; at: Date; timeZone: string; counters: CounterBook; balance: (cardId: string) => number; maxCompletions?: ((cardId: string) => number) | undefined },
): StampOutcome {
  const wanted = card.def.maxPerOrder ? Math.min(x.wanted, card.def.maxPerOrder) : x.wanted;
  const limited = limitStamps(card, { customerId: x.customerId, wanted, at: x.at, timeZone: x.timeZone, counters: x.counters });
  const before = Math.max(0, x.balance(card.id));
  const done = completeCards({ balance: before, added: limited.stamps, size: card.def.stamps, maxCompletions: x.maxCompletions?.(card.id) });
  return { cardId: card.id, wanted, added: limited.stamps, limitedBy: limited.limitedBy, lines: x.lines ?? [], balanceBefore: before, completions: done.completions, balanceAfter: done.balance };
}

/**
 * What an order's stamps on a card become after a refund: the order keeps at most what its
 * unrefunded qualifying lines would give (under the `per` and `maxPerOrder` it was given with, and
 * never more than it was given), and nothing once it is refunded in full. Of the stamps still on
 * the card from the order (`onCard`: what is left of the order's own stamp lot), the rest is taken
 * back; stamps already used to complete a card stay used, and its reward stays given.
 *
 * A refund by amount that leaves part of the order unrefunded names no line, so it takes no stamps.
 *
 * @example
 * // 3 coffees gave 3 stamps, all still on the card; one coffee is refunded
 * stampsToTakeBack({ per: "unit", maxPerOrder: null, given: 3, lines: [{ quantity: 3, refundedQuantity: 1 }], refundedInFull: false, onCard: 3 }) // 1
 */
export function stampsToTakeBack(x: {
  per: StampPer;
  maxPerOrder: number | null | undefined;
  given: number;
  /** The order's qualifying lines, with what has been refunded of each so far (this refund included). */
  lines: readonly { quantity: number; refundedQuantity: number }[];
  refundedInFull: boolean;
  onCard: number;
}): number {
  const kept = x.refundedInFull ? 0 : Math.min(x.given, stampsFor(x.per, x.lines.map((l) => l.quantity - l.refundedQuantity), x.maxPerOrder));
  return Math.max(0, x.onCard - kept);
}
