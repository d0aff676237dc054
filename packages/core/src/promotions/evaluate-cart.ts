import { celVariables, runCondition, type CelCustomer, type CelInput, type CelOrder, type CelVariables, type CompiledCondition } from "../rules/cel.ts";
import { outsideSchedule } from "../rules/schedule.ts";
import { actsOnNothing, nothingNote } from "./apply-effects.ts";
import { better, byPriority, cartContext, cartOrder, label, mostOff, price, type Candidate, type Priced } from "./price-combination.ts";
import { BLOCKED_POINTS, earnsPoints, GUEST_POINTS, NOTHING_TO_MULTIPLY } from "./applied-campaign.ts";
import type { CartLines } from "./working-cart.ts";
import type { CampaignDefinition, CartInput, CodeRefusalReason, MarginGuard } from "./types.ts";
import { sortSmall } from "../sort.ts";

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
  /**
   * Automatic campaigns that may apply to this cart (the caller's index has already dropped the
   * rest), best in priority order (priority, then id: no sort needed). A campaign listed twice counts
   * once; two different campaigns must not share an id.
   */
  automatic: readonly CompiledCampaign[];
  /** How many automatic campaigns the caller's index left out as meant for other customers (a tag, tier or membership): said in the trace. */
  otherAudiences?: number | undefined;
  codes: readonly TypedCode[];
  usage: ReadonlyMap<string, CampaignUsage>;
  /**
   * The checkout names no one: no member, email or phone. A campaign limited per customer has no one
   * to count such a cart against, so it is refused (CUSTOMER_LIMIT_REACHED) rather than given
   * without a limit: otherwise leaving the contact details out would be a way round the limit.
   */
  anonymous?: boolean | undefined;
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

  if (input.trace && input.otherAudiences) {
    trace.push(`${input.otherAudiences} automatic campaign(s) for other customers (a tag, tier or membership this customer does not have): not considered`);
  }
  const ctx = cartContext(input, order);
  const eligible: Candidate[] = [];
  for (const cand of candidates(input, refused)) {
    // An automatic campaign whose effects cannot act on this cart is out before its conditions run
    // (a typed code goes the whole way: its refusal names the first check it fails).
    if (!cand.code && idle(cand.campaign, ctx.lines)) {
      if (input.trace) trace.push(`${label(cand)}: gives nothing here (${cand.campaign.def.effects.map(nothingNote).join("; ")})`);
      continue;
    }
    const gate = admit(cand.campaign, input, cel, vars);
    if (gate.ok) {
      eligible.push(cand);
      continue;
    }
    if (input.trace) trace.push(`${label(cand)}: not applied, ${gate.message}`);
    if (cand.code) refused.push({ code: cand.code, reason: gate.reason, message: gate.message, campaignId: cand.campaign.id, ...(gate.condition ? { condition: gate.condition } : {}) });
  }

  const options = combinations(eligible);
  let best: Priced | null = null;
  // Each eligible campaign is in exactly one option: how that option went says why a code lost.
  const pricedWith = new Map<string, Priced>();
  let ruledOut = 0;
  for (const option of options) {
    // An option that cannot beat the best so far is not priced, unless a code in it needs its outcome to say why it lost.
    if (best && mostOff(option, ctx) < best.discount + best.shippingDiscount && !option.some(hasCode)) {
      ruledOut++;
      continue;
    }
    const priced = price(option, ctx);
    for (const c of option) if (c.code) pricedWith.set(c.campaign.id, priced);
    if (!best || better(priced, best)) best = priced;
  }
  const chosen = best ?? price([], ctx);
  // Its points decide whether a multiplier gave anything (price-combination.ts), before anyone reads what applied.
  chosen.points();
  if (input.trace && options.length > 1) trace.push(`${options.length} combinations priced${ruledOut ? ` (${ruledOut} of them only bounded: they could not take as much off)` : ""}; the best for the customer takes ${chosen.discount + chosen.shippingDiscount} off: ${chosen.applied.map((a) => a.campaignId).join(", ") || "none"}`);
  trace.push(...chosen.trace);

  if (pricedWith.size > 0) refuseLosers(eligible, chosen, pricedWith, refused);
  sortSmall(refused, byCode);
  const out = chosen.result();
  out.refused = refused;
  out.trace = trace;
  return out;
}

/**
 * One candidate per campaign, in priority order (`byPriority`); a campaign reached by several codes
 * keeps the smallest code, and a campaign reached by a code is not also automatic. Codes that reach
 * no campaign go to `refused`.
 */
function candidates(input: CartEvaluationInput, refused: RefusedCode[]): Candidate[] {
  const coded = codeCandidates(input.codes, refused);
  const automatic = inEvaluationOrder(input.automatic);
  if (coded.length === 0) return automatic.map((campaign) => ({ campaign, code: null }));
  sortSmall(coded, (a, b) => byPriority(a.campaign, b.campaign));
  // At most 20 codes (the API's limit), usually one or two: looking through them beats a set of their ids.
  // Merge the two ordered lists.
  const out: Candidate[] = [];
  let i = 0;
  for (const campaign of automatic) {
    if (reachedByCode(coded, campaign.id)) continue;
    while (i < coded.length && byPriority(coded[i]!.campaign, campaign) < 0) out.push(coded[i++]!);
    out.push({ campaign, code: null });
  }
  while (i < coded.length) out.push(coded[i++]!);
  return out;
}

