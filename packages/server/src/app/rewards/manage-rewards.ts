import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { compileCondition, domainError, err, ok, type DomainError, type LimitPeriod, type Result, type RewardConfig, type RewardKind } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
import { rewardPoolCodes, rewards } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { AT_CHECKOUT, toReward, type Reward, type RewardStatus } from "./reward.ts";

export interface RewardInput {
  name: string;
  description?: string | null | undefined;
  kind: RewardKind;
  config: RewardConfig;
  cost: number;
  minOrder?: number | null | undefined;
  validDays?: number | null | undefined;
  activeFrom?: string | null | undefined;
  activeTo?: string | null | undefined;
  stock?: number | null | undefined;
  perCustomer?: { max: number; per: LimitPeriod } | null | undefined;
  condition?: string | null | undefined;
}

const NEEDS: Partial<Record<RewardKind, (keyof RewardConfig)[]>> = {
  fixed_discount: ["amount"],
  percent_discount: ["percent"],
  free_product: ["sku"],
  partner_coupon: ["partner"],
  wallet_credit: ["asset", "amount"],
};
const ALLOWED: Record<RewardKind, (keyof RewardConfig)[]> = {
  fixed_discount: ["amount"],
  percent_discount: ["percent", "cap"],
  free_product: ["sku"],
  free_shipping: [],
  partner_coupon: ["partner"],
  physical_gift: [],
  wallet_credit: ["asset", "amount", "expiry"],
};

/** What the schema cannot say: the config fits the kind, the condition type-checks, the dates are in order. Error: REWARD_INVALID. */
export function checkReward(r: RewardInput): DomainError | null {
  const bad = (field: string, message: string, extra: Record<string, unknown> = {}) => domainError("REWARD_INVALID", message, { field, ...extra });
  for (const k of NEEDS[r.kind] ?? []) if (r.config[k] === undefined) return bad(`config.${k}`, `A ${r.kind} reward needs config.${k}.`);
  for (const k of Object.keys(r.config) as (keyof RewardConfig)[]) if (!ALLOWED[r.kind].includes(k)) return bad(`config.${k}`, `config.${k} does not apply to a ${r.kind} reward.`);
  const usedAtCheckout = AT_CHECKOUT.has(r.kind);
  if (r.kind === "wallet_credit" && r.validDays != null) return bad("validDays", "A wallet credit has no code to expire; give config.expiry to make the credit itself expire.");
  if (r.minOrder != null && !usedAtCheckout) return bad("minOrder", "A minimum order applies to rewards used at checkout (discounts, free product, free shipping).");
  if (r.activeFrom && r.activeTo && Date.parse(r.activeFrom) >= Date.parse(r.activeTo)) return bad("activeTo", "The reward stops being available before it starts.");
  if (r.condition) {
    const c = compileCondition(r.condition);
    if (!c.ok) return bad("condition", `The condition is not valid CEL for this context: ${c.error.message}`, { start: c.error.start ?? null, end: c.error.end ?? null });
  }
  return null;
}

const notFound = (id: string) => domainError("REWARD_NOT_FOUND", `No reward "${id}" in this program.`, { id });

export async function createReward(ctx: AppContext, tx: Executor, program: Program, input: RewardInput, status: "enabled" | "disabled", actor: string): Promise<Result<Reward, DomainError>> {
  const bad = checkReward(input);
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const id = ctx.ids.next("rwd");
  await tx.insert(rewards).values({
    id, programId: program.id, name: input.name, description: input.description ?? null, kind: input.kind, config: input.config, cost: input.cost,
    minOrder: input.minOrder ?? null, validDays: input.validDays ?? null, activeFrom: input.activeFrom ? new Date(input.activeFrom) : null,
    activeTo: input.activeTo ? new Date(input.activeTo) : null, stock: input.stock ?? null, issued: 0, perCustomer: input.perCustomer ?? null,
    condition: input.condition ?? null, status, createdAt: now, updatedAt: now,
  });
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "reward.created", target: id, reason: null, data: { kind: input.kind, cost: input.cost } });
  return ok((await getReward(tx, program.id, id))!);
}

