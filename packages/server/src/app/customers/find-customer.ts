import { and, eq, gt, ilike, or, asc, arrayContains, type SQL } from "drizzle-orm";
import { err, ok, domainError, normalizeEmail, normalizePhone, type DomainError, type Result } from "@patron/core";
import type { Executor } from "../../db/connect.ts";
import { customers } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { toCustomerView, type CustomerView } from "./customer.ts";

/** Errors: CUSTOMER_NOT_FOUND. */
export async function getCustomer(ex: Executor, programId: string, externalId: string): Promise<Result<CustomerView, DomainError>> {
  const [row] = await ex
    .select()
    .from(customers)
    .where(and(eq(customers.programId, programId), eq(customers.externalId, externalId)));
  if (!row) return err(domainError("CUSTOMER_NOT_FOUND", `No customer with external id "${externalId}".`, { externalId }));
  return ok(toCustomerView(row));
}

export interface CustomerQuery {
  limit: number;
  cursor?: string | undefined;
  /** Free text: an email, a phone number, or part of a name. */
  q?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  tag?: string | undefined;
  status?: "active" | "blocked" | "erased" | undefined;
}


/**
 * Lists customers in creation order, a page at a time (the cursor is opaque: pass `nextCursor` back).
 *
 * Errors: INVALID_CURSOR.
 */
export async function listCustomers(ex: Executor, program: Program, q: CustomerQuery): Promise<Result<{ data: CustomerView[]; nextCursor: string | null }, DomainError>> {
  const where: SQL[] = [eq(customers.programId, program.id)];
  if (q.cursor !== undefined) {
    const after = decodeCursor(q.cursor, "cus");
    if (!after) return err(domainError("INVALID_CURSOR", "The cursor is not one this API returned; start again without it."));
    where.push(gt(customers.id, after));
  }
  if (q.email) where.push(eq(customers.email, normalizeEmail(q.email)));
  if (q.phone) where.push(eq(customers.phone, normalizePhone(q.phone, program.defaultCountry ?? undefined) ?? q.phone));
  if (q.tag) where.push(arrayContains(customers.tags, [q.tag]));
  if (q.status) where.push(eq(customers.status, q.status));
  if (q.q) {
    const text = q.q.trim();
    const phone = normalizePhone(text, program.defaultCountry ?? undefined);
    const escaped = text.replace(/[\\%_]/g, (m) => `\\${m}`);
    const any: SQL[] = [eq(customers.email, normalizeEmail(text)), ilike(customers.name, `%${escaped}%`), eq(customers.externalId, text)];
    if (phone) any.push(eq(customers.phone, phone));
    where.push(or(...any)!);
  }
  const rs = await ex
    .select()
    .from(customers)
    .where(and(...where))
    .orderBy(asc(customers.id))
    .limit(q.limit + 1);
  const page = rs.slice(0, q.limit).map(toCustomerView);
  const nextCursor = rs.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null;
  return ok({ data: page, nextCursor });
}
