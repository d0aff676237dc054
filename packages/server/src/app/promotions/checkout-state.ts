import { sql, type SQL } from "drizzle-orm";
import {
  counterKeysFor, CounterBook, customerWithoutHistory, evaluateRules, LIMIT_PERIODS, normalizeEmail, normalizePhone, normalizePromoCode, periodKey, type CampaignUsage, type CartInput, type CelCustomer,
  type CelOrder, type CompiledCampaign, type PaymentRequest, type TierLevel, type TypedCode,
} from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import type { Program } from "../programs/program.ts";
import { factsSelect, toFacts, type FactsRow } from "../rules/rule-facts.ts";
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
  /** How many automatic campaigns the cart reached that are for other audiences (left out unevaluated, said in the trace). */
  otherAudiences: number;
  codes: TypedCode[];
  usage: Map<string, CampaignUsage>;
  /** The campaigns with limits this cart reached (automatic or typed): the ones whose counters count. */
  limited: Map<string, CompiledCampaign>;
  /** Bulk code rows that a typed code reached (normalised code -> campaign). */
  bulkCodes: Map<string, string>;
  earn: (order: CelOrder) => number;
  trace: boolean;
}


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
  // The contact details given with the cart; without them, the member's own count (customerKeys).
  const given = { email: input.email ? normalizeEmail(input.email) : null, phone: input.phone ? normalizePhone(input.phone, program.defaultCountry ?? undefined) : null };
  const automatic = store.automaticFor(cart);

  // A read-only evaluation reads everything in one statement (one round trip on one connection). A
  // locking one runs in a transaction and takes its locks in a fixed order, as completions and
  // rollbacks do: the typed codes, then (loadUsage) the limited campaigns in id order.
  let bulkRows: BulkRow[];
  let factsRows: FactsRow[];
  let usageRows: UsageRows | null = null;
  if (opts.lock) {
    bulkRows = bulkWanted.length ? await rows<BulkRow>(ex, sql`${bulkSelect(program.id, bulkWanted, input.sessionId ?? "", now)} for update of k`) : [];
    factsRows = input.customerId !== undefined ? await rows<FactsRow>(ex, factsSelect(program.id, sql`c.external_id = ${input.customerId} and c.status <> 'erased'`, now, program.timeZone)) : [];
  } else {
    const candidates = [...automatic, ...typed.map((t) => store.byCode.get(normal.get(t) ?? ""))].filter((c): c is CompiledCampaign => !!c && isLimited(c));
    ({ bulkRows, factsRows, usageRows } = await readAtOnce(ex, program, input, given, bulkWanted, [...new Set(candidates.map((c) => c.id))], now));
  }
  const [found] = toFacts(factsRows, now);
  const customerRowId: string | null = found ? found[0] : null;
  const customer: CelCustomer = found ? found[1] : customerWithoutHistory({ email: given.email ?? "", phone: given.phone ?? "", status: "guest" });
  // The audience index leaves out the campaigns for other tags, tiers or members: never evaluated.
  const forCustomer = store.automaticFor(cart, customer);
  // A member's own email and phone count as well as the ones given with the cart: otherwise a member
  // who checked out with another email could come back as a guest with hers and start afresh.
  // readAtOnce computes the same keys in SQL (its `keys`): change both together.
  const customerKeys = [
    ...(customerRowId ? [`cus:${customerRowId}`] : []),
    ...new Set([given.email, customer.email].filter((e) => !!e).map((e) => `email:${e}`)),
    ...new Set([given.phone, customer.phone].filter((p) => !!p).map((p) => `phone:${p}`)),
  ];

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

  const tierLevel = program.tiers && customerRowId && customer.tier ? program.tiers.levels.find((l) => l.key === customer.tier) : undefined;
  const tierCampaign = tierLevel ? tierDiscount(tierLevel) : null;
  let automaticAll = tierCampaign ? [...forCustomer, tierCampaign] : forCustomer;
  // Progressive and ladder effects need what this customer has reached: measured, then filled in.
  const progressive = [...automaticAll, ...codes.map((t) => t.campaign)].filter(hasProgress);
  if (progressive.length > 0) {
    const figures = await measureProgress(ex, program, customerRowId, customer, progressive, now);
    const fill = (c: CompiledCampaign) => (figures.has(c.id) ? withProgress(c, figures.get(c.id)!) : c);
    automaticAll = automaticAll.map(fill);
    codes = codes.map((t) => (t.campaign ? { ...t, campaign: fill(t.campaign) } : t));
  }
  const limited = new Map<string, CompiledCampaign>();
  for (const c of [...forCustomer, ...codes.map((t) => t.campaign)]) if (c && isLimited(c)) limited.set(c.id, c);
  const usage = usageRows
    ? usageFrom(usageRows, [...limited.values()], program, now)
    : await loadUsage(ex, program, [...limited.values()], customerKeys, input.sessionId ?? "", now);

  const rules = await ctx.rules.active(ex, program);
  const event = { type: "order.completed" as const, name: "", occurredAt: now, customerId: customerRowId ?? "" };
  const counters = customerRowId ? await readCounters(ex, program.id, rules.flatMap((r) => (r.def.trigger.event === "order.completed" ? counterKeysFor(r, event, program.timeZone) : []))) : new CounterBook();
  const facts = customer;
  // Guests earn nothing: points need a member account. Blocked members earn nothing either, as
  // ingest gives their orders 0 (earningSkipped: CUSTOMER_BLOCKED).
  const earn = (order: CelOrder) => {
    if (!customerRowId || facts.status === "blocked") return 0;
    const book = counters.copy();
    const out = evaluateRules({
      rules, event, timeZone: program.timeZone, pointValue: program.pointValue, counters: book,
      context: () => ({ event: { id: "", type: "order.completed", name: "", occurredAt: now, data: {} }, order, customer: facts, now, timeZone: program.timeZone }),
    });
    const points = out.awards.reduce((n, a) => n + (a.asset === "points" ? a.points : 0), 0);
    // The tier's earning bonus, as ingest will give it (event-rules.ts).
    return points + Math.floor((points * (tierLevel?.benefits.earnBonusPercent ?? 0)) / 100);
  };
  return { cart, customer, customerRowId, customerKeys, automatic: automaticAll, otherAudiences: automatic.length - forCustomer.length, codes, usage, limited, bulkCodes, earn, trace: input.trace ?? true };
}

