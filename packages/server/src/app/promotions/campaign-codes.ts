import { and, eq, sql } from "drizzle-orm";
import { checkCodePattern, codeFromPattern, DEFAULT_CODE_PATTERN, domainError, err, normalizePromoCode, ok, patternRandomBytes, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Db, type Executor } from "../../db/connect.ts";
import { eachPage, streamFromSnapshot } from "../../db/snapshot-stream.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { campaigns } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { lockCampaignWrites } from "./campaign-lock.ts";
import type { CodeCounts } from "./campaign.ts";
import { campaignArchived, campaignNotFound, campaignsChanged, codeCounts } from "./manage-campaigns.ts";

export const MAX_GENERATE = 100_000;
/** Rows per INSERT: one text[] parameter each, so the statement stays small whatever the count. */
const CHUNK = 10_000;
/**
 * Rounds of generation before giving up. Each round draws only what the previous ones could not
 * insert; with at least 29^10 possible codes a second round is already rare, a tenth means a bug.
 */
const MAX_ROUNDS = 10;

/** How the codes added to a campaign may be used. */
export interface CodeTerms {
  /** Completed orders one code may be used on (default 1). */
  maxUses?: number | undefined;
  /** ISO 8601; null or absent: the codes do not expire (the campaign's schedule still applies). */
  expiresAt?: string | null | undefined;
}

/** One bulk code as the API shows it. */
export interface CampaignCode {
  code: string;
  used: number;
  maxUses: number;
  expiresAt: string | null;
  /** Your id of the only customer who may use it (personal follow-up codes); null: anyone. */
  customerId: string | null;
  /** A code with its own value (follow-up codes worth a share of an order), minor units. */
  value: number | null;
  createdAt: string;
}

/** The campaign that codes are added to or read from: in the program, a bulk_codes one; not archived when `writing`. */
async function bulkCampaign(ex: Executor, programId: string, id: string, writing: boolean): Promise<DomainError | null> {
  const [row] = await ex.select({ kind: campaigns.kind, status: campaigns.status }).from(campaigns).where(and(eq(campaigns.programId, programId), eq(campaigns.id, id)));
  if (!row) return campaignNotFound(id);
  if (row.kind !== "bulk_codes") return domainError("CAMPAIGN_INVALID", `Only bulk_codes campaigns have codes of their own; "${id}" is a ${row.kind} campaign.`, { field: "kind" });
  if (writing && row.status === "archived") return campaignArchived(id, "get new codes");
  return null;
}

function checkTerms(terms: CodeTerms, now: Date): DomainError | null {
  if (terms.maxUses !== undefined && !(Number.isSafeInteger(terms.maxUses) && terms.maxUses >= 1)) return domainError("CAMPAIGN_INVALID", "maxUses is a whole number, at least 1.", { field: "maxUses" });
  if (terms.expiresAt && Date.parse(terms.expiresAt) <= now.getTime()) return domainError("CAMPAIGN_INVALID", "The codes would expire before they are made: give an expiresAt in the future.", { field: "expiresAt" });
  return null;
}

/** Inserts codes that are not in the program yet; returns the ones inserted (a code anyone holds already is skipped). */
async function insertCodes(tx: Executor, programId: string, campaignId: string, codes: string[], terms: CodeTerms, now: Date): Promise<string[]> {
  const inserted: string[] = [];
  for (let i = 0; i < codes.length; i += CHUNK) {
    const got = await rows<{ code: string }>(
      tx,
      sql`insert into campaign_codes (program_id, code, campaign_id, customer_id, max_uses, used, value, expires_at, created_at)
          select ${programId}, c, ${campaignId}, null, ${terms.maxUses ?? 1}, 0, null, ${terms.expiresAt ? new Date(terms.expiresAt).toISOString() : null}::timestamptz, ${now.toISOString()}::timestamptz
            from unnest(${textArray(codes.slice(i, i + CHUNK))}) as c
          on conflict do nothing
          returning code`,
    );
    for (const r of got) inserted.push(r.code);
  }
  return inserted;
}

