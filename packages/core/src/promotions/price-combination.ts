import type { CelOrder } from "../rules/cel.ts";
import { allocate } from "../money/allocate.ts";
import { applyRate } from "../money/rate.ts";
import { applyEffect, bps, currentRate, isLineEffect, type EffectOutcome } from "./apply-effects.ts";
import { CartLines, WorkingCart } from "./working-cart.ts";
import type { CartInput } from "./types.ts";
import type { AppliedCampaign, CartEvaluation, CartEvaluationInput, CompiledCampaign } from "./evaluate-cart.ts";
import { allGifts, appliedCampaign, BLOCKED_POINTS, earnsPoints, effectsOf, GUEST_POINTS, NOTHING_TO_MULTIPLY } from "./applied-campaign.ts";

/**
 * Pricing one combination of campaigns (evaluate-cart.ts chooses among combinations): apply the
 * effects to a fresh working cart, trim with the margin guard, drop what would overrun a budget, and
 * say what each campaign gave.
 */

/** Lower priority first; ties by id, so the order never depends on how campaigns were listed. */
export const byPriority = (a: CompiledCampaign, b: CompiledCampaign) => a.def.priority - b.def.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The cart as conditions see it: before any discount. */
export function cartOrder(cart: CartInput, net?: readonly number[], discount = 0, shippingDiscount = 0): CelOrder {
  let subtotal = 0;
  let weight = 0;
  let items = 0;
  const lines = cart.lines.map((l, i) => {
    const gross = l.quantity * l.unitPrice;
    subtotal += gross;
    weight += (l.weight ?? 0) * l.quantity;
    items += l.quantity;
    return { sku: l.sku, name: l.name ?? "", category: l.category ?? "", quantity: l.quantity, unitPrice: l.unitPrice, net: net ? net[i]! : gross, weight: (l.weight ?? 0) * l.quantity };
  });
  const shipping = cart.shipping ?? 0;
  const total = subtotal - discount + shipping - shippingDiscount;
  return { id: "", currency: cart.currency, subtotal, discount: discount + shippingDiscount, shipping, tax: 0, total, earningBase: subtotal - discount, weight, itemCount: items, channel: cart.channel ?? "", store: cart.store ?? "", lines };
}

/** A campaign in the running for a cart, with the code that reached it (null: automatic). */
export interface Candidate {
  campaign: CompiledCampaign;
  code: string | null;
}

export const label = (c: Candidate) => `${c.campaign.def.name} (${c.campaign.id}${c.code ? `, code ${c.code}` : ""})`;

/** What every combination of one cart shares: the input, the cart before discounts, its lines. */
export interface CartContext {
  input: CartEvaluationInput;
  before: CelOrder;
  lines: CartLines;
}

export function cartContext(input: CartEvaluationInput, before: CelOrder): CartContext {
  const floor = input.guard?.lineFloorPercent;
  return { input, before, lines: new CartLines(input.cart, floor ? bps(floor) : 0) };
}

/** A combination of campaigns applied to the cart. */
export interface Priced {
  discount: number;
  shippingDiscount: number;
  /** What the order would earn with this combination, computed on first use. */
  points: () => number;
  applied: AppliedCampaign[];
  /** Why a campaign of the combination gave nothing; null when it gave something (or is not in it). */
  whyEmpty: (campaignId: string) => string | null;
  /** Campaigns dropped because they would overrun their money budget. */
  overBudget: ReadonlySet<string>;
  result: () => CartEvaluation;
  trace: string[];
}

/** A priced combination and which member each applied campaign is (by its slot in the members). */
interface PricedOnce extends Priced {
  appliedSlots: number[];
}

export function better(a: Priced, b: Priced): boolean {
  const va = a.discount + a.shippingDiscount;
  const vb = b.discount + b.shippingDiscount;
  if (va !== vb) return va > vb;
  const pa = a.points();
  const pb = b.points();
  if (pa !== pb) return pa > pb;
  // A gift or a follow-up code is worth something too: applying nothing ("" sorts first) never wins.
  if ((a.applied.length === 0) !== (b.applied.length === 0)) return b.applied.length === 0;
  const ka = a.applied.map((x) => x.campaignId).join(",");
  const kb = b.applied.map((x) => x.campaignId).join(",");
  return ka < kb;
}

/**
 * At most what a combination could take off (merchandise and shipping), without pricing it: each
 * effect at its most on the whole cart or on every line it reaches, capped by the cart and the
 * margin guard. An option whose bound is below what another already gives cannot win, so it need not
 * be priced (an exclusive campaign beside a big stack, usually). Never less than the priced value:
 * pricing only lowers these amounts (rates on what is left, floors, the guard, budgets).
 */