function appliedIn(p: Priced, id: string): boolean {
  for (let k = 0; k < p.applied.length; k++) if (p.applied[k]!.campaignId === id) return true;
  return false;
}

function reachedByCode(coded: readonly Candidate[], id: string): boolean {
  for (let k = 0; k < coded.length; k++) if (coded[k]!.campaign.id === id) return true;
  return false;
}

const hasCode = (c: Candidate) => c.code !== null;
const byCode = (a: RefusedCode, b: RefusedCode) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
const byShown = (a: TypedCode, b: TypedCode) => ((a.code ?? a.typed) < (b.code ?? b.typed) ? -1 : (a.code ?? a.typed) > (b.code ?? b.typed) ? 1 : 0);

/**
 * The campaigns behind the typed codes, one per campaign, in no particular order. At most 20 codes
 * (the API's limit), usually one or two: arrays looked through beat a map and a set built per cart.
 */
function codeCandidates(typed: readonly TypedCode[], refused: RefusedCode[]): Candidate[] {
  const out: Candidate[] = [];
  const codes = typed.length < 2 ? typed : sortSmall(typed.slice(), byShown);
  let previous: string | null = null;
  for (const t of codes) {
    const shown = t.code ?? t.typed;
    if (shown === previous) continue; // the same code typed twice counts once (they are sorted)
    previous = shown;
    if (t.refusal || !t.campaign) {
      const r = t.refusal ?? { reason: "CODE_UNKNOWN" as const, message: "No campaign has this code." };
      refused.push({ code: shown, reason: r.reason, message: r.message, ...(t.campaign ? { campaignId: t.campaign.id } : {}) });
      continue;
    }
    const id = t.campaign.id;
    const same = out.find((c) => c.campaign.id === id);
    if (same) {
      refused.push({ code: shown, reason: "NOT_COMBINABLE", message: `Code ${same.code} of the same campaign already applies.`, campaignId: id });
      continue;
    }
    out.push({ campaign: t.value == null ? t.campaign : withValue(t.campaign, t.value), code: shown });
  }
  return out;
}

/**
 * The automatic campaigns in priority order, each once. The server's index already lists them so
 * (ProgramCampaigns.automaticFor), which one pass checks: no sort and no set of ids per cart, which
 * cost more than the rest of a small cart's evaluation. Otherwise sorted (stably, so of a campaign
 * listed twice the first entry stays).
 */
function inEvaluationOrder(list: readonly CompiledCampaign[]): readonly CompiledCampaign[] {
  let sorted = true;
  let repeated = false;
  for (let k = 1; k < list.length && sorted; k++) {
    const order = byPriority(list[k - 1]!, list[k]!);
    if (order > 0) sorted = false;
    else if (order === 0) repeated = true;
  }
  if (sorted && !repeated) return list;
  const ordered = sorted ? list : [...list].sort(byPriority);
  // Entries of one campaign (same id, hence same priority) are next to each other now.
  return ordered.filter((c, k) => k === 0 || ordered[k - 1]!.id !== c.id);
}

/**
 * The combinations stacking allows: all stackable campaigns together, each exclusive campaign
 * alone, each group together (each in priority order, as `eligible` is). Adding a campaign never
 * lowers what a combination is worth, so these are the only ones worth pricing.
 */
function combinations(eligible: readonly Candidate[]): Candidate[][] {
  const options: Candidate[][] = [];
  const stackable = eligible.filter((c) => c.campaign.def.stacking === "stackable");
  if (stackable.length) options.push(stackable);
  let groups: Map<string, Candidate[]> | null = null;
  for (const c of eligible) {
    if (c.campaign.def.stacking === "exclusive") options.push([c]);
    else if (c.campaign.def.stacking === "group") {
      groups ??= new Map();
      const g = c.campaign.def.group ?? "";
      const members = groups.get(g);
      if (members) members.push(c);
      else groups.set(g, [c]);
    }
  }
  if (groups) options.push(...groups.values());
  return options;
}

