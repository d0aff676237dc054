import { and, asc, eq, isNull } from "drizzle-orm";
import { err, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { apiKeys } from "../../db/schema.ts";
import type { KeyKind, KeyView } from "./create-key.ts";
import { recordAudit } from "../audit.ts";

const view = (r: typeof apiKeys.$inferSelect): KeyView => ({ id: r.id, kind: r.kind as KeyKind, name: r.name, hint: r.hint, createdAt: r.createdAt, revokedAt: r.revokedAt });

export async function listKeys(ex: Executor, programId: string): Promise<KeyView[]> {
  const rs = await ex.select().from(apiKeys).where(eq(apiKeys.programId, programId)).orderBy(asc(apiKeys.id));
  return rs.map(view);
}

/**
 * Revokes a key; revoking a revoked key returns it unchanged (idempotent).
 *
 * Errors: KEY_NOT_FOUND.
 */
export async function revokeKey(ctx: AppContext, ex: Executor, programId: string, keyId: string, actor: string): Promise<Result<KeyView, DomainError>> {
  const now = ctx.clock.now();
  const [updated] = await ex
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.programId, programId), eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .returning();
  if (updated) {
    await recordAudit(ctx, ex, { programId, actor, action: "key.revoked", target: keyId, reason: null, data: {} });
    return ok(view(updated));
  }
  const [existing] = await ex.select().from(apiKeys).where(and(eq(apiKeys.programId, programId), eq(apiKeys.id, keyId)));
  if (!existing) return err({ code: "KEY_NOT_FOUND", message: `No key ${keyId} in this program.`, details: { keyId } });
  return ok(view(existing));
}
