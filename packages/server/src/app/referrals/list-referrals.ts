import { sql } from "drizzle-orm";
import { domainError, err, ok, type DomainError, type Result } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";

export const REFERRAL_STATUSES = ["attributed", "converted", "held", "blocked"] as const;

export interface ReferralView {
  id: string;
  /** Store ids of both sides. */
  referrerId: string;
  friendId: string;
  code: string;
  status: (typeof REFERRAL_STATUSES)[number];
  /** Why it was blocked or held (REFERRAL_FLAGS). */
  flags: string[];
  friendCode: string | null;
  attributedAt: string;
  convertedAt: string | null;
  reviewedAt: string | null;
}

/**
 * The program's referrals, newest first: the review queue (`status: "held"`), what was blocked and
 * why, or one referrer's. Errors: INVALID_CURSOR.
 */
export async function listReferrals(ex: Executor, programId: string, q: { limit: number; cursor?: string | undefined; status?: ReferralView["status"] | undefined; referrerId?: string | undefined }): Promise<Result<{ data: ReferralView[]; nextCursor: string | null }, DomainError>> {
  let before: string | null = null;
  if (q.cursor !== undefined) {
    before = decodeCursor(q.cursor, "rfl");
    if (!before) return err(domainError("INVALID_CURSOR", "The cursor is not one this API returned; start again without it."));
  }
  const rs = await rows<{ id: string; referrer: string; friend: string; code: string; status: ReferralView["status"]; flags: string[] | string; friend_code: string | null; attributed_at: Date | string; converted_at: Date | string | null; reviewed_at: Date | string | null }>(
    ex,
    sql`select r.id, rc.external_id as referrer, fc.external_id as friend, r.code, r.status, r.flags, r.friend_code, r.attributed_at, r.converted_at, r.reviewed_at
          from referrals r join customers rc on rc.id = r.referrer_id join customers fc on fc.id = r.friend_id
         where r.program_id = ${programId}
           ${q.status ? sql`and r.status = ${q.status}` : sql``}
           ${q.referrerId ? sql`and rc.program_id = ${programId} and rc.external_id = ${q.referrerId}` : sql``}
           ${before ? sql`and r.id < ${before}` : sql``}
         order by r.id desc limit ${q.limit + 1}`,
  );
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  // node-postgres parses text[]; PGlite through a raw query may hand back the array literal.
  const flags = (f: string[] | string) => (Array.isArray(f) ? f : f.replace(/^\{|\}$/g, "").split(",").filter(Boolean));
  const data = rs.slice(0, q.limit).map((r) => ({
    id: r.id, referrerId: r.referrer, friendId: r.friend, code: r.code, status: r.status, flags: flags(r.flags), friendCode: r.friend_code,
    attributedAt: iso(r.attributed_at)!, convertedAt: iso(r.converted_at), reviewedAt: iso(r.reviewed_at),
  }));
  return ok({ data, nextCursor: rs.length > q.limit ? encodeCursor(data[data.length - 1]!.id) : null });
}