async function countsOf(ex: Executor, programId: string, campaignId: string): Promise<CodeCounts> {
  return (await codeCounts(ex, programId, [campaignId])).get(campaignId) ?? { total: 0, used: 0 };
}

/**
 * Generates `count` new unique codes (1 to 100,000) for a bulk_codes campaign from a pattern (`#`: a
 * random character; default ####-####-####), stored in normal form. Codes that collide with any code
 * of the program are drawn again, so exactly `count` new codes exist afterwards.
 *
 * Errors: CAMPAIGN_NOT_FOUND, CAMPAIGN_ARCHIVED, CAMPAIGN_INVALID (not a bulk_codes campaign, a weak
 * pattern, bad terms).
 */
export async function generateCampaignCodes(
  ctx: AppContext,
  tx: Executor,
  program: Program,
  campaignId: string,
  input: CodeTerms & { count: number; pattern?: string | undefined },
  actor: string,
): Promise<Result<{ generated: number; pattern: string; codes: CodeCounts }, DomainError>> {
  const pattern = input.pattern ?? DEFAULT_CODE_PATTERN;
  const now = ctx.clock.now();
  if (!(Number.isSafeInteger(input.count) && input.count >= 1 && input.count <= MAX_GENERATE)) return err(domainError("CAMPAIGN_INVALID", `count is 1 to ${MAX_GENERATE}.`, { field: "count" }));
  const weak = checkCodePattern(pattern);
  if (weak) return err(domainError("CAMPAIGN_INVALID", weak, { field: "pattern" }));
  const terms = checkTerms(input, now);
  if (terms) return err(terms);
  await lockCampaignWrites(tx, program.id);
  const bad = await bulkCampaign(tx, program.id, campaignId, true);
  if (bad) return err(bad);
  // Reusable codes are few; a bulk code equal to one would never be reached (checkout looks them up first).
  const reusable = new Set((await rows<{ code: string }>(tx, sql`select code from campaigns where program_id = ${program.id} and code is not null`)).map((r) => r.code));
  const per = patternRandomBytes(pattern);
  let made = 0;
  for (let round = 1; made < input.count; round++) {
    if (round > MAX_ROUNDS) throw new Error(`generating codes for ${campaignId}: ${input.count - made} of ${input.count} still colliding after ${MAX_ROUNDS} rounds`);
    const want = input.count - made;
    const random = ctx.secrets.randomBytes(want * per);
    const fresh = new Set<string>();
    for (let i = 0; i < want; i++) {
      const code = normalizePromoCode(codeFromPattern(pattern, random.subarray(i * per, (i + 1) * per)))!;
      if (!reusable.has(code)) fresh.add(code);
    }
    made += (await insertCodes(tx, program.id, campaignId, [...fresh], input, now)).length;
  }
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "campaign.codes_generated", target: campaignId, reason: null, data: { count: input.count, pattern, maxUses: input.maxUses ?? 1, expiresAt: input.expiresAt ?? null } });
  await campaignsChanged(ctx, tx, program.id);
  return ok({ generated: made, pattern, codes: await countsOf(tx, program.id, campaignId) });
}

const DUPLICATES_SHOWN = 100;

/**
 * Adds the merchant's own codes to a bulk_codes campaign, normalised. All or nothing: a code that is
 * not a code, or that another campaign holds (as its reusable code or a bulk code), refuses the whole
 * upload. Codes repeated in the upload or already in this campaign are skipped and reported.
 *
 * Errors: CAMPAIGN_NOT_FOUND, CAMPAIGN_ARCHIVED, CAMPAIGN_INVALID, CODE_TAKEN.
 */
