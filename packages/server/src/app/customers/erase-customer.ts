import { and, eq, sql, type SQL } from "drizzle-orm";
import { domainError, err, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Tx } from "../../db/connect.ts";
import { customers } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { getCustomer } from "./find-customer.ts";

/**
 * Erases a customer's personal data on request. The profile is emptied and the store's id
 * released (the same external id later makes a new customer); event payloads are blanked and
 * stored responses that mention the customer are deleted. Ledger rows, orders and balances stay
 * under the opaque `cus_…` id, so the ledger still balances and program figures stay right.
 *
 * Errors: CUSTOMER_NOT_FOUND.
 */
export async function eraseCustomer(ctx: AppContext, tx: Tx, program: Program, externalId: string, input: { actor: string; reason: string }): Promise<Result<{ id: string; erasedAt: string }, DomainError>> {
  const found = await getCustomer(tx, program.id, externalId);
  if (!found.ok) return found;
  const id = found.value.id;
  const now = ctx.clock.now();
  const [row] = await tx
    .update(customers)
    .set({ externalId: null, email: null, phone: null, name: null, birthday: null, locale: null, timeZone: null, attributes: {}, tags: [], consent: { email: false, sms: false }, status: "erased", erasedAt: now, updatedAt: now })
    .where(and(eq(customers.programId, program.id), eq(customers.id, id)))
    .returning({ id: customers.id });
  if (!row) return err(domainError("CUSTOMER_NOT_FOUND", `No customer with external id "${externalId}".`));
  await tx.execute(sql`update events set data = '{"erased":true}'::jsonb where program_id = ${program.id} and customer_id = ${id} and type in ('customer.signed_up', 'custom')`);
  await tx.execute(sql`delete from idempotency_keys where program_id = ${program.id} and scope <> 'event' and response like ${`%${id}%`}`);
  // Stored event results (kept forever, for replays) name the customer by the store's id: swap in the
  // opaque one. They are the customer's own events and those of the friends they referred (whose
  // results name them as `referrerId`, and as `customerId` of a referrer's tier change); on the
  // events' rows, and on the idempotency rows of events recorded before 2026-11-24. Both are found
  // through the events of those customers (indexed), not by scanning every result of the program:
  // that scan read one row per event the program ever had.
  const storeId = `"customerId":${JSON.stringify(externalId)}`;
  const opaque = `"customerId":${JSON.stringify(id)}`;
  const asReferrer = `"referrerId":${JSON.stringify(externalId)}`;
  const asReferrerOpaque = `"referrerId":${JSON.stringify(id)}`;
  const whose = sql`(select ${id}::text union all select friend_id from referrals where program_id = ${program.id} and referrer_id = ${id})`;
  const named = (column: SQL) => sql`(strpos(${column}, ${storeId}) > 0 or strpos(${column}, ${asReferrer}) > 0)`;
  const swapped = (column: SQL) => sql`replace(replace(${column}, ${storeId}, ${opaque}), ${asReferrer}, ${asReferrerOpaque})`;
  await tx.execute(sql`update events set response = ${swapped(sql`response`)}
                        where program_id = ${program.id} and customer_id in ${whose} and ${named(sql`response`)}`);
  await tx.execute(sql`update idempotency_keys set response = ${swapped(sql`response`)}
                        where program_id = ${program.id} and scope = 'event'
                          and key in (select external_id from events where program_id = ${program.id} and customer_id in ${whose})
                          and ${named(sql`response`)}`);
  // The audit line names the opaque id only: the log itself must not keep the personal data.
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: "customer.erased", target: id, reason: input.reason, data: {} });
  return ok({ id, erasedAt: now.toISOString() });
}
