import { sql } from "drizzle-orm";
import { domainError, err, ok, reviewDue, reviewedWindow, tierProgress, windowStart, type DomainError, type Result, type TierBasis, type TierBenefits, type TierChangeKind, type TierProgress, type TierWindow } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { measureMany } from "./tier-metrics.ts";
import { loadTiers } from "./tier-state.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";

export interface TierChangeView {
  id: string;
  customerId: string;
  from: string | null;
  to: string | null;
  kind: TierChangeKind;
  reason: string | null;
  metric: number | null;
  occurredAt: string;
}

export interface CustomerTierView {
  tier: { key: string; name: string; since: string; reviewAt: string | null; reviewTakesEffectAt: string | null; source: "earned" | "manual" | "import"; reason: string | null } | null;
  benefits: TierBenefits;
  basis: TierBasis;
  window: TierWindow;
  progress: TierProgress;
  history: TierChangeView[];
}

const FAR = new Date("9999-12-31T00:00:00Z");

/**
 * A customer's tier, its benefits, progress ("Spend ₫40,000 more by 31 December 2026 to keep Gold")
 * and the last 20 changes.
 *
 * Errors: TIERS_NOT_CONFIGURED, CUSTOMER_NOT_FOUND.
 */
export async function readCustomerTier(ctx: AppContext, ex: Executor, program: Program, externalId: string): Promise<Result<CustomerTierView, DomainError>> {
  const scheme = program.tiers;
  if (!scheme) return err(domainError("TIERS_NOT_CONFIGURED", "This program has no tiers yet: PUT /v1/tiers first."));
  const customer = await getCustomer(ex, program.id, externalId);
  if (!customer.ok) return customer;
  const id = customer.value.id;
  const now = ctx.clock.now();
  const stored = (await loadTiers(ex, program.id, scheme, [id], now, false)).get(id)!;
  const { state } = stored;
  const from = windowStart(scheme.window, now, program.timeZone);
  // Keeping is judged on the window the next review looks at; inside grace, on the current window.
  const keepFrom = state.reviewAt && state.reviewAt.getTime() > now.getTime() ? reviewedWindow(scheme.window, state.reviewAt, program.timeZone).from : from;
  const [metric, keepMetric] = await measureMany(ex, program.id, scheme.basis, [{ customerId: id, from, to: FAR }, { customerId: id, from: keepFrom, to: FAR }]);
  const progress = tierProgress({ scheme, state, metric: metric!, keepMetric: keepMetric!, now, timeZone: program.timeZone, currency: program.currency, pointsPlural: program.pointsPlural });
  const level = state.level >= 0 ? scheme.levels[state.level]! : null;
  const history = await listTierChanges(ex, program, { customerId: id, limit: 20, newestFirst: true });
  if (!history.ok) return history;
  return ok({
    tier: level ? {
      key: level.key, name: level.name, since: state.since.toISOString(), reviewAt: state.reviewAt?.toISOString() ?? null,
      reviewTakesEffectAt: state.reviewAt ? reviewDue(state.reviewAt, scheme.graceDays, program.timeZone).toISOString() : null, source: stored.source as "earned" | "manual" | "import", reason: stored.reason,
    } : null,
    benefits: level?.benefits ?? {},
    basis: scheme.basis,
    window: scheme.window,
    progress,
    history: history.value.data.map((h) => ({ ...h, customerId: externalId })),
  });
}

/**
 * Tier changes in the order they were recorded, for the whole program or one customer (internal id),
 * a page at a time: the feed an integration polls to react to upgrades and downgrades.
 *
 * Errors: INVALID_CURSOR.
 */
export async function listTierChanges(ex: Executor, program: Program, q: { customerId?: string | undefined; limit: number; cursor?: string | undefined; newestFirst?: boolean }): Promise<Result<{ data: TierChangeView[]; nextCursor: string | null }, DomainError>> {
  const after = q.cursor ? decodeCursor(q.cursor, "tch") : null;
  if (q.cursor && !after) return err(domainError("INVALID_CURSOR", "The cursor is not one this API returned; start again without it."));
  const rs = await rows<{ id: string; external_id: string | null; from_tier: string | null; to_tier: string | null; kind: string; reason: string | null; metric: number | null; occurred_at: string | Date }>(
    ex,
    sql`select t.id, c.external_id, t.from_tier, t.to_tier, t.kind, t.reason, t.metric::float8 as metric, t.occurred_at
          from tier_changes t left join customers c on c.id = t.customer_id
         where t.program_id = ${program.id}
           ${q.customerId ? sql`and t.customer_id = ${q.customerId}` : sql``}
           ${after ? (q.newestFirst ? sql`and t.id < ${after}` : sql`and t.id > ${after}`) : sql``}
         order by t.id ${q.newestFirst ? sql`desc` : sql`asc`} limit ${q.limit + 1}`,
  );
  const page = rs.slice(0, q.limit);
  return ok({
    data: page.map((r) => ({ id: r.id, customerId: r.external_id ?? "", from: r.from_tier, to: r.to_tier, kind: r.kind as TierChangeKind, reason: r.reason, metric: r.metric === null ? null : Number(r.metric), occurredAt: new Date(r.occurred_at).toISOString() })),
    nextCursor: rs.length > q.limit ? encodeCursor(page.at(-1)!.id) : null,
  });
}