export async function importCampaignCodes(
  ctx: AppContext,
  tx: Executor,
  program: Program,
  campaignId: string,
  input: CodeTerms & { lines: { line: number; typed: string }[] },
  actor: string,
): Promise<Result<{ added: number; duplicates: number; duplicateCodes: string[]; codes: CodeCounts }, DomainError>> {
  const now = ctx.clock.now();
  const normal: string[] = [];
  for (const l of input.lines) {
    const code = normalizePromoCode(l.typed);
    if (code === null) {
      return err(domainError("CAMPAIGN_INVALID", `Line ${l.line}: "${l.typed.slice(0, 80)}" is not a code (3 to 64 letters and digits; spaces and hyphens are ignored).`, { field: "codes", line: l.line }));
    }
    normal.push(code);
  }
  if (normal.length === 0) return err(domainError("CAMPAIGN_INVALID", "The upload holds no codes.", { field: "codes" }));
  const terms = checkTerms(input, now);
  if (terms) return err(terms);
  await lockCampaignWrites(tx, program.id);
  const bad = await bulkCampaign(tx, program.id, campaignId, true);
  if (bad) return err(bad);

  const unique = [...new Set(normal)];
  const holders = new Map<string, { campaignId: string; reusable: boolean }>();
  for (let i = 0; i < unique.length; i += CHUNK) {
    const part = textArray(unique.slice(i, i + CHUNK));
    // Each code looked up by its key (a lateral subquery with a LIMIT is never flattened into a join):
    // with `code = any(…)` and no statistics yet, PostgreSQL chose a sequential scan that compared
    // every row of the table with all 10,000 codes, 10 s a chunk once a program held 100,000 codes.
    const hits = await rows<{ code: string; campaign_id: string; reusable: boolean }>(
      tx,
      sql`select h.code, h.campaign_id, h.reusable
            from unnest(${part}) as x(code)
            cross join lateral (
              (select c.code, c.id as campaign_id, true as reusable from campaigns c where c.program_id = ${program.id} and c.code = x.code limit 1)
              union all
              (select k.code, k.campaign_id, false as reusable from campaign_codes k where k.program_id = ${program.id} and k.code = x.code limit 1)
            ) h`,
    );
    for (const h of hits) holders.set(h.code, { campaignId: h.campaign_id, reusable: h.reusable });
  }
  const taken = unique.filter((c) => holders.has(c) && holders.get(c)!.campaignId !== campaignId);
  if (taken.length > 0) {
    const first = holders.get(taken[0]!)!;
    return err(
      domainError("CODE_TAKEN", `${taken.length} of the codes belong to other campaigns, "${taken[0]}" to campaign ${first.campaignId}${first.reusable ? " (its reusable code)" : ""}; nothing was added.`, {
        field: "codes", code: taken[0], campaignId: first.campaignId, taken: taken.length, codes: taken.slice(0, DUPLICATES_SHOWN),
      }),
    );
  }
  const fresh = unique.filter((c) => !holders.has(c));
  const added = (await insertCodes(tx, program.id, campaignId, fresh, input, now)).length;
  const seen = new Set<string>();
  const duplicateCodes = new Set<string>();
  for (const c of normal) {
    if (seen.has(c) || holders.has(c)) duplicateCodes.add(c);
    seen.add(c);
  }
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "campaign.codes_imported", target: campaignId, reason: null, data: { added, duplicates: normal.length - added, maxUses: input.maxUses ?? 1, expiresAt: input.expiresAt ?? null } });
  await campaignsChanged(ctx, tx, program.id);
  return ok({ added, duplicates: normal.length - added, duplicateCodes: [...duplicateCodes].slice(0, DUPLICATES_SHOWN), codes: await countsOf(tx, program.id, campaignId) });
}

/**
 * A page of a bulk_codes campaign's codes, in code order; pass `nextCursor` back as `cursor`.
 *
 * Errors: CAMPAIGN_NOT_FOUND, CAMPAIGN_INVALID (not a bulk_codes campaign), INVALID_CURSOR.
 */
