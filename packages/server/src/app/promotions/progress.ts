import { sql } from "drizzle-orm";
import {
  celVariables, compileCondition, currentRate, periodStart, runCondition, type CelCustomer, type CelOrder, type CompiledCampaign, type CompiledCondition, type PromotionEffect,
} from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";

export type ProgressEffect = Extract<PromotionEffect, { kind: "progressive_percent" | "spend_ladder" }>;
export const isProgressEffect = (e: PromotionEffect): e is ProgressEffect => e.kind === "progressive_percent" || e.kind === "spend_ladder";
export const hasProgress = (c: CompiledCampaign | null | undefined): c is CompiledCampaign => !!c && c.def.effects.some(isProgressEffect);

// Order conditions of progressive effects, compiled once per expression (checkCampaign proved they compile).
const compiled = new Map<string, CompiledCondition>();
function condition(source: string): CompiledCondition {
  let c = compiled.get(source);
  if (!c) {
    const r = compileCondition(source);
    if (!r.ok) throw new Error(`progressive orderCondition no longer compiles: ${r.error.message}`);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, (c = r.value));
  }
  return c;
}

interface PastOrder {
  placedAt: Date;
  paid: number;
  refundedInFull: boolean;
  cel: CelOrder;
}

/**
 * What each progressive effect of these campaigns has reached for this customer: for a progressive
 * percentage, the visits or spend of the current period's orders meeting its condition (orders
 * recorded before this cart: the cart itself never counts); for a spend ladder, the lifetime spend.
 * Guests have no history: 0. One query, only when some campaign has a progressive percentage.
 */
export async function measureProgress(ex: Executor, program: Program, customerRowId: string | null, customer: CelCustomer, campaigns: readonly CompiledCampaign[], now: Date): Promise<Map<string, (number | undefined)[]>> {
  const effects = campaigns.flatMap((c) => c.def.effects.filter((e): e is Extract<ProgressEffect, { kind: "progressive_percent" }> => e.kind === "progressive_percent"));
  let orders: PastOrder[] = [];
  if (customerRowId && effects.length > 0) {
    const starts = effects.map((e) => periodStart(e.period, now, program.timeZone));
    const from = starts.includes(null) ? null : new Date(Math.min(...starts.map((s) => s!.getTime())));
    const withLines = effects.some((e) => e.orderCondition);
    const rs = await rows<{
      external_id: string; currency: string; subtotal: number; discount: number; shipping: number; tax: number; total: number; earning_base: number; weight: number;
      channel: string | null; store: string | null; refunded_amount: number; placed_at: string | Date; lines: { sku: string; name: string | null; category: string | null; quantity: number; unit_price: number; net: number; weight: number | null }[] | null;
    }>(
      ex,
      sql`select o.external_id, o.currency, o.subtotal::float8 as subtotal, o.discount::float8 as discount, o.shipping::float8 as shipping, o.tax::float8 as tax,
                 o.total::float8 as total, o.earning_base::float8 as earning_base, o.weight::float8 as weight, o.channel, o.store, o.refunded_amount::float8 as refunded_amount, o.placed_at,
                 ${withLines ? sql`(select json_agg(json_build_object('sku', l.sku, 'name', l.name, 'category', l.category, 'quantity', l.quantity, 'unit_price', l.unit_price, 'net', l.net, 'weight', l.weight) order by l.line_no)
                                     from order_lines l where l.order_id = o.id)` : sql`null`} as lines
            from orders o
           where o.program_id = ${program.id} and o.customer_id = ${customerRowId} ${from ? sql`and o.placed_at >= ${from.toISOString()}::timestamptz` : sql``}`,
    );
    orders = rs.map((r) => {
      const lines = (r.lines ?? []).map((l) => ({ sku: l.sku, name: l.name ?? "", category: l.category ?? "", quantity: l.quantity, unitPrice: Number(l.unit_price), net: Number(l.net), weight: Number(l.weight ?? 0) }));
      return {
        placedAt: new Date(r.placed_at), paid: Number(r.total) - Number(r.refunded_amount), refundedInFull: Number(r.refunded_amount) >= Number(r.total) && Number(r.total) > 0,
        cel: {
          id: r.external_id, currency: r.currency, subtotal: Number(r.subtotal), discount: Number(r.discount), shipping: Number(r.shipping), tax: Number(r.tax), total: Number(r.total),
          earningBase: Number(r.earning_base), weight: Number(r.weight), itemCount: lines.reduce((n, l) => n + l.quantity, 0), channel: r.channel ?? "", store: r.store ?? "", lines,
        },
      };
    });
  }
  const out = new Map<string, (number | undefined)[]>();
  for (const c of campaigns) {
    out.set(c.id, c.def.effects.map((e) => {
      if (e.kind === "spend_ladder") return customer.metrics.lifetimeSpend;
      if (e.kind !== "progressive_percent") return undefined;
      const start = periodStart(e.period, now, program.timeZone)?.getTime() ?? Number.NEGATIVE_INFINITY;
      const cond = e.orderCondition ? condition(e.orderCondition) : null;
      let figure = 0;
      for (const o of orders) {
        if (o.placedAt.getTime() < start || (e.basis === "visits" && o.refundedInFull)) continue;
        if (cond) {
          const input = { event: { id: "", type: "order.completed", name: "", occurredAt: o.placedAt, data: {} }, order: o.cel, customer, now, timeZone: program.timeZone };
          const r = runCondition(cond, input, celVariables(input));
          if (!("matched" in r) || !r.matched) continue;
        }
        figure += e.basis === "visits" ? 1 : o.paid;
      }
      return figure;
    }));
  }
  return out;
}

/** The campaign with its progressive effects' `progress` filled in (a copy: the cached campaign is shared). */
export function withProgress(c: CompiledCampaign, figures: readonly (number | undefined)[]): CompiledCampaign {
  return { ...c, def: { ...c.def, effects: c.def.effects.map((e, i) => (isProgressEffect(e) ? { ...e, progress: figures[i] ?? 0 } : e)) } };
}

/** The rate (percent) a progressive effect gives now, the next one and what it takes. */
export function rateView(e: ProgressEffect, progress: number): { percent: number; next: { percent: number; remaining: number } | null } {
  const now = currentRate({ ...e, progress });
  if (e.kind === "spend_ladder") {
    const step = e.steps.find((s) => s.from > progress);
    return { percent: now / 100, next: step ? { percent: step.percent, remaining: step.from - progress } : null };
  }
  if (now >= Math.round(e.maxPercent * 100)) return { percent: now / 100, next: null };
  const reached = Math.floor(progress / e.every);
  const nextRate = currentRate({ ...e, progress: (reached + 1) * e.every });
  return { percent: now / 100, next: { percent: nextRate / 100, remaining: (reached + 1) * e.every - progress } };
}
