import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { checkCampaign, domainError, err, normalizePromoCode, ok, type CampaignDefinition, type CampaignKind, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";
import { campaigns } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { toCampaign, type Campaign, type CampaignStatus, type CodeCounts } from "./campaign.ts";
import { bumpCampaignsVersion, lockCampaignWrites } from "./campaign-lock.ts";

/** CAMPAIGN_NOT_FOUND for `id`, worded the same everywhere. */
export const campaignNotFound = (id: string) => domainError("CAMPAIGN_NOT_FOUND", `No campaign "${id}" in this program.`, { id });
/** CAMPAIGN_ARCHIVED: `what` is what the campaign cannot do ("change", "be enabled"). */
export const campaignArchived = (id: string, what: string) => domainError("CAMPAIGN_ARCHIVED", `Campaign "${id}" is archived and cannot ${what}. Create a new campaign instead.`, { id });

/**
 * The definition as stored: the code in its normal form, absent optional fields as null, so the
 * stored JSON has one shape whatever the request left out.
 */
function normalise(def: CampaignDefinition): CampaignDefinition {
  return {
    name: def.name, description: def.description ?? null, kind: def.kind, code: def.code ? normalizePromoCode(def.code) : null, schedule: def.schedule ?? null,
    audience: def.audience ?? null, condition: def.condition ?? null, effects: def.effects, stacking: def.stacking, group: def.group ?? null, priority: def.priority, limits: def.limits ?? {},
  };
}

/**
 * Whether `code` is free in the program: not another campaign's reusable code nor a bulk code. Runs
 * under lockCampaignWrites, so no concurrent write can take it between this check and the insert.
 */
async function codeTaken(ex: Executor, programId: string, code: string, self: string | null): Promise<DomainError | null> {
  const [hit] = await rows<{ campaign_id: string; bulk: boolean }>(
    ex,
    sql`(select id as campaign_id, false as bulk from campaigns where program_id = ${programId} and code = ${code} and id <> ${self ?? ""})
        union all
        (select campaign_id, true as bulk from campaign_codes where program_id = ${programId} and code = ${code})
        limit 1`,
  );
  if (!hit) return null;
  const whose = hit.bulk ? `a bulk code of campaign ${hit.campaign_id}` : `the code of campaign ${hit.campaign_id}`;
  return domainError("CODE_TAKEN", `The code "${code}" is already ${whose}; codes are unique in a program.`, { field: "code", code, campaignId: hit.campaign_id });
}

/**
 * What only the database knows: a follow_up_code names a bulk_codes campaign of this program that is
 * not archived, and a partner_code names a partner_coupon reward of this program.
 */
async function checkReferences(ex: Executor, programId: string, def: CampaignDefinition): Promise<DomainError | null> {
  for (const [i, e] of def.effects.entries()) {
    if (e.kind === "follow_up_code") {
      const [c] = await rows<{ kind: string; status: string }>(ex, sql`select kind, status from campaigns where program_id = ${programId} and id = ${e.campaignId}`);
      if (!c || c.kind !== "bulk_codes" || c.status === "archived") {
        const why = !c ? "there is no such campaign" : c.kind !== "bulk_codes" ? `it is a ${c.kind} campaign` : "it is archived";
        return domainError("CAMPAIGN_INVALID", `A follow-up code is issued from a bulk_codes campaign of this program; "${e.campaignId}" cannot be used: ${why}.`, { field: `effects.${i}.campaignId` });
      }
    }
    if (e.kind === "partner_code") {
      const [r] = await rows<{ kind: string }>(ex, sql`select kind from rewards where program_id = ${programId} and id = ${e.rewardId}`);
      if (!r || r.kind !== "partner_coupon") {
        return domainError("CAMPAIGN_INVALID", `A partner code is drawn from a partner_coupon reward of this program; "${e.rewardId}" is ${r ? `a ${r.kind} reward` : "no reward here"}.`, { field: `effects.${i}.rewardId` });
      }
    }
  }
  return null;
}

/** The checks that read the database, on a definition checkCampaign has passed and normalise has stored-shaped. */
async function checkAgainstProgram(ex: Executor, programId: string, def: CampaignDefinition, self: string | null): Promise<DomainError | null> {
  const taken = def.code ? await codeTaken(ex, programId, def.code, self) : null;
  return taken ?? (await checkReferences(ex, programId, def));
}

/**
 * Creates a campaign at version 1, enabled unless `status` says otherwise.
 *
 * Errors: CAMPAIGN_INVALID (details.field names what to fix; conditions also give start and end),
 * CODE_TAKEN.
 */
export async function createCampaign(ctx: AppContext, tx: Executor, program: Program, input: CampaignDefinition, status: "enabled" | "disabled", actor: string): Promise<Result<Campaign, DomainError>> {
  // Checked before the typed code is normalised, so a code that cannot be one is named as typed.
  const invalid = checkCampaign(input);
  if (invalid) return err(invalid);
  const def = normalise(input);
  await lockCampaignWrites(tx, program.id);
  const bad = await checkAgainstProgram(tx, program.id, def, null);
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const id = ctx.ids.next("cmp");
  await tx.insert(campaigns).values({ id, programId: program.id, name: def.name, kind: def.kind, code: def.code ?? null, status, version: 1, definition: def, createdAt: now, updatedAt: now });
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "campaign.created", target: id, reason: null, data: { version: 1, kind: def.kind, status } });
  await campaignsChanged(ctx, tx, program.id);
  return ok((await getCampaign(tx, program.id, id))!);
}