export async function listCampaignCodes(ex: Executor, programId: string, campaignId: string, q: { limit: number; cursor?: string | undefined }): Promise<Result<{ data: CampaignCode[]; nextCursor: string | null }, DomainError>> {
  let after = "";
  if (q.cursor) {
    // The rest is a normalised code, not a ULID.
    const decoded = decodeCursor(q.cursor, "code", /^[A-Z0-9]+$/);
    if (!decoded) return err(domainError("INVALID_CURSOR", "The cursor is not one this list gave out."));
    after = decoded.slice("code_".length);
  }
  const bad = await bulkCampaign(ex, programId, campaignId, false);
  if (bad) return err(bad);
  const rs = await rows<{ code: string; used: number; max_uses: number; expires_at: string | Date | null; value: number | null; created_at: string | Date; customer: string | null }>(
    ex,
    sql`select k.code, k.used, k.max_uses, k.expires_at, k.value::float8 as value, k.created_at, c.external_id as customer
          from campaign_codes k left join customers c on c.id = k.customer_id
         where k.campaign_id = ${campaignId} and k.program_id = ${programId} and k.code > ${after}
         order by k.code limit ${q.limit + 1}`,
  );
  const iso = (d: string | Date | null) => (d === null ? null : new Date(d).toISOString());
  const data = rs.slice(0, q.limit).map((r) => ({
    code: r.code, used: Number(r.used), maxUses: Number(r.max_uses), expiresAt: iso(r.expires_at), customerId: r.customer, value: r.value === null ? null : Number(r.value), createdAt: iso(r.created_at)!,
  }));
  return ok({ data, nextCursor: rs.length > q.limit ? encodeCursor(`code_${data[data.length - 1]!.code}`) : null });
}

/** A CSV cell: quoted when it must be, and a leading = + - @ defused so a spreadsheet does not run it. */
function cell(v: string | number | null): string {
  if (v === null) return "";
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Every code of a bulk_codes campaign as CSV: `code,used,max_uses,expires_at,customer`, in code
 * order, streamed from one snapshot a page at a time as the client reads it (snapshot-stream.ts): a
 * campaign of a million codes cost the server 118 MB of RSS when the file was built whole.
 *
 * Errors: CAMPAIGN_NOT_FOUND, CAMPAIGN_INVALID.
 */
export function streamCampaignCodes(db: Db, programId: string, campaignId: string, log: { error(o: object): void }): Promise<Result<ReadableStream<Uint8Array>, DomainError>> {
  return streamFromSnapshot<DomainError>(db, log, `export of the codes of ${campaignId}`, async (tx, out) => {
    const bad = await bulkCampaign(tx, programId, campaignId, false);
    if (bad) return bad;
    out.start();
    await out.write("code,used,max_uses,expires_at,customer\n");
    const query = sql`select k.code, k.used, k.max_uses, k.expires_at, c.external_id as customer
                        from campaign_codes k left join customers c on c.id = k.customer_id
                       where k.campaign_id = ${campaignId} and k.program_id = ${programId} order by k.code`;
    await eachPage(tx, "codes", query, 5_000, async (rows) => {
      let text = "";
      for (const r of rows) {
        const expires = r.expires_at === null ? null : new Date(r.expires_at as string | Date).toISOString();
        text += `${[r.code as string, Number(r.used), Number(r.max_uses), expires, r.customer as string | null].map(cell).join(",")}\n`;
      }
      await out.write(text);
    });
    return undefined;
  });
}

/**
 * A personal code of a live bulk_codes campaign, usable once by `customerId` (null: by anyone) until `expiresAt` (a
 * follow-up code, a referred friend's first-order code). False when the campaign is not a live
 * bulk_codes campaign of the program: nothing is issued.
 */
export async function issuePersonalCode(tx: Executor, x: { programId: string; campaignId: string; code: string; customerId: string | null; value: number | null; expiresAt: Date; now: Date }): Promise<boolean> {
  const inserted = await rows<{ code: string }>(
    tx,
    sql`insert into campaign_codes (program_id, code, campaign_id, customer_id, max_uses, used, value, expires_at, created_at)
        select ${x.programId}, ${x.code}, c.id, ${x.customerId}, 1, 0, ${x.value}::bigint, ${x.expiresAt.toISOString()}::timestamptz, ${x.now.toISOString()}::timestamptz
          from campaigns c where c.program_id = ${x.programId} and c.id = ${x.campaignId} and c.kind = 'bulk_codes' and c.status <> 'archived'
        returning code`,
  );
  return inserted.length > 0;
}
