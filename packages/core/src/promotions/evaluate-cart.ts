import { celVariables, runCondition, type CelCustomer, type CelInput, type CelOrder, type CompiledCondition } from "../rules/cel.ts";
import { outsideSchedule } from "../rules/schedule.ts";
import { allocate } from "../money/allocate.ts";
import { applyRate } from "../money/rate.ts";
import { applyEffect, bps, isLineEffect, type EffectOutcome } from "./apply-effects.ts";
import { WorkingCart } from "./working-cart.ts";
import type { CampaignDefinition, CartInput, CodeRefusalReason, MarginGuard } from "./types.ts";

/** A saved campaign, ready to evaluate. */
export interface CompiledCampaign {
  id: string;
  version: number;
  def: CampaignDefinition;
  audience: CompiledCondition | null;
  condition: CompiledCondition | null;
}

/** What a campaign has used so far; `redeemed` includes other sessions' live reservations. */
export interface CampaignUsage {
  redeemed: number;
  /** The most this customer has used it in the current period, over all their keys (id, email, phone). */
  customerUsed: number;
  budgetMoneyUsed: number;
  budgetPointsUsed: number;
}

/** A code as the customer typed it, resolved by the caller. */
export interface TypedCode {
  typed: string;
  /** Normalised; null when it cannot be a code at all. */
  code: string | null;
  campaign: CompiledCampaign | null;
  /** What the code's own record already rules out (unknown, someone else's, used up, expired). */
  refusal?: { reason: CodeRefusalReason; message: string } | undefined;
  /** A code with its own value (a follow-up worth a share of an earlier order): the campaign's `order_fixed` effects give this amount. */
  value?: number | null | undefined;
}

export interface CartEvaluationInput {
  cart: CartInput;
  /** A guest has id "" (and zero metrics). */
  customer: CelCustomer;
  now: Date;
  timeZone: string;
  guard: MarginGuard | null;
  /** Automatic campaigns that may apply to this cart (the caller's index has already dropped the rest). */
  automatic: readonly CompiledCampaign[];
  codes: readonly TypedCode[];
  usage: ReadonlyMap<string, CampaignUsage>;
  /** What the order earns through the earning rules, from the order after discounts. */
  earn?: ((order: CelOrder) => number) | undefined;
  /** Build the human-readable trace (the API does; a hot loop may leave it off). */
  trace?: boolean | undefined;
}

export interface LineResult {
  index: number;
  sku: string;
  quantity: number;
  unitPrice: number;
  subtotal: number;
  discount: number;
  total: number;
  adjustments: { campaignId: string; amount: number }[];
}

export interface AppliedCampaign {
  campaignId: string;
  version: number;
  name: string;
  code: string | null;
  discount: number;
  shippingDiscount: number;
  /** Bonus points, and this campaign's extra from a points multiplier. */
  bonusPoints: number;
  /** The points multiplier it applies (1: none). */
  multiplier: number;
  effects: { kind: string; discount: number; shippingDiscount: number; note: string }[];
  gifts: { sku: string; name: string; quantity: number }[];
  /** Issued when the order completes: personal codes (with their value, if any) and partner codes. */
  followUps: { campaignId: string; validDays: number; value: number | null }[];
  partnerCodes: { rewardId: string }[];
}

export interface RefusedCode {
  code: string;
  reason: CodeRefusalReason;
  message: string;
  campaignId?: string;
  /** CONDITION_NOT_MET: which condition ("schedule", "audience", "cart", "effects") and its false part. */
  condition?: { kind: "audience" | "cart" | "effects"; part: string };
}

export interface CartEvaluation {
  currency: string;
  subtotal: number;
  discount: number;
  shipping: number;
  shippingDiscount: number;
  total: number;
  lines: LineResult[];
  applied: AppliedCampaign[];
  gifts: { sku: string; name: string; quantity: number; campaignId: string }[];
  refused: RefusedCode[];
  points: { rules: number; bonus: number; total: number };
  trace: string[];
}

const byPriority = (a: CompiledCampaign, b: CompiledCampaign) => a.def.priority - b.def.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

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

interface Candidate {
  campaign: CompiledCampaign;
  code: string | null;
}

const label = (c: Candidate) => `${c.campaign.def.name} (${c.campaign.id}${c.code ? `, code ${c.code}` : ""})`;

type Gate = { ok: true } | { ok: false; reason: CodeRefusalReason; message: string; condition?: RefusedCode["condition"] };