/**
 * Changes a campaign's definition: the fields given replace the current ones (send every field to
 * replace the whole definition), and the result is saved as the next version. Redemptions name the
 * version they were made under; the audit entry keeps the definition it replaced. The kind cannot
 * change (a bulk_codes campaign's codes would be orphaned).
 *
 * Errors: CAMPAIGN_NOT_FOUND, CAMPAIGN_ARCHIVED, CAMPAIGN_INVALID, CODE_TAKEN.
 */
export async function updateCampaign(ctx: AppContext, tx: Executor, program: Program, id: string, patch: Partial<CampaignDefinition>, actor: string): Promise<Result<Campaign, DomainError>> {
  await lockCampaignWrites(tx, program.id);
  const [row] = await tx.select().from(campaigns).where(and(eq(campaigns.programId, program.id), eq(campaigns.id, id))).for("update");
  if (!row) return err(campaignNotFound(id));
  if (row.status === "archived") return err(campaignArchived(id, "change"));
  if (patch.kind !== undefined && patch.kind !== row.kind) return err(domainError("CAMPAIGN_INVALID", `A campaign's kind cannot change (it is ${row.kind}); create a new campaign.`, { field: "kind" }));
  const previous = row.definition as CampaignDefinition;
  const merged = { ...previous, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as CampaignDefinition;
  const invalid = checkCampaign(merged);
  if (invalid) return err(invalid);
  const def = normalise(merged);
  const bad = await checkAgainstProgram(tx, program.id, def, id);
  if (bad) return err(bad);
  const version = row.version + 1;
  await tx.update(campaigns).set({ name: def.name, code: def.code ?? null, version, definition: def, updatedAt: ctx.clock.now() }).where(eq(campaigns.id, id));
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "campaign.updated", target: id, reason: null, data: { version, changed: Object.keys(patch), previous } });
  await campaignsChanged(ctx, tx, program.id);
  return ok((await getCampaign(tx, program.id, id))!);
}

/**
 * Enables, disables or archives a campaign. Archiving is final; it also frees the campaign's
 * reusable code for a new campaign (the archived one still shows it). Setting the status a campaign
 * already has changes nothing.
 *
 * Errors: CAMPAIGN_NOT_FOUND, CAMPAIGN_ARCHIVED.
 */
export async function setCampaignStatus(ctx: AppContext, tx: Executor, program: Program, id: string, status: CampaignStatus, actor: string): Promise<Result<Campaign, DomainError>> {
  await lockCampaignWrites(tx, program.id);
  const [row] = await tx.select().from(campaigns).where(and(eq(campaigns.programId, program.id), eq(campaigns.id, id))).for("update");
  if (!row) return err(campaignNotFound(id));
  if (row.status === "archived" && status !== "archived") return err(campaignArchived(id, `be ${status}`));
  if (row.status !== status) {
    await tx.update(campaigns).set({ status, ...(status === "archived" ? { code: null } : {}), updatedAt: ctx.clock.now() }).where(eq(campaigns.id, id));
    await recordAudit(ctx, tx, { programId: program.id, actor, action: `campaign.${status}`, target: id, reason: null, data: { version: row.version, from: row.status } });
    await campaignsChanged(ctx, tx, program.id);
  }
  return ok((await getCampaign(tx, program.id, id))!);
}

/** After a write, in its transaction: every process's cache reloads, this one's at once. */
export async function campaignsChanged(ctx: AppContext, tx: Executor, programId: string): Promise<void> {
  await bumpCampaignsVersion(tx, programId);
  ctx.campaigns.invalidate(programId);
}

/** One campaign of the program, or null. */
export async function getCampaign(ex: Executor, programId: string, id: string): Promise<Campaign | null> {
  return (await listCampaigns(ex, programId, { ids: [id] }))[0] ?? null;
}

/** The program's campaigns, oldest first, optionally of one status or kind. */
export async function listCampaigns(ex: Executor, programId: string, opts: { status?: CampaignStatus | undefined; kind?: CampaignKind | undefined; ids?: string[] } = {}): Promise<Campaign[]> {
  const where = [eq(campaigns.programId, programId)];
  if (opts.status) where.push(eq(campaigns.status, opts.status));
  if (opts.kind) where.push(eq(campaigns.kind, opts.kind));
  if (opts.ids) where.push(inArray(campaigns.id, opts.ids));
  const rs = await ex.select().from(campaigns).where(and(...where)).orderBy(asc(campaigns.createdAt), asc(campaigns.id));
  const counts = await codeCounts(ex, programId, rs.filter((r) => r.kind === "bulk_codes").map((r) => r.id));
  return rs.map((r) => toCampaign(r, counts.get(r.id) ?? null));
}

/** Codes per bulk_codes campaign, and how many have been used at least once. */
export async function codeCounts(ex: Executor, programId: string, ids: string[]): Promise<Map<string, CodeCounts>> {
  const out = new Map<string, CodeCounts>();
  if (ids.length === 0) return out;
  const rs = await rows<{ campaign_id: string; total: number; used: number }>(
    ex,
    sql`select campaign_id, count(*)::int as total, count(*) filter (where used > 0)::int as used
          from campaign_codes where program_id = ${programId} and campaign_id in ${sql`(${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`} group by campaign_id`,
  );
  for (const r of rs) out.set(r.campaign_id, { total: Number(r.total), used: Number(r.used) });
  return out;
}