interface BulkRow { code: string; campaign_id: string; customer_id: string | null; max_uses: number; used: number; expires_at: string | Date | null; value: number | null; held: number }

/** Typed bulk codes with the live reservations of other checkout sessions. */
function bulkSelect(programId: string, codes: readonly string[], sessionId: string, now: Date): SQL {
  return sql`select k.code, k.campaign_id, k.customer_id, k.max_uses, k.used, k.expires_at, k.value::float8 as value,
                    (select count(*)::int from campaign_reservations r where r.program_id = k.program_id and r.code = k.code and r.ended_at is null
                       and r.expires_at > ${now.toISOString()}::timestamptz and r.session_id <> ${sessionId}) as held
               from campaign_codes k where k.program_id = ${programId} and k.code = any(${textArray(codes)})
              order by k.code`;
}

/*
 * The three reads of limited campaigns' usage, shared by readAtOnce (one statement, ids and keys from
 * its CTEs) and loadUsage (locked, ids and keys given). `ids` and `keys` are text[] expressions.
 */
const countedSelect = (programId: string, ids: SQL): SQL =>
  sql`select id, redeemed, budget_money_used::float8 as money, budget_points_used::float8 as points from campaigns where program_id = ${programId} and id = any(${ids})`;

const heldSelect = (ids: SQL, keys: SQL, sessionId: string, now: Date): SQL =>
  sql`select campaign_id, count(*)::int as all_n, (count(*) filter (where customer_keys && ${keys}))::int as mine_n, sum(money)::float8 as money, sum(points)::float8 as points
        from campaign_reservations where campaign_id = any(${ids}) and ended_at is null and expires_at > ${now.toISOString()}::timestamptz and session_id <> ${sessionId}
       group by campaign_id`;

const mineSelect = (ids: SQL, keys: SQL, periods: readonly string[]): SQL =>
  sql`select campaign_id, period, max(used)::int as used from campaign_counters
       where campaign_id = any(${ids}) and customer_key = any(${keys}) and period = any(${textArray(periods)})
       group by campaign_id, period`;

/** A limited campaign's counters, its live reservations, and this customer's uses per period. */
interface UsageRows {
  counted: { id: string; redeemed: number; money: number; points: number }[];
  held: { campaign_id: string; all_n: number; mine_n: number; money: number; points: number }[];
  mine: { campaign_id: string; period: string; used: number }[];
}

/**
 * The read of a read-only evaluation, in one statement: the member's facts, the typed bulk codes, and
 * the usage of the limited campaigns the cart reaches (`candidates`, plus those of the bulk codes
 * found). Per-customer uses are read for every current period, so a bulk code's campaign needs no
 * second trip; usageFrom picks each campaign's own.
 */