/**
 * Prices a cart: which campaigns apply (automatic ones and those behind the typed codes), what each
 * takes off which line, the gifts, the points, and every refused code with a typed reason.
 *
 * The decision does not depend on the order of the codes: candidates are sorted by priority and id,
 * and when they cannot all apply (exclusive campaigns, stacking groups) every allowed combination is
 * priced and the one worth most to the customer wins (ties: more points, then the smaller ids).
 * Within a combination, line and unit effects apply first, then order effects on what is left; the
 * program's margin guard then trims the discount of the last-applied campaigns first.
 */
export function evaluateCart(input: CartEvaluationInput): CartEvaluation {
  const trace: string[] = [];
  const refused: RefusedCode[] = [];
  const order = cartOrder(input.cart);
  const cel: CelInput = { event: { id: "", type: "cart", name: "", occurredAt: input.now, data: {} }, order, customer: input.customer, now: input.now, timeZone: input.timeZone };
  const vars = celVariables(cel);

  // One candidate per campaign; a campaign reached by several codes keeps the smallest code.
  const candidates = new Map<string, Candidate>();
  const seen = new Set<string>();
  const codes = [...input.codes].sort((a, b) => ((a.code ?? a.typed) < (b.code ?? b.typed) ? -1 : (a.code ?? a.typed) > (b.code ?? b.typed) ? 1 : 0));
  for (const t of codes) {
    const shown = t.code ?? t.typed;
    if (seen.has(shown)) continue; // the same code typed twice counts once
    seen.add(shown);
    if (t.refusal || !t.campaign) {
      const r = t.refusal ?? { reason: "CODE_UNKNOWN" as const, message: "No campaign has this code." };
      refused.push({ code: shown, reason: r.reason, message: r.message, ...(t.campaign ? { campaignId: t.campaign.id } : {}) });
      continue;
    }
    if (candidates.has(t.campaign.id)) {
      refused.push({ code: shown, reason: "NOT_COMBINABLE", message: `Code ${candidates.get(t.campaign.id)!.code} of the same campaign already applies.`, campaignId: t.campaign.id });
      continue;
    }
    const campaign = t.value == null ? t.campaign : withValue(t.campaign, t.value);
    candidates.set(t.campaign.id, { campaign, code: shown });
  }
  for (const c of input.automatic) if (!candidates.has(c.id)) candidates.set(c.id, { campaign: c, code: null });

  const eligible: Candidate[] = [];
  for (const cand of [...candidates.values()].sort((a, b) => byPriority(a.campaign, b.campaign))) {
    const gate = admit(cand.campaign, input, cel, vars);
    if (gate.ok) {
      eligible.push(cand);
      continue;
    }
    if (input.trace) trace.push(`${label(cand)}: not applied, ${gate.message}`);
    if (cand.code) refused.push({ code: cand.code, reason: gate.reason, message: gate.message, campaignId: cand.campaign.id, ...(gate.condition ? { condition: gate.condition } : {}) });
  }

  // The combinations stacking allows: each exclusive campaign alone, all stackable ones together,
  // each group together. Adding a campaign never lowers what a combination is worth, so these are
  // the only ones worth pricing.
  const options: Candidate[][] = [];
  const stackable = eligible.filter((c) => c.campaign.def.stacking === "stackable");
  if (stackable.length) options.push(stackable);
  const groups = new Map<string, Candidate[]>();
  for (const c of eligible) {
    if (c.campaign.def.stacking === "exclusive") options.push([c]);
    else if (c.campaign.def.stacking === "group") {
      const g = c.campaign.def.group ?? "";
      groups.set(g, [...(groups.get(g) ?? []), c]);
    }
  }
  options.push(...groups.values());

  let best: Priced | null = null;
  // Each eligible campaign is in exactly one option: how that option went says why it lost.
  const pricedWith = new Map<string, Priced>();
  for (const option of options) {
    const priced = price(option, input, order);
    for (const c of option) pricedWith.set(c.campaign.id, priced);
    if (!best || better(priced, best)) best = priced;
  }
  const chosen = best ?? price([], input, order);
  if (input.trace && options.length > 1) trace.push(`${options.length} combinations priced; the best for the customer takes ${chosen.discount + chosen.shippingDiscount} off: ${chosen.applied.map((a) => a.campaignId).join(", ") || "none"}`);
  trace.push(...chosen.trace);

  const appliedIds = new Set(chosen.applied.map((a) => a.campaignId));
  for (const cand of eligible) {
    if (appliedIds.has(cand.campaign.id) || !cand.code) continue;
    // Over budget or giving nothing in its own combination: that, not the winner, is why it is out.
    const own = pricedWith.get(cand.campaign.id) ?? chosen;
    if (own.overBudget.has(cand.campaign.id)) {
      refused.push({ code: cand.code, reason: "BUDGET_EXHAUSTED", message: "What is left of the campaign's budget does not cover what it would give on this cart.", campaignId: cand.campaign.id });
      continue;
    }
    if (own.empty.has(cand.campaign.id)) {
      const part = own.empty.get(cand.campaign.id)!;
      const message = part.startsWith("the program's margin guard") ? "The program's margin guard leaves no room for this campaign's discount on this cart." : "The cart holds nothing this campaign's effects apply to.";
      refused.push({ code: cand.code, reason: "CONDITION_NOT_MET", message, campaignId: cand.campaign.id, condition: { kind: "effects", part } });
      continue;
    }
    const winners = chosen.applied.map((a) => a.code ?? a.name).join(", ");
    const why = cand.campaign.def.stacking === "exclusive" ? "it is exclusive" : cand.campaign.def.stacking === "group" ? `it stacks only within group "${cand.campaign.def.group}"` : "it is stackable";
    refused.push({ code: cand.code, reason: "NOT_COMBINABLE", message: `Not combinable with ${winners}, which together are worth more to the customer (${why}).`, campaignId: cand.campaign.id });
  }
  refused.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const out = chosen.result();
  out.refused = refused;
  out.trace = trace;
  return out;
}

