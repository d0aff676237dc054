import { sql } from "drizzle-orm";
import { domainError, err, levelOf, ok, setManually, type DomainError, type Result, type TierScheme } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import { ensureCustomers } from "../../db/orders-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { loadTiers, reachedBefore, tierCtes, type TierWrite } from "./tier-state.ts";
import { entryPoints, firstEntry, giveEntryRewards } from "./tier-gifts.ts";
import { levelKey, type TierEffect } from "./tier-batch.ts";
import { FreeRewards } from "../rewards/free-rewards.ts";

export interface SetTierInput {
  /** A level key, or null to take the tier away. */
  tier: string | null;
  reason: string;
  /** Until when the tier holds before its first review (null: never reviewed); default: the end of the current period. */
  reviewAt?: Date | null | undefined;
  /** Give the level's entry gifts (points, reward) if the customer never reached it before (default true). */
  gift?: boolean | undefined;
}

function schemeOf(program: Program): Result<TierScheme, DomainError> {
  return program.tiers ? ok(program.tiers) : err(domainError("TIERS_NOT_CONFIGURED", "This program has no tiers yet: PUT /v1/tiers first."));
}

function levelIn(scheme: TierScheme, key: string | null): Result<number, DomainError> {
  const level = levelOf(scheme, key);
  return level === undefined ? err(domainError("TIER_NOT_FOUND", `No level "${key}" in this program's tiers (levels: ${scheme.levels.map((l) => l.key).join(", ")}).`, { tier: key })) : ok(level);
}

/**
 * Sets a customer's tier by hand, with a reason (recorded in the history and the audit log). The
 * balance is locked before the tier, as everywhere (and reward rows after both). Gives the level's
 * entry points and entry reward the first time the customer reaches it.
 *
 * Errors: TIERS_NOT_CONFIGURED, TIER_NOT_FOUND, CUSTOMER_NOT_FOUND.
 */
export async function setTier(ctx: AppContext, tx: Tx, program: Program, externalId: string, input: SetTierInput, actor: string): Promise<Result<SetTierResult, DomainError>> {
  const scheme = schemeOf(program);
  if (!scheme.ok) return scheme;
  const level = levelIn(scheme.value, input.tier);
  if (!level.ok) return level;
  const customer = await getCustomer(tx, program.id, externalId);
  if (!customer.ok) return customer;
  const id = customer.value.id;
  const now = ctx.clock.now();
  const holdings = await loadHoldingsOf(tx, program.id, [{ customerId: id, asset: "points" }], now, { lots: false });
  const stored = (await loadTiers(tx, program.id, scheme.value, [id], now, true)).get(id)!;
  const decision = setManually(scheme.value, stored.state, level.value, "manual", now, program.timeZone, input.reviewAt !== undefined ? { reviewAt: input.reviewAt } : {});
  const writes: TierWrite[] = [{ id: ctx.ids.next("tch"), customerId: id, decision, source: "manual", reason: input.reason, occurredAt: now }];
  const ledger = new LedgerWrites(program.id);
  const rewards = new FreeRewards(ctx, program.id);
  const result: SetTierResult = { from: levelKey(scheme.value, decision.from), to: input.tier, giftPoints: 0 };
  const entered = input.gift !== false ? firstEntry(scheme.value, decision, id, await reachedBefore(tx, program.id, [id])) : null;
  if (entered) {
    const gift = entryPoints(ctx, { program, level: entered, kind: decision.kind, holdings: holdings.get(holdingKey(id, "points"))!, at: now, now });
    if (gift) {
      ledger.add(gift.meta, gift.plan, gift.after);
      result.giftPoints = gift.points;
    }
    if (entered.benefits.entryReward) await giveEntryRewards(tx, rewards, [{ customerId: id, level: entered, into: result }], now);
  }
  const parts = [ledger.ctes(now), tierCtes(program.id, scheme.value, writes, now), ...rewards.ctes(now)].filter((p) => p !== null);
  await tx.execute(sql`with ${sql.join(parts, sql`, `)} select 1`);
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "tier.set", target: externalId, reason: input.reason, data: { from: result.from, to: input.tier, ...(result.giftReward ? { redemptionId: result.giftReward.redemptionId } : {}) } });
  return ok(result);
}

/** What a manual tier change did: the change, and the entry gifts of a level reached for the first time. */
export type SetTierResult = Pick<TierEffect, "from" | "to" | "giftReward" | "giftRewardUnavailable"> & { giftPoints: number };

export interface TierImportRow {
  customerId: string;
  tier: string | null;
  since?: Date | undefined;
  reviewAt?: Date | null | undefined;
}

/**
 * Imports tiers a shop had before Patron (up to 1,000 rows): unknown customers are created, levels
 * are recorded as `import` in the history and give no entry gift (the customer had it before), and
 * count as reached, so reaching them again gives none either. All rows or none: a row naming an
 * unknown level refuses the whole import.
 *
 * Errors: TIERS_NOT_CONFIGURED, TIER_NOT_FOUND (with the row).
 */
export async function importTiers(ctx: AppContext, tx: Tx, program: Program, input: readonly TierImportRow[], actor: string): Promise<Result<{ imported: number }, DomainError>> {
  const scheme = schemeOf(program);
  if (!scheme.ok) return scheme;
  const levels: number[] = [];
  for (const [i, r] of input.entries()) {
    const level = levelIn(scheme.value, r.tier);
    if (!level.ok) return err({ ...level.error, details: { ...level.error.details, row: i } });
    levels.push(level.value);
  }
  const now = ctx.clock.now();
  const ids = await ensureCustomers(tx, program.id, input.map((r) => ({ id: ctx.ids.next("cus"), externalId: r.customerId })), now);
  const stored = await loadTiers(tx, program.id, scheme.value, [...ids.values()].map((c) => c.id), now, true);
  const writes: TierWrite[] = input.map((r, i) => {
    const id = ids.get(r.customerId)!.id;
    const decision = setManually(scheme.value, stored.get(id)!.state, levels[i]!, "import", now, program.timeZone, { ...(r.since ? { since: r.since } : {}), ...(r.reviewAt !== undefined ? { reviewAt: r.reviewAt } : {}) });
    stored.get(id)!.state = decision.state;
    return { id: ctx.ids.next("tch"), customerId: id, decision, source: "import", reason: "import", occurredAt: r.since ?? now };
  });
  const ctes = tierCtes(program.id, scheme.value, writes, now);
  if (ctes) await tx.execute(sql`with ${ctes} select 1`);
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "tiers.imported", target: null, reason: null, data: { rows: input.length } });
  return ok({ imported: input.length });
}