export function mostOff(option: readonly Candidate[], ctx: CartContext): number {
  const { before, lines } = ctx;
  let merchandise = 0;
  let shipping = 0;
  for (const c of option) {
    for (const e of c.campaign.def.effects) {
      switch (e.kind) {
        case "order_percent":
          merchandise += upTo(applyRate(before.subtotal, bps(e.percent), 10_000, "floor"), e.max);
          break;
        case "progressive_percent":
        case "spend_ladder":
          merchandise += upTo(applyRate(before.subtotal, currentRate(e), 10_000, "floor"), e.max);
          break;
        case "order_fixed":
          merchandise += e.amount;
          break;
        case "lines_percent":
          merchandise += applyRate(lines.grossOf(e.filter), bps(e.percent), 10_000, "floor");
          break;
        case "lines_fixed":
          merchandise += lines.grossOf(e.filter);
          break;
        case "bundle":
          for (const item of e.items) merchandise += lines.grossOf(item.filter);
          break;
        case "buy_x_get_y":
          merchandise += applyRate(lines.grossOf(e.get.filter), bps(e.percent), 10_000, "floor");
          break;
        case "free_shipping":
          shipping += e.max ?? before.shipping;
          break;
        default:
          break; // gifts, points and codes take no money off
      }
    }
  }
  let room = before.subtotal;
  for (const f of lines.floor) room -= f;
  const guard = ctx.input.guard?.maxDiscountPercent;
  if (guard !== undefined && guard !== null) room = Math.min(room, applyRate(before.subtotal, bps(guard), 10_000, "floor"));
  return Math.min(merchandise, room) + Math.min(shipping, before.shipping);
}

const upTo = (amount: number, max: number | undefined) => (max !== undefined ? Math.min(amount, max) : amount);

const hasBudget = (c: Candidate) => c.campaign.def.limits.budget !== undefined;

/**
 * Prices a combination, given in priority order (`byPriority`). A campaign that would overrun its
 * money budget is dropped and the rest priced again without it (a budget is never overrun, and the
 * others do not pay for its absence).
 */
export function price(option: readonly Candidate[], ctx: CartContext): Priced {
  // Without a budget among the members nothing can be dropped: one pricing decides.
  if (!option.some(hasBudget)) return priceOnce(option, ctx);
  const input = ctx.input;
  const dropped = new Map<string, string>();
  let members = option;
  for (;;) {
    const p = priceOnce(members, ctx);
    // A points budget must see the multiplier's extra, which needs the earning rules.
    if (members.some((m) => m.campaign.def.limits.budget?.points !== undefined)) p.points();
    let why: string | null = null;
    const over = p.applied.find((a, j) => {
      const budget = members[p.appliedSlots[j]!]!.campaign.def.limits.budget;
      const u = input.usage.get(a.campaignId);
      const moneyLeft = budget?.money !== undefined ? budget.money - (u?.budgetMoneyUsed ?? 0) : Infinity;
      const pointsLeft = budget?.points !== undefined ? budget.points - (u?.budgetPointsUsed ?? 0) : Infinity;
      if (a.discount + a.shippingDiscount > moneyLeft) why = `its money budget has ${moneyLeft} left, less than the ${a.discount + a.shippingDiscount} it would give`;
      else if (a.bonusPoints > pointsLeft) why = `its points budget has ${pointsLeft} left, less than the ${a.bonusPoints} it would give`;
      return why !== null;
    });
    if (!over) {
      if (dropped.size > 0) p.overBudget = new Set(dropped.keys());
      if (input.trace) p.trace.push(...dropped.values());
      return p;
    }
    dropped.set(over.campaignId, `${over.name} (${over.campaignId}): not applied, ${why}`);
    members = members.filter((m) => m.campaign.id !== over.campaignId);
  }
}

/**
 * Applies every member's effects to a fresh working cart: line and unit effects first, in priority
 * order, then order effects on what is left. Returns each member's outcomes (by slot).
 */