/** The campaign as a valued code sees it: its order_fixed effects give the code's value. */
function withValue(c: CompiledCampaign, value: number): CompiledCampaign {
  return { ...c, def: { ...c.def, effects: c.def.effects.map((e) => (e.kind === "order_fixed" ? { ...e, amount: value } : e)) } };
}

/** Schedule, limits, budgets, audience and cart condition, in that order (the cheap checks first). */
function admit(c: CompiledCampaign, input: CartEvaluationInput, cel: CelInput, vars: Record<string, unknown>): Gate {
  const def = c.def;
  const off = outsideSchedule(def.schedule, input.now, input.timeZone);
  if (off) return { ok: false, reason: "CODE_EXPIRED", message: `The campaign is not active now (${off}).` };
  const u = input.usage.get(c.id) ?? { redeemed: 0, customerUsed: 0, budgetMoneyUsed: 0, budgetPointsUsed: 0 };
  const lim = def.limits;
  if (lim.total !== undefined && u.redeemed >= lim.total) return { ok: false, reason: "CODE_EXHAUSTED", message: `The campaign has been used its ${lim.total} times.` };
  if (lim.perCustomer && u.customerUsed >= lim.perCustomer.max) {
    return { ok: false, reason: "CUSTOMER_LIMIT_REACHED", message: `This customer has used the campaign ${lim.perCustomer.max} time(s) ${lim.perCustomer.per === "lifetime" ? "already" : `this ${lim.perCustomer.per}`}.` };
  }
  if (lim.budget?.money !== undefined && u.budgetMoneyUsed >= lim.budget.money) return { ok: false, reason: "BUDGET_EXHAUSTED", message: "The campaign's money budget is spent." };
  const bonus = def.effects.reduce((n, e) => n + (e.kind === "bonus_points" ? e.points : 0), 0);
  if (lim.budget?.points !== undefined && u.budgetPointsUsed + bonus > lim.budget.points) return { ok: false, reason: "BUDGET_EXHAUSTED", message: "The campaign's points budget is spent." };
  for (const [kind, cond] of [["audience", c.audience], ["cart", c.condition]] as const) {
    if (!cond) continue;
    const r = runCondition(cond, cel, vars);
    if ("error" in r) return { ok: false, reason: "CONDITION_NOT_MET", message: `The ${kind} condition failed: ${r.error}`, condition: { kind, part: cond.source } };
    if (!r.matched) return { ok: false, reason: "CONDITION_NOT_MET", message: `The ${kind} condition is not met: ${r.part}`, condition: { kind, part: r.part } };
  }
  return { ok: true };
}

interface Priced {
  discount: number;
  shippingDiscount: number;
  /** What the order would earn with this combination, computed on first use. */
  points: () => number;
  applied: AppliedCampaign[];
  /** Campaigns of the combination that gave nothing, with why. */
  empty: Map<string, string>;
  /** Campaigns dropped because they would overrun their money budget. */
  overBudget: Set<string>;
  result: () => CartEvaluation;
  trace: string[];
}

