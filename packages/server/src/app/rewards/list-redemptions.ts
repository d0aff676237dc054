import { and, desc, eq } from "drizzle-orm";
import { formatCode, type DomainError, type Result, ok } from "@patron/core";
import type { Executor } from "../../db/connect.ts";
import { redemptions } from "../../db/schema.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { externalIdOf } from "./cancel-redemption.ts";
import { toRedemption, type Redemption } from "./reward.ts";

/** A customer's redemptions, newest first (at most 500). Error: CUSTOMER_NOT_FOUND. */
export async function listRedemptions(ex: Executor, programId: string, externalId: string, now: Date): Promise<Result<Redemption[], DomainError>> {
  const c = await getCustomer(ex, programId, externalId);
  if (!c.ok) return c;
  const rs = await ex.select().from(redemptions).where(and(eq(redemptions.programId, programId), eq(redemptions.customerId, c.value.id))).orderBy(desc(redemptions.createdAt), desc(redemptions.id)).limit(500);
  return ok(rs.map((r) => toRedemption(r, externalId, now, formatCode)));
}

export async function getRedemption(ex: Executor, programId: string, id: string, now: Date): Promise<Redemption | null> {
  const [r] = await ex.select().from(redemptions).where(and(eq(redemptions.programId, programId), eq(redemptions.id, id)));
  return r ? toRedemption(r, await externalIdOf(ex, r.customerId), now, formatCode) : null;
}
