import { and, asc, eq } from "drizzle-orm";
import { checkStampCard, domainError, err, ok, type DomainError, type Result, type StampCardDefinition } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { stampCards } from "../../db/schema.ts";
import { checkFreeReward } from "../rewards/free-rewards.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { normaliseStampCard, toStampCard, type StampCard, type StampCardStatus } from "./stamp-card.ts";

/** STAMP_CARD_NOT_FOUND for `id`, worded the same everywhere. */
export const stampCardNotFound = (id: string) => domainError("STAMP_CARD_NOT_FOUND", `No stamp card "${id}" in this program.`, { id });

/** What only the database knows: a reward card names a reward of this program that can be given for free (rewards/free-rewards.ts). */
async function checkReward(ex: Executor, programId: string, def: StampCardDefinition): Promise<DomainError | null> {
  if (def.reward.kind !== "reward") return null;
  const bad = await checkFreeReward(ex, programId, def.reward.rewardId);
  return bad ? domainError("STAMP_CARD_INVALID", `A full card issues a reward of this program's catalogue for free: ${bad.message}`, { field: "reward.rewardId", reason: bad.reason }) : null;
}

/**
 * Creates a stamp card, enabled unless `status` says otherwise. Enabled cards stamp every later
 * order of an active customer whose lines qualify.
 *
 * Errors: STAMP_CARD_INVALID (details.field names what to fix; the condition also gives start and end).
 */
export async function createStampCard(ctx: AppContext, tx: Executor, program: Program, input: StampCardDefinition, status: "enabled" | "disabled", actor: string): Promise<Result<StampCard, DomainError>> {
  const def = normaliseStampCard(input);
  const bad = checkStampCard(def) ?? (await checkReward(tx, program.id, def));
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const id = ctx.ids.next("stc");
  await tx.insert(stampCards).values({ id, programId: program.id, name: def.name, definition: def, status, createdAt: now, updatedAt: now });
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "stamp_card.created", target: id, reason: null, data: { status, stamps: def.stamps, reward: def.reward } });
  ctx.stamps.invalidate(program.id);
  return ok((await getStampCard(tx, program.id, id))!);
}

/**
 * Changes a card: the fields given replace the current ones, and `status` enables or disables it.
 * Stamps already given stay on the customers' cards; a new size applies from the next stamp (a card
 * that now holds enough completes then). The audit entry keeps the definition it replaced.
 *
 * Errors: STAMP_CARD_NOT_FOUND, STAMP_CARD_INVALID (also for an archived card).
 */
export async function updateStampCard(
  ctx: AppContext,
  tx: Executor,
  program: Program,
  id: string,
  patch: Partial<StampCardDefinition> & { status?: "enabled" | "disabled" | undefined },
  actor: string,
): Promise<Result<StampCard, DomainError>> {
  const [row] = await tx.select().from(stampCards).where(and(eq(stampCards.programId, program.id), eq(stampCards.id, id))).for("update");
  if (!row) return err(stampCardNotFound(id));
  if (row.status === "archived") return err(domainError("STAMP_CARD_INVALID", `Stamp card "${id}" is archived and cannot change; create a new card.`, { field: "status" }));
  const { status, ...changes } = patch;
  const previous = row.definition as StampCardDefinition;
  const def = normaliseStampCard({ ...previous, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) } as StampCardDefinition);
  const bad = checkStampCard(def) ?? (await checkReward(tx, program.id, def));
  if (bad) return err(bad);
  const next = status ?? (row.status as StampCardStatus);
  await tx.update(stampCards).set({ name: def.name, definition: def, status: next, updatedAt: ctx.clock.now() }).where(eq(stampCards.id, id));
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "stamp_card.updated", target: id, reason: null, data: { changed: Object.keys(patch), from: row.status, status: next, previous } });
  ctx.stamps.invalidate(program.id);
  return ok((await getStampCard(tx, program.id, id))!);
}

/**
 * Archives a card: final. It gives no more stamps and leaves customers' lists; stamps on it stay in
 * the ledger (and still expire). Archiving an archived card changes nothing. Error: STAMP_CARD_NOT_FOUND.
 */
export async function archiveStampCard(ctx: AppContext, tx: Executor, program: Program, id: string, actor: string): Promise<Result<StampCard, DomainError>> {
  const [row] = await tx.select().from(stampCards).where(and(eq(stampCards.programId, program.id), eq(stampCards.id, id))).for("update");
  if (!row) return err(stampCardNotFound(id));
  if (row.status !== "archived") {
    await tx.update(stampCards).set({ status: "archived", updatedAt: ctx.clock.now() }).where(eq(stampCards.id, id));
    await recordAudit(ctx, tx, { programId: program.id, actor, action: "stamp_card.archived", target: id, reason: null, data: { from: row.status } });
    ctx.stamps.invalidate(program.id);
  }
  return ok((await getStampCard(tx, program.id, id))!);
}

export async function getStampCard(ex: Executor, programId: string, id: string): Promise<StampCard | null> {
  const [r] = await ex.select().from(stampCards).where(and(eq(stampCards.programId, programId), eq(stampCards.id, id)));
  return r ? toStampCard(r) : null;
}

/** The program's stamp cards, oldest first, optionally of one status. */
export async function listStampCards(ex: Executor, programId: string, opts: { status?: StampCardStatus | undefined } = {}): Promise<StampCard[]> {
  const where = [eq(stampCards.programId, programId)];
  if (opts.status) where.push(eq(stampCards.status, opts.status));
  const rs = await ex.select().from(stampCards).where(and(...where)).orderBy(asc(stampCards.createdAt), asc(stampCards.id));
  return rs.map(toStampCard);
}