function better(a: Priced, b: Priced): boolean {
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
 * Prices a combination. A campaign that would overrun its money budget is dropped and the rest priced
 * again without it (a budget is never overrun, and the others do not pay for its absence).
 */
function price(option: readonly Candidate[], input: CartEvaluationInput, before: CelOrder): Priced {
  const dropped = new Map<string, string>();
  let members = option;
  for (;;) {
    const p = priceOnce(members, input, before);
    // A points budget must see the multiplier's extra, which needs the earning rules.
    if (members.some((m) => m.campaign.def.limits.budget?.points !== undefined)) p.points();
    let why: string | null = null;
    const over = p.applied.find((a) => {
      const budget = members.find((m) => m.campaign.id === a.campaignId)!.campaign.def.limits.budget;
      const u = input.usage.get(a.campaignId);
      const moneyLeft = budget?.money !== undefined ? budget.money - (u?.budgetMoneyUsed ?? 0) : Infinity;
      const pointsLeft = budget?.points !== undefined ? budget.points - (u?.budgetPointsUsed ?? 0) : Infinity;
      if (a.discount + a.shippingDiscount > moneyLeft) why = `its money budget has ${moneyLeft} left, less than the ${a.discount + a.shippingDiscount} it would give`;
      else if (a.bonusPoints > pointsLeft) why = `its points budget has ${pointsLeft} left, less than the ${a.bonusPoints} it would give`;
      return why !== null;
    });
    if (!over) {
      for (const id of dropped.keys()) p.overBudget.add(id);
      if (input.trace) p.trace.push(...dropped.values());
      return p;
    }
    dropped.set(over.campaignId, `${over.name} (${over.campaignId}): not applied, ${why}`);
    members = members.filter((m) => m.campaign.id !== over.campaignId);
  }
}

/** Applies a combination to a fresh copy of the cart and prices the result. */
function priceOnce(option: readonly Candidate[], input: CartEvaluationInput, before: CelOrder): Priced {
  const guard = input.guard;
  const w = new WorkingCart(input.cart, guard?.lineFloorPercent ? bps(guard.lineFloorPercent) : 0);
  const trace: string[] = [];
  const outcomes = new Map<string, EffectOutcome[]>();
  const sorted = [...option].sort((a, b) => byPriority(a.campaign, b.campaign));
  // Line and unit effects first, in priority order; then order effects on what is left.
  for (const pass of [true, false]) {
    for (const cand of sorted) {
      for (const e of cand.campaign.def.effects) {
        if (isLineEffect(e) !== pass) continue;
        const o = applyEffect(w, e, cand.campaign.id);
        const list = outcomes.get(cand.campaign.id);
        if (list) list.push(o);
        else outcomes.set(cand.campaign.id, [o]);
      }
    }
  }

  const trimmedAway = new Set<string>();
  // The margin guard: the whole discount at most maxDiscountPercent of the subtotal; the campaigns
  // applied last give back first.
  if (guard?.maxDiscountPercent !== undefined && guard.maxDiscountPercent !== null) {
    const cap = applyRate(before.subtotal, bps(guard.maxDiscountPercent), 10_000, "floor");
    let over = before.subtotal - w.merchandiseNet() - cap;
    // Campaigns the guard took everything from: their codes must say so, not "nothing to apply to".
    if (over > 0 && input.trace) trace.push(`margin guard: the discount is capped at ${guard.maxDiscountPercent}% of ${before.subtotal} = ${cap}; ${over} given back`);
    for (let k = sorted.length - 1; k >= 0 && over > 0; k--) {
      const id = sorted[k]!.campaign.id;
      const per = w.adjustments.map((a) => a.get(id) ?? 0);
      const had = per.reduce((a, b) => a + b, 0);
      const back = Math.min(had, over);
      if (back === 0) continue;
      const parts = allocate(back, per);
      parts.forEach((p, i) => w.giveBack(i, p, id));
      if (back === had) trimmedAway.add(id);
      over -= back;
    }
  }

  const applied: AppliedCampaign[] = [];
  const empty = new Map<string, string>();
  // Follow-up codes worth a share of the order are valued once the order's total is known.
  const pendingFollowUps = new Map<string, NonNullable<EffectOutcome["followUp"]>[]>();
  let bonus = 0;
  for (const cand of sorted) {
    const os = outcomes.get(cand.campaign.id) ?? [];
    const discount = w.discountOf(cand.campaign.id);
    // One pass over the outcomes (this runs for every campaign of every combination priced).
    let shippingDiscount = 0;
    let points = 0;
    let multiplier = 0;
    const gifts: AppliedCampaign["gifts"] = [];
    const followUpEffects: NonNullable<EffectOutcome["followUp"]>[] = [];
    const partnerCodes: AppliedCampaign["partnerCodes"] = [];
    for (const o of os) {
      shippingDiscount += o.shippingDiscount;
      points += o.bonusPoints ?? 0;
      if (o.multiplier) multiplier += o.multiplier - 1;
      if (o.gift) gifts.push(o.gift);
      if (o.followUp) followUpEffects.push(o.followUp);
      if (o.partnerCode) partnerCodes.push(o.partnerCode);
    }
    if (discount === 0 && shippingDiscount === 0 && gifts.length === 0 && points === 0 && followUpEffects.length === 0 && partnerCodes.length === 0 && multiplier === 0) {
      empty.set(cand.campaign.id, trimmedAway.has(cand.campaign.id) ? `the program's margin guard (at most ${guard!.maxDiscountPercent}% off) left no room for it` : os.map((o) => o.note).join("; "));
      if (input.trace) trace.push(`${label(cand)}: gives nothing here (${os.map((o) => o.note).join("; ")})`);
      continue;
    }
    bonus += points;
    pendingFollowUps.set(cand.campaign.id, followUpEffects);
    applied.push({
      campaignId: cand.campaign.id, version: cand.campaign.version, name: cand.campaign.def.name, code: cand.code, discount, shippingDiscount, bonusPoints: points, multiplier: multiplier + 1,
      effects: os.map((o) => ({ kind: o.kind, discount: o.kind === "free_shipping" ? 0 : o.discount, shippingDiscount: o.shippingDiscount, note: o.note })), gifts,
      followUps: [], partnerCodes,
    });
    if (input.trace) trace.push(`${label(cand)}: ${os.map((o) => o.note).join("; ")}`);
  }

  const discount = before.subtotal - w.merchandiseNet();
  const shippingDiscount = applied.reduce((n, a) => n + a.shippingDiscount, 0);
  // The earning rules run only when the points are needed: a tie on money, a points budget, or the
  // combination that wins. Most combinations are decided on money alone.
  let earned: { rules: number; extra: number; total: number } | null = null;
  const points = () => {
    if (earned) return earned.total;
    const rules = input.earn ? input.earn(cartOrder(input.cart, w.net, discount, shippingDiscount)) : 0;
    // Multipliers add up (2 and 3 give 1 + 1 + 2 times); each campaign's extra is rounded down and
    // counted in its own bonusPoints, so a rollback takes back exactly what that campaign gave.
    let extra = 0;
    for (const a of applied) {
      if (a.multiplier === 1) continue;
      const e = Math.floor((rules * Math.round((a.multiplier - 1) * 100)) / 100);
      a.bonusPoints += e;
      extra += e;
    }
    earned = { rules, extra, total: rules + extra + bonus };
    return earned.total;
  };
  const shipping = input.cart.shipping ?? 0;
  for (const a of applied) {
    a.followUps = (pendingFollowUps.get(a.campaignId) ?? []).map((f) => ({
      campaignId: f.campaignId, validDays: f.validDays, value: f.percentOfOrder !== undefined ? applyRate(before.subtotal - discount, bps(f.percentOfOrder), 10_000, "floor") : null,
    }));
  }
  return {
    discount, shippingDiscount, points, applied, empty, overBudget: new Set(), trace,
    // Built only for the combination that wins.
    result: () => {
      const total = points();
      return {
      currency: input.cart.currency, subtotal: before.subtotal, discount, shipping, shippingDiscount, total: before.subtotal - discount + shipping - shippingDiscount,
      lines: input.cart.lines.map((l, i) => ({
        index: i, sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, subtotal: w.gross[i]!, discount: w.gross[i]! - w.net[i]!, total: w.net[i]!,
        adjustments: [...w.adjustments[i]!].map(([campaignId, amount]) => ({ campaignId, amount })),
      })),
      applied,
      gifts: applied.flatMap((a) => a.gifts.map((g) => ({ ...g, campaignId: a.campaignId }))),
      points: { rules: earned!.rules, bonus: bonus + earned!.extra, total },
      refused: [],
      trace: [],
      };
    },
  };
}