function applyAll(sorted: readonly Candidate[], w: WorkingCart): EffectOutcome[][] {
  const outcomes = new Array<EffectOutcome[]>(sorted.length);
  // How many of each slot's outcomes the first pass wrote; -1: the slot has no order effect.
  const orderFrom = new Array<number>(sorted.length);
  // Each slot's list at its exact size (a campaign has one or two effects): an empty list grown by
  // push reserves 16 places, and a cart prices every campaign of every combination.
  for (let s = 0; s < sorted.length; s++) {
    const effects = sorted[s]!.campaign.def.effects;
    const out = new Array<EffectOutcome>(effects.length);
    let k = 0;
    for (const e of effects) if (isLineEffect(e)) out[k++] = applyEffect(w, e, s);
    outcomes[s] = out;
    orderFrom[s] = k < effects.length ? k : -1;
  }
  for (let s = 0; s < sorted.length; s++) {
    let k = orderFrom[s]!;
    if (k < 0) continue;
    const out = outcomes[s]!;
    for (const e of sorted[s]!.campaign.def.effects) if (!isLineEffect(e)) out[k++] = applyEffect(w, e, s);
  }
  return outcomes;
}

/**
 * The margin guard: the whole discount at most maxDiscountPercent of the subtotal; the campaigns
 * applied last give back first. Returns the slots the guard took everything from (their codes must
 * say so, not "nothing to apply to").
 */
function trimToGuard(w: WorkingCart, slots: number, ctx: CartContext, trace: string[]): boolean[] | null {
  const guard = ctx.input.guard;
  if (guard?.maxDiscountPercent === undefined || guard.maxDiscountPercent === null) return null;
  const subtotal = ctx.before.subtotal;
  const cap = applyRate(subtotal, bps(guard.maxDiscountPercent), 10_000, "floor");
  let over = subtotal - w.merchandiseNet() - cap;
  if (over <= 0) return null;
  if (ctx.input.trace) trace.push(`margin guard: the discount is capped at ${guard.maxDiscountPercent}% of ${subtotal} = ${cap}; ${over} given back`);
  const trimmedAway = new Array<boolean>(slots).fill(false);
  for (let s = slots - 1; s >= 0 && over > 0; s--) {
    const per = w.perLine(s);
    let had = 0;
    for (const p of per) had += p;
    const back = Math.min(had, over);
    if (back === 0) continue;
    // Giving back everything returns each line's part as it is (what allocate would give too).
    const parts = back === had ? per : allocate(back, per);
    for (let i = 0; i < parts.length; i++) w.giveBack(i, parts[i]!, s);
    if (back === had) trimmedAway[s] = true;
    over -= back;
  }
  return trimmedAway;
}

/** Applies a combination (in priority order) to a fresh copy of the cart and prices the result. */
function priceOnce(sorted: readonly Candidate[], ctx: CartContext): PricedOnce {
  return new PricedCombination(sorted, ctx);
}

const NOTHING_OVER_BUDGET: ReadonlySet<string> = new Set();
/** The trace of a combination priced without one (frozen: writing to it would be a bug). */
const NO_TRACE: string[] = Object.freeze([]) as unknown as string[];

/**
 * One combination, priced. A class rather than an object of closures: a cart prices many
 * combinations, and most are decided on money alone, so the points, the explanations and the full
 * result are computed only when asked for, without a closure allocated (and, under tsx, named) for
 * each.
 */
class PricedCombination implements PricedOnce {
  readonly discount: number;
  readonly shippingDiscount: number;
  readonly applied: AppliedCampaign[] = [];
  readonly appliedSlots: number[] = [];
  overBudget: ReadonlySet<string> = NOTHING_OVER_BUDGET;
  /** Written only when the input asks for a trace; otherwise the shared empty list. */
  readonly trace: string[];
  private readonly w: WorkingCart;
  private readonly outcomes: EffectOutcome[][];
  private readonly trimmedAway: boolean[] | null;
  /** Slots that gave nothing (null: none so far). */
  private emptySlots: number[] | null = null;
  private readonly bonus: number;
  /** The earning rules run only when the points are needed: a tie on money, a points budget, or the combination that wins. */
  private earned: { rules: number; extra: number; total: number } | null = null;

  constructor(
    private readonly sorted: readonly Candidate[],
    private readonly ctx: CartContext,
  ) {
    const { input, before } = ctx;
    this.trace = input.trace ? [] : NO_TRACE;
    const w = (this.w = new WorkingCart(ctx.lines, sorted.length));
    this.outcomes = applyAll(sorted, w);
    this.trimmedAway = trimToGuard(w, sorted.length, ctx, this.trace);
    const discount = (this.discount = before.subtotal - w.merchandiseNet());
    let bonus = 0;
    const member = earnsPoints(input.customer);
    for (let s = 0; s < sorted.length; s++) {
      const cand = sorted[s]!;
      const a = appliedCampaign(cand, this.outcomes[s]!, w.discountOf(s), before.subtotal - discount, member);
      if (!a) {
        (this.emptySlots ??= []).push(s);
        if (input.trace) this.trace.push(`${label(cand)}: gives nothing here (${this.emptyBecause(s)})`);
        continue;
      }
      bonus += a.bonusPoints;
      this.applied.push(a);
      this.appliedSlots.push(s);
      if (input.trace) this.trace.push(`${label(cand)}: ${notes(this.outcomes[s]!)}`);
    }
    this.bonus = bonus;
    let shippingDiscount = 0;
    for (const a of this.applied) shippingDiscount += a.shippingDiscount;
    this.shippingDiscount = shippingDiscount;
  }

