import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { domainError, err, ok, type DomainError, type Result } from "@patron/core";
import type { Executor } from "../db/connect.ts";
import { auditLog } from "../db/schema.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";

export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  reason: string | null;
  data: Record<string, unknown>;
  at: string;
}

/**
 * The program's audit log, newest first, a page at a time, optionally for one action or target.
 *
 * Errors: INVALID_CURSOR.
 */
export async function listAuditLog(ex: Executor, programId: string, q: { limit: number; cursor?: string | undefined; action?: string | undefined; target?: string | undefined }): Promise<Result<{ data: AuditEntry[]; nextCursor: string | null }, DomainError>> {
  const where: SQL[] = [eq(auditLog.programId, programId)];
  if (q.cursor !== undefined) {
    const before = decodeCursor(q.cursor, "aud");
    if (!before) return err(domainError("INVALID_CURSOR", "The cursor is not one this API returned; start again without it."));
    where.push(lt(auditLog.id, before));
  }
  if (q.action) where.push(eq(auditLog.action, q.action));
  if (q.target) where.push(eq(auditLog.target, q.target));
  const rs = await ex.select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.id)).limit(q.limit + 1);
  const data = rs.slice(0, q.limit).map((r) => ({ id: r.id, actor: r.actor, action: r.action, target: r.target, reason: r.reason, data: r.data as Record<string, unknown>, at: r.at.toISOString() }));
  return ok({ data, nextCursor: rs.length > q.limit ? encodeCursor(data[data.length - 1]!.id) : null });
}