/** Why each eligible code that is not in the chosen combination lost. */
function refuseLosers(eligible: readonly Candidate[], chosen: Priced, pricedWith: ReadonlyMap<string, Priced>, refused: RefusedCode[]): void {
  for (const cand of eligible) {
    if (!cand.code || appliedIn(chosen, cand.campaign.id)) continue;
    // Over budget or giving nothing in its own combination: that, not the winner, is why it is out.
    const own = pricedWith.get(cand.campaign.id) ?? chosen;
    if (own.overBudget.has(cand.campaign.id)) {
      refused.push({ code: cand.code, reason: "BUDGET_EXHAUSTED", message: "What is left of the campaign's budget does not cover what it would give on this cart.", campaignId: cand.campaign.id });
      continue;
    }
    // Its combination's points say whether a multiplier in it had anything to multiply (whyEmpty reads
    // them): a multiplier on an order that earns nothing is refused for that, whatever else won.
    own.points();
    const part = own.whyEmpty(cand.campaign.id);
    if (part !== null) {
      const message = part.startsWith("the program's margin guard")
        ? "The program's margin guard leaves no room for this campaign's discount on this cart."
        : part === GUEST_POINTS
          ? "The campaign gives points, which need a member account: send the member's customerId."
          : part === BLOCKED_POINTS
            ? "The campaign gives points, and this member is blocked: blocked members earn no points."
            : part === NOTHING_TO_MULTIPLY
              ? "The order earns no points, so the campaign's points multiplier gives nothing."
          : "The cart holds nothing this campaign's effects apply to.";
      refused.push({ code: cand.code, reason: "CONDITION_NOT_MET", message, campaignId: cand.campaign.id, condition: { kind: "effects", part } });
      continue;
    }
    const winners = chosen.applied.map((a) => a.code ?? a.name).join(", ");
    const why = cand.campaign.def.stacking === "exclusive" ? "it is exclusive" : cand.campaign.def.stacking === "group" ? `it stacks only within group "${cand.campaign.def.group}"` : "it is stackable";
    refused.push({ code: cand.code, reason: "NOT_COMBINABLE", message: `Not combinable with ${winners}, which together are worth more to the customer (${why}).`, campaignId: cand.campaign.id });
  }
}

/** The campaign as a valued code sees it: its order_fixed effects give the code's value. */
function withValue(c: CompiledCampaign, value: number): CompiledCampaign {
  return { ...c, def: { ...c.def, effects: c.def.effects.map((e) => (e.kind === "order_fixed" ? { ...e, amount: value } : e)) } };
}

/** Whether none of a campaign's effects can act on the cart (each `actsOnNothing`). */
function idle(c: CompiledCampaign, lines: CartLines): boolean {
  const effects = c.def.effects;
  for (const e of effects) if (!actsOnNothing(e, lines)) return false;
  return effects.length > 0;
}

/** Schedule, limits, budgets, audience and cart condition, in that order (the cheap checks first). */
function admit(c: CompiledCampaign, input: CartEvaluationInput, cel: CelInput, vars: CelVariables): Gate {
  const def = c.def;
  const off = outsideSchedule(def.schedule, input.now, input.timeZone);
  if (off) return { ok: false, reason: "CODE_EXPIRED", message: `The campaign is not active now (${off}).` };
  const u = input.usage.get(c.id) ?? UNUSED;
  const lim = def.limits;
  if (lim.total !== undefined && u.redeemed >= lim.total) return { ok: false, reason: "CODE_EXHAUSTED", message: `The campaign has been used its ${lim.total} times.` };
  if (lim.perCustomer && input.anonymous) {
    return { ok: false, reason: "CUSTOMER_LIMIT_REACHED", message: `The campaign is limited to ${lim.perCustomer.max} use(s) per customer ${lim.perCustomer.per === "lifetime" ? "in all" : `a ${lim.perCustomer.per}`}, and this checkout names no customer: send the customer's id, email or phone.` };
  }
  if (lim.perCustomer && u.customerUsed >= lim.perCustomer.max) {
    return { ok: false, reason: "CUSTOMER_LIMIT_REACHED", message: `This customer has used the campaign ${lim.perCustomer.max} time(s) ${lim.perCustomer.per === "lifetime" ? "already" : `this ${lim.perCustomer.per}`}.` };
  }
  if (lim.budget?.money !== undefined && u.budgetMoneyUsed >= lim.budget.money) return { ok: false, reason: "BUDGET_EXHAUSTED", message: "The campaign's money budget is spent." };
  if (lim.budget?.points !== undefined) {
    // A guest (or a blocked member) is given no points (price-combination.ts), so a spent points budget does not keep the rest of the campaign from her.
    const bonus = !earnsPoints(input.customer) ? 0 : def.effects.reduce((n, e) => n + (e.kind === "bonus_points" ? e.points : 0), 0);
    if (u.budgetPointsUsed + bonus > lim.budget.points) return { ok: false, reason: "BUDGET_EXHAUSTED", message: "The campaign's points budget is spent." };
  }
  return (c.audience && conditionGate("audience", c.audience, cel, vars)) || (c.condition && conditionGate("cart", c.condition, cel, vars)) || ADMITTED;
}

const UNUSED: CampaignUsage = { redeemed: 0, customerUsed: 0, budgetMoneyUsed: 0, budgetPointsUsed: 0 };
const ADMITTED: Gate = { ok: true };

/** Null when the condition holds; the refusal otherwise. */
function conditionGate(kind: "audience" | "cart", cond: CompiledCondition, cel: CelInput, vars: CelVariables): Gate | null {
  const r = runCondition(cond, cel, vars);
  if ("error" in r) return { ok: false, reason: "CONDITION_NOT_MET", message: `The ${kind} condition failed: ${r.error}`, condition: { kind, part: cond.source } };
  if (!r.matched) return { ok: false, reason: "CONDITION_NOT_MET", message: `The ${kind} condition is not met: ${r.part}`, condition: { kind, part: r.part } };
  return null;
}