  points(): number {
    if (this.earned) return this.earned.total;
    const input = this.ctx.input;
    const rules = input.earn ? input.earn(cartOrder(input.cart, this.w.net, this.discount, this.shippingDiscount)) : 0;
    // Multipliers add up (2 and 3 give 1 + 1 + 2 times); each campaign's extra is rounded down and
    // counted in its own bonusPoints, so a rollback takes back exactly what that campaign gave.
    let extra = 0;
    for (let j = this.applied.length - 1; j >= 0; j--) {
      const a = this.applied[j]!;
      if (a.multiplier === 1) continue;
      const e = Math.floor((rules * Math.round((a.multiplier - 1) * 100)) / 100);
      a.bonusPoints += e;
      extra += e;
      // A campaign that only multiplies gives nothing to an order that earns nothing: not applied, so
      // it is not recorded and spends none of its uses (a single-use double-points code stays unused).
      if (a.bonusPoints === 0 && a.discount === 0 && a.shippingDiscount === 0 && a.gifts.length === 0 && a.followUps.length === 0 && a.partnerCodes.length === 0) {
        this.applied.splice(j, 1);
        const s = this.appliedSlots.splice(j, 1)[0]!;
        (this.emptySlots ??= []).push(s);
        if (input.trace) this.trace.push(`${label(this.sorted[s]!)}: gives nothing here (${NOTHING_TO_MULTIPLY})`);
      }
    }
    this.earned = { rules, extra, total: rules + extra + this.bonus };
    return this.earned.total;
  }

  whyEmpty(campaignId: string): string | null {
    const empty = this.emptySlots;
    let s = -1;
    if (empty) for (let j = 0; j < empty.length && s < 0; j++) if (this.sorted[empty[j]!]!.campaign.id === campaignId) s = empty[j]!;
    return s < 0 ? null : this.emptyBecause(s);
  }

  /** Why the campaign in slot `s` gave nothing. */
  private emptyBecause(s: number): string {
    if (this.trimmedAway?.[s]) return `the program's margin guard (at most ${this.ctx.input.guard!.maxDiscountPercent}% off) left no room for it`;
    const customer = this.ctx.input.customer;
    if (!earnsPoints(customer) && this.outcomes[s]!.some((o) => o.bonusPoints > 0 || o.multiplier !== 0)) return customer.id === "" ? GUEST_POINTS : BLOCKED_POINTS;
    if (this.earned?.rules === 0 && this.outcomes[s]!.some((o) => o.multiplier !== 0)) return NOTHING_TO_MULTIPLY;
    return notes(this.outcomes[s]!);
  }

  /** Built only for the combination that wins. */
  result(): CartEvaluation {
    const { input, before } = this.ctx;
    const w = this.w;
    const total = this.points();
    const shipping = input.cart.shipping ?? 0;
    const adjustments = w.adjustments((slot, amount) => ({ campaignId: this.sorted[slot]!.campaign.id, amount }));
    this.appliedSlots.forEach((s, j) => (this.applied[j]!.effects = effectsOf(this.outcomes[s]!)));
    return {
      currency: input.cart.currency, subtotal: before.subtotal, discount: this.discount, shipping, shippingDiscount: this.shippingDiscount,
      total: before.subtotal - this.discount + shipping - this.shippingDiscount,
      lines: input.cart.lines.map((l, i) => ({
        index: i, sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, subtotal: w.gross[i]!, discount: w.gross[i]! - w.net[i]!, total: w.net[i]!,
        adjustments: adjustments[i]!,
      })),
      applied: this.applied,
      gifts: allGifts(this.applied),
      points: { rules: this.earned!.rules, bonus: this.bonus + this.earned!.extra, total },
      refused: [],
      trace: [],
    };
  }
}

const notes = (os: readonly EffectOutcome[]) => os.map((o) => o.note).join("; ");