async function readAtOnce(
  ex: Executor, program: Program, input: CheckoutInput, given: { email: string | null; phone: string | null }, bulkWanted: string[], candidates: string[], now: Date,
): Promise<{ factsRows: FactsRow[]; bulkRows: BulkRow[]; usageRows: UsageRows }> {
  const sessionId = input.sessionId ?? "";
  const periods = LIMIT_PERIODS.map((p) => periodKey(p, now, program.timeZone));
  const idsIn = sql`array(select id from ids)`;
  const keysIn = sql`array(select unnest(keys) from keys)`;
  // The customer's keys as loadCheckoutState builds customerKeys: change both together.
  const [r] = await rows<{ facts: FactsRow[]; bulk: BulkRow[]; counted: UsageRows["counted"]; held: UsageRows["held"]; mine: UsageRows["mine"] }>(
    ex,
    sql`with f as (${factsSelect(program.id, sql`c.external_id = ${input.customerId ?? null} and c.status <> 'erased'`, now, program.timeZone)}),
         k as (${bulkSelect(program.id, bulkWanted, sessionId, now)}),
         who as (select (select id from f) as id, coalesce(${given.email}, '') as email, coalesce((select email from f), '') as own_email,
                        coalesce(${given.phone}, '') as phone, coalesce((select phone from f), '') as own_phone),
         keys as (select array_remove(array[case when id is not null then 'cus:' || id end, case when email <> '' then 'email:' || email end,
                                            case when own_email not in ('', email) then 'email:' || own_email end,
                                            case when phone <> '' then 'phone:' || phone end, case when own_phone not in ('', phone) then 'phone:' || own_phone end], null) as keys from who),
         ids as (select unnest(${textArray(candidates)}) as id union select campaign_id from k),
         counted as (${countedSelect(program.id, idsIn)}),
         held as (${heldSelect(idsIn, keysIn, sessionId, now)}),
         mine as (${mineSelect(idsIn, keysIn, periods)})
       select (select coalesce(json_agg(f), '[]'::json) from f) as facts, (select coalesce(json_agg(k), '[]'::json) from k) as bulk,
              (select coalesce(json_agg(counted), '[]'::json) from counted) as counted, (select coalesce(json_agg(held), '[]'::json) from held) as held,
              (select coalesce(json_agg(mine), '[]'::json) from mine) as mine`,
  );
  return { factsRows: r!.facts, bulkRows: r!.bulk, usageRows: { counted: r!.counted, held: r!.held, mine: r!.mine } };
}

/** Each limited campaign's usage: redemptions and budgets with other sessions' reservations (a held use and what it takes of the budgets count as spent), and this customer's uses in its current period. */
function usageFrom(rs: UsageRows, limited: readonly CompiledCampaign[], program: Program, now: Date): Map<string, CampaignUsage> {
  const usage = new Map<string, CampaignUsage>();
  const heldBy = new Map(rs.held.map((h) => [h.campaign_id, h]));
  for (const c of limited) {
    const r = rs.counted.find((x) => x.id === c.id);
    if (!r) continue;
    const per = c.def.limits.perCustomer?.per;
    const period = per ? periodKey(per, now, program.timeZone) : null;
    const h = heldBy.get(c.id);
    const mine = period === null ? undefined : rs.mine.find((x) => x.campaign_id === c.id && x.period === period);
    usage.set(c.id, { redeemed: r.redeemed + (h?.all_n ?? 0), customerUsed: (mine?.used ?? 0) + (h?.mine_n ?? 0), budgetMoneyUsed: Number(r.money) + Number(h?.money ?? 0), budgetPointsUsed: Number(r.points) + Number(h?.points ?? 0) });
  }
  return usage;
}

/**
 * The usage of the limited campaigns for a completion or reservation: their rows locked in id order
 * first (concurrent checkouts of one campaign take turns), then the reservations and this customer's
 * counters.
 */
async function loadUsage(ex: Executor, program: Program, limited: CompiledCampaign[], keys: string[], sessionId: string, now: Date): Promise<Map<string, CampaignUsage>> {
  if (limited.length === 0) return new Map();
  const ids = limited.map((c) => c.id).sort();
  const counted = await rows<UsageRows["counted"][number]>(ex, sql`${countedSelect(program.id, textArray(ids))} order by id for update`);
  const held = await rows<UsageRows["held"][number]>(ex, heldSelect(textArray(ids), textArray(keys), sessionId, now));
  const periods = [...new Set(limited.filter((c) => c.def.limits.perCustomer).map((c) => periodKey(c.def.limits.perCustomer!.per, now, program.timeZone)))];
  const mine = periods.length && keys.length ? await rows<UsageRows["mine"][number]>(ex, mineSelect(textArray(ids), textArray(keys), periods)) : [];
  return usageFrom({ counted, held, mine }, limited, program, now);
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