/** Changes apply to later redemptions; issued ones keep the reward as it was. Errors: REWARD_NOT_FOUND, REWARD_INVALID. */
export async function updateReward(ctx: AppContext, tx: Executor, program: Program, id: string, patch: Partial<RewardInput> & { status?: RewardStatus | undefined }, actor: string): Promise<Result<Reward, DomainError>> {
  const [row] = await tx.select().from(rewards).where(and(eq(rewards.programId, program.id), eq(rewards.id, id))).for("update");
  if (!row) return err(notFound(id));
  if (row.status === "archived") return err(domainError("REWARD_INVALID", `Reward "${id}" is archived and cannot change.`, { field: "status" }));
  const current = toReward(row, null);
  const merged: RewardInput = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && k !== "status")) } as RewardInput;
  if (patch.kind !== undefined && patch.kind !== row.kind) return err(domainError("REWARD_INVALID", "A reward's kind cannot change; create a new reward.", { field: "kind" }));
  const bad = checkReward(merged);
  if (bad) return err(bad);
  await tx
    .update(rewards)
    .set({
      name: merged.name, description: merged.description ?? null, config: merged.config, cost: merged.cost, minOrder: merged.minOrder ?? null, validDays: merged.validDays ?? null,
      activeFrom: merged.activeFrom ? new Date(merged.activeFrom) : null, activeTo: merged.activeTo ? new Date(merged.activeTo) : null, stock: merged.stock ?? null,
      perCustomer: merged.perCustomer ?? null, condition: merged.condition ?? null, status: patch.status ?? row.status, updatedAt: ctx.clock.now(),
    })
    .where(eq(rewards.id, id));
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "reward.updated", target: id, reason: null, data: { changed: Object.keys(patch) } });
  return ok((await getReward(tx, program.id, id))!);
}

export async function getReward(ex: Executor, programId: string, id: string): Promise<Reward | null> {
  return (await listRewards(ex, programId, { ids: [id] }))[0] ?? null;
}

export async function listRewards(ex: Executor, programId: string, opts: { status?: RewardStatus | undefined; ids?: string[] } = {}): Promise<Reward[]> {
  const where = [eq(rewards.programId, programId)];
  if (opts.status) where.push(eq(rewards.status, opts.status));
  if (opts.ids) where.push(inArray(rewards.id, opts.ids));
  const rs = await ex.select().from(rewards).where(and(...where)).orderBy(asc(rewards.cost), asc(rewards.id));
  const pools = rs.filter((r) => r.kind === "partner_coupon").map((r) => r.id);
  const free = new Map<string, number>();
  if (pools.length) {
    const counts = await rows<{ reward_id: string; n: number }>(
      ex,
      sql`select reward_id, count(*)::int as n from reward_pool_codes where reward_id in ${sql`(${sql.join(pools.map((p) => sql`${p}`), sql`, `)})`} and redemption_id is null group by reward_id`,
    );
    for (const c of counts) free.set(c.reward_id, Number(c.n));
  }
  return rs.map((r) => toReward(r, r.kind === "partner_coupon" ? (free.get(r.id) ?? 0) : null));
}

/**
 * Adds partner codes to a partner_coupon reward's pool, as listed (a CSV upload is read by
 * codesFromCsv first; a list is taken as it is). Codes already in the pool are skipped, not doubled.
 * Errors: REWARD_NOT_FOUND, REWARD_INVALID.
 */
export async function addPoolCodes(ctx: AppContext, tx: Executor, program: Program, id: string, listed: readonly string[], actor: string): Promise<Result<{ added: number; duplicates: number; available: number }, DomainError>> {
  const reward = await getReward(tx, program.id, id);
  if (!reward) return err(notFound(id));
  if (reward.kind !== "partner_coupon") return err(domainError("REWARD_INVALID", "Only partner_coupon rewards have a pool of codes.", { field: "kind" }));
  const codes = [...new Set(listed)];
  const tooLong = codes.find((c) => c.length > 100 || !/^[\x21-\x7e]+$/.test(c));
  if (tooLong !== undefined) return err(domainError("REWARD_INVALID", `Codes are 1 to 100 printable ASCII characters without spaces; "${tooLong.slice(0, 40)}" is not.`, { field: "codes" }));
  if (codes.length === 0) return err(domainError("REWARD_INVALID", "The CSV holds no codes.", { field: "codes" }));
  const now = ctx.clock.now();
  let added = 0;
  for (let i = 0; i < codes.length; i += 5000) {
    const chunk = codes.slice(i, i + 5000);
    const inserted = await tx.insert(rewardPoolCodes).values(chunk.map((code) => ({ rewardId: id, code, redemptionId: null, uploadedAt: now }))).onConflictDoNothing().returning({ code: rewardPoolCodes.code });
    added += inserted.length;
  }
  // Duplicates: repeated in the upload or already in the pool.
  const duplicates = listed.length - added;
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "reward.codes_added", target: id, reason: null, data: { added, duplicates } });
  const after = await getReward(tx, program.id, id);
  return ok({ added, duplicates, available: after!.available ?? 0 });
}
