import { sql } from "drizzle-orm";
import {
  counterKeysFor, CounterBook, evaluateRules, normalizeEmail, normalizePhone, normalizePromoCode, periodKey, type CampaignUsage, type CartInput, type CelCustomer,
  type CelOrder, type CompiledCampaign, type PaymentRequest, type TierLevel, type TypedCode,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import type { Program } from "../programs/program.ts";
import { loadCustomerFactsByExternalId } from "../rules/rule-facts.ts";
import { readCounters } from "../rules/rule-counters.ts";
import { hasProgress, measureProgress, withProgress } from "./progress.ts";

/** A checkout as the store sends it: who, what, and the codes the customer typed. */
export interface CheckoutInput {
  /** The store's id of a member; unknown ids are priced as guests. */
  customerId?: string | undefined;
  /** A guest checkout (or a member's contact details for this order): per-customer limits also count these. */
  email?: string | undefined;
  phone?: string | undefined;
  currency?: string | undefined;
  /** `giftCard: true` marks a line that buys a gift card: gift cards cannot pay for such a cart (app/wallet/checkout-payments.ts). */
  lines: (CartInput["lines"][number] & { giftCard?: boolean | undefined })[];
  shipping?: number | undefined;
  channel?: string | undefined;
  store?: string | undefined;
  codes?: string[] | undefined;
  /** The checkout session whose reservations are this customer's own. */
  sessionId?: string | undefined;
  /** Build the trace (default true). */
  trace?: boolean | undefined;
  /** Wallet payments (gift cards, bonus, cash) for the total after discounts: evaluated, and taken by a completion. */
  payments?: PaymentRequest | undefined;
}

/** A live campaign reached by a cart, with its counters, as read (or locked) for this checkout. */
export interface CheckoutState {
  cart: CartInput;
  customer: CelCustomer;
  /** Internal customer id, or null for a guest. */
  customerRowId: string | null;
  /** `cus:…`, `email:…`, `phone:…`: what per-customer limits count. */
  customerKeys: string[];
  automatic: readonly CompiledCampaign[];
  codes: TypedCode[];
  usage: Map<string, CampaignUsage>;
  /** The campaigns with limits this cart reached (automatic or typed): the ones whose counters count. */
  limited: Map<string, CompiledCampaign>;
  /** Bulk code rows that a typed code reached (normalised code -> campaign). */
  bulkCodes: Map<string, string>;
  earn: (order: CelOrder) => number;
  trace: boolean;
}

const GUEST_METRICS = { lifetimeOrders: 0, lifetimeSpend: 0, daysSinceFirstOrder: -1, daysSinceLastOrder: -1, ordersThisMonth: 0, spendThisMonth: 0 };

/** Whether a campaign has counters that concurrent checkouts must respect. */
const isLimited = (c: CompiledCampaign): boolean => {
  const l = c.def.limits;
  return l.total !== undefined || l.perCustomer !== undefined || l.budget?.money !== undefined || l.budget?.points !== undefined;
};

/**
 * Reads everything a cart evaluation needs, in a fixed number of queries: the customer and their
 * order metrics, the typed codes, and the counters of the campaigns that have limits. With `lock`
 * (completion and reservation), the limited campaigns' rows and the typed bulk codes are locked in
 * id order first, so concurrent checkouts of one campaign take turns and never both take its last use.
 */
export async function loadCheckoutState(ctx: AppContext, ex: Executor, program: Program, input: CheckoutInput, opts: { lock: boolean }): Promise<CheckoutState> {
  const now = ctx.clock.now();
  const store = await ctx.campaigns.active(ex, program.id);
  const cart: CartInput = { currency: input.currency ?? program.currency, lines: input.lines, shipping: input.shipping, channel: input.channel, store: input.store };

  // Typed codes: reusable ones from the cache, the rest from the bulk codes.
  const typed = [...new Set((input.codes ?? []).map((c) => c.trim()).filter((c) => c.length > 0))];
  const normal = new Map(typed.map((t) => [t, normalizePromoCode(t)]));
  const bulkWanted = [...new Set([...normal.values()].filter((c): c is string => c !== null && !store.byCode.has(c)))].sort();
  const readBulk = () =>
    bulkWanted.length
      ? rows<{ code: string; campaign_id: string; customer_id: string | null; max_uses: number; used: number; expires_at: string | Date | null; value: number | null; held: number }>(
          ex,
          sql`select k.code, k.campaign_id, k.customer_id, k.max_uses, k.used, k.expires_at, k.value::float8 as value,
                     (select count(*)::int from campaign_reservations r where r.program_id = k.program_id and r.code = k.code and r.ended_at is null
                        and r.expires_at > ${now.toISOString()}::timestamptz and r.session_id <> ${input.sessionId ?? ""}) as held
                from campaign_codes k where k.program_id = ${program.id} and k.code = any(${textArray(bulkWanted)})
               order by k.code ${opts.lock ? sql`for update of k` : sql``}`,
        )
      : Promise.resolve([]);
  const readCustomer = () => (input.customerId !== undefined ? loadCustomerFactsByExternalId(ex, program.id, input.customerId, now, program.timeZone) : Promise.resolve(new Map<string, CelCustomer>()));
  // A read-only evaluation runs on the pool, so its two reads go in parallel; a locking one runs in
  // a transaction (one connection) and locks the codes first, as completions and rollbacks do.
  const [bulkRows, customerFacts] = opts.lock ? [await readBulk(), await readCustomer()] : await Promise.all([readBulk(), readCustomer()]);
  const [found] = customerFacts;
  const customerRowId: string | null = found ? found[0] : null;
  let customer: CelCustomer | null = found ? found[1] : null;
  const email = input.email ? normalizeEmail(input.email) : customer?.email || "";
  const phone = (input.phone ? normalizePhone(input.phone, program.defaultCountry ?? undefined) : null) ?? customer?.phone ?? "";
  customer ??= { id: "", email, phone, name: "", birthday: "", status: "guest", tier: "", tags: [], attributes: {}, metrics: { ...GUEST_METRICS } };
  const customerKeys = [...(customerRowId ? [`cus:${customerRowId}`] : []), ...(email ? [`email:${email}`] : []), ...(phone ? [`phone:${phone}`] : [])];

  const byBulk = new Map(bulkRows.map((r) => [r.code, r]));
  const bulkCodes = new Map<string, string>();
  let codes: TypedCode[] = typed.map((t) => {
    const code = normal.get(t) ?? null;
    if (code === null) return { typed: t, code: null, campaign: null };
    const reusable = store.byCode.get(code);
    if (reusable) return { typed: t, code, campaign: reusable };
    const row = byBulk.get(code);
    // Someone else's personal code looks exactly like an unknown one.
    if (!row || (row.customer_id !== null && row.customer_id !== customerRowId)) return { typed: t, code, campaign: null };
    const campaign = store.byId.get(row.campaign_id) ?? null;
    if (!campaign) return { typed: t, code, campaign: null, refusal: { reason: "CODE_EXPIRED", message: "The code's campaign is not running." } };
    if (row.expires_at !== null && new Date(row.expires_at).getTime() <= now.getTime()) return { typed: t, code, campaign, refusal: { reason: "CODE_EXPIRED", message: `The code expired at ${new Date(row.expires_at).toISOString()}.` } };
    if (row.used + Number(row.held) >= row.max_uses) return { typed: t, code, campaign, refusal: { reason: "CODE_EXHAUSTED", message: row.max_uses === 1 ? "The code has been used." : `The code has been used its ${row.max_uses} times.` } };
    bulkCodes.set(code, row.campaign_id);
    return { typed: t, code, campaign, value: row.value === null ? null : Number(row.value) };
  });

  const automatic = store.automaticFor(cart);
  const tierLevel = program.tiers && customerRowId && customer.tier ? program.tiers.levels.find((l) => l.key === customer.tier) : undefined;
  const tierCampaign = tierLevel ? tierDiscount(tierLevel) : null;
  let automaticAll = tierCampaign ? [...automatic, tierCampaign] : automatic;
  // Progressive and ladder effects need what this customer has reached: measured, then filled in.
  const progressive = [...automaticAll, ...codes.map((t) => t.campaign)].filter(hasProgress);
  if (progressive.length > 0) {
    const figures = await measureProgress(ex, program, customerRowId, customer, progressive, now);
    const fill = (c: CompiledCampaign) => (figures.has(c.id) ? withProgress(c, figures.get(c.id)!) : c);
    automaticAll = automaticAll.map(fill);
    codes = codes.map((t) => (t.campaign ? { ...t, campaign: fill(t.campaign) } : t));
  }
  const limited = new Map<string, CompiledCampaign>();
  for (const c of [...automatic, ...codes.map((t) => t.campaign)]) if (c && isLimited(c)) limited.set(c.id, c);
  const usage = await loadUsage(ex, program, [...limited.values()], customerKeys, input.sessionId ?? "", now, opts.lock);

  const rules = await ctx.rules.active(ex, program);
  const event = { type: "order.completed" as const, name: "", occurredAt: now, customerId: customerRowId ?? "" };
  const counters = customerRowId ? await readCounters(ex, program.id, rules.flatMap((r) => (r.def.trigger.event === "order.completed" ? counterKeysFor(r, event, program.timeZone) : []))) : new CounterBook();
  const facts = customer;
  // Guests earn nothing: points need a member account.
  const earn = (order: CelOrder) => {
    if (!customerRowId) return 0;
    const book = new CounterBook();
    for (const [k, v] of counters.values) book.values.set(k, { ...v });
    const out = evaluateRules({
      rules, event, timeZone: program.timeZone, pointValue: program.pointValue, counters: book,
      context: () => ({ event: { id: "", type: "order.completed", name: "", occurredAt: now, data: {} }, order, customer: facts, now, timeZone: program.timeZone }),
    });
    const points = out.awards.reduce((n, a) => n + (a.asset === "points" ? a.points : 0), 0);
    // The tier's earning bonus, as ingest will give it (event-rules.ts).
    return points + Math.floor((points * (tierLevel?.benefits.earnBonusPercent ?? 0)) / 100);
  };
  return { cart, customer, customerRowId, customerKeys, automatic: automaticAll, codes, usage, limited, bulkCodes, earn, trace: input.trace ?? true };
}

/**
 * The counters of limited campaigns: redemptions, budgets, this customer's uses in the current
 * period (the most over their keys), each with the live reservations of other checkout sessions.
 */
async function loadUsage(ex: Executor, program: Program, limited: CompiledCampaign[], keys: string[], sessionId: string, now: Date, lock: boolean): Promise<Map<string, CampaignUsage>> {
  const usage = new Map<string, CampaignUsage>();
  if (limited.length === 0) return usage;
  const ids = limited.map((c) => c.id).sort();
  const counted = await rows<{ id: string; redeemed: number; money: number; points: number }>(
    ex,
    sql`select id, redeemed, budget_money_used::float8 as money, budget_points_used::float8 as points from campaigns where id = any(${textArray(ids)}) order by id ${lock ? sql`for update` : sql``}`,
  );
  const held = await rows<{ campaign_id: string; all_n: number; mine_n: number }>(
    ex,
    sql`select campaign_id, count(*)::int as all_n, (count(*) filter (where customer_keys && ${textArray(keys)}))::int as mine_n
          from campaign_reservations where campaign_id = any(${textArray(ids)}) and ended_at is null and expires_at > ${now.toISOString()}::timestamptz and session_id <> ${sessionId}
         group by campaign_id`,
  );
  const periods = new Map(limited.filter((c) => c.def.limits.perCustomer).map((c) => [c.id, periodKey(c.def.limits.perCustomer!.per, now, program.timeZone)]));
  const customerRows =
    periods.size && keys.length
      ? await rows<{ campaign_id: string; period: string; used: number }>(
          ex,
          sql`select campaign_id, period, max(used)::int as used from campaign_counters
               where campaign_id = any(${textArray([...periods.keys()])}) and customer_key = any(${textArray(keys)}) and period = any(${textArray([...new Set(periods.values())])})
               group by campaign_id, period`,
        )
      : [];
  const heldBy = new Map(held.map((h) => [h.campaign_id, h]));
  for (const r of counted) {
    const h = heldBy.get(r.id);
    const mine = customerRows.find((x) => x.campaign_id === r.id && x.period === periods.get(r.id));
    usage.set(r.id, { redeemed: r.redeemed + (h?.all_n ?? 0), customerUsed: (mine?.used ?? 0) + (h?.mine_n ?? 0), budgetMoneyUsed: Number(r.money), budgetPointsUsed: Number(r.points) });
  }
  return usage;
}

/**
 * A tier's standing discount as an automatic campaign of its own (`tier:{key}`): it stacks with
 * every other stackable campaign, applies after them (a percentage of what they left), and is
 * recorded with the order's other campaigns, so its cost shows like theirs.
 */
function tierDiscount(level: TierLevel): CompiledCampaign | null {
  const percent = level.benefits.discountPercent;
  if (!percent) return null;
  return {
    id: `tier:${level.key}`, version: 0, audience: null, condition: null,
    def: { name: `${level.name}: ${percent}% off`, kind: "automatic", schedule: null, audience: null, condition: null, effects: [{ kind: "order_percent", percent }], stacking: "stackable", priority: 1_000_000, limits: {} },
  };
}
