import { and, eq } from "drizzle-orm";
import { err, ok, domainError, normalizeEmail, normalizePhone, isValidTimeZone, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { customers } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { toCustomerView, type CustomerInput, type CustomerView } from "./customer.ts";

/**
 * Validates and normalises profile fields: email lower-cased, phone in E.164 (read in the program's
 * default country when it has no country code).
 *
 * Errors: INVALID_PHONE, INVALID_TIME_ZONE.
 */
export function normalizeCustomerInput(program: Program, input: CustomerInput): Result<CustomerInput, DomainError> {
  const out: CustomerInput = { ...input };
  if (typeof input.email === "string") out.email = normalizeEmail(input.email);
  if (typeof input.phone === "string") {
    const phone = normalizePhone(input.phone, program.defaultCountry ?? undefined);
    if (!phone) {
      return err(domainError("INVALID_PHONE", `"${input.phone}" is not a phone number; send it in international form such as +84901234567.`, { field: "phone" }));
    }
    out.phone = phone;
  }
  if (typeof input.timeZone === "string" && !isValidTimeZone(input.timeZone)) {
    return err(domainError("INVALID_TIME_ZONE", `"${input.timeZone}" is not an IANA time zone.`, { field: "timeZone" }));
  }
  return ok(out);
}

function columns(input: CustomerInput, current?: CustomerView) {
  const set: Partial<typeof customers.$inferInsert> = {};
  if (input.email !== undefined) set.email = input.email;
  if (input.phone !== undefined) set.phone = input.phone;
  if (input.name !== undefined) set.name = input.name;
  if (input.birthday !== undefined) set.birthday = input.birthday;
  if (input.locale !== undefined) set.locale = input.locale;
  if (input.timeZone !== undefined) set.timeZone = input.timeZone;
  if (input.consent !== undefined) set.consent = { email: false, sms: false, ...current?.consent, ...input.consent };
  if (input.attributes !== undefined) set.attributes = input.attributes;
  if (input.tags !== undefined) set.tags = [...new Set(input.tags)];
  if (input.status !== undefined) set.status = input.status;
  return set;
}

/**
 * Creates the customer with this external id, or updates the fields given. Returns whether it was created.
 *
 * Errors: INVALID_PHONE, INVALID_TIME_ZONE.
 */
export async function upsertCustomer(
  ctx: AppContext,
  ex: Executor,
  program: Program,
  externalId: string,
  raw: CustomerInput,
): Promise<Result<{ customer: CustomerView; created: boolean }, DomainError>> {
  const normalized = normalizeCustomerInput(program, raw);
  if (!normalized.ok) return normalized;
  const input = normalized.value;
  const now = ctx.clock.now();
  const [existing] = await ex
    .select()
    .from(customers)
    .where(and(eq(customers.programId, program.id), eq(customers.externalId, externalId)))
    .for("update");
  if (existing) {
    const set = columns(input, toCustomerView(existing));
    if (Object.keys(set).length === 0) return ok({ customer: toCustomerView(existing), created: false });
    const [row] = await ex.update(customers).set({ ...set, updatedAt: now }).where(eq(customers.id, existing.id)).returning();
    return ok({ customer: toCustomerView(row!), created: false });
  }
  const [row] = await ex
    .insert(customers)
    .values({
      id: ctx.ids.next("cus"),
      programId: program.id,
      externalId,
      consent: { email: false, sms: false },
      attributes: {},
      tags: [],
      status: "active",
      ...columns(input),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return ok({ customer: toCustomerView(row!), created: true });
}

/**
 * Updates an existing customer (PATCH): unlike upsert, an unknown external id is an error.
 *
 * Errors: CUSTOMER_NOT_FOUND, INVALID_PHONE, INVALID_TIME_ZONE.
 */
export async function updateCustomer(ctx: AppContext, ex: Executor, program: Program, externalId: string, raw: CustomerInput): Promise<Result<CustomerView, DomainError>> {
  const [existing] = await ex
    .select({ id: customers.id })
    .from(customers)
    .where(and(eq(customers.programId, program.id), eq(customers.externalId, externalId)))
    // Locked until the update: an erase committing in between released the id, and the upsert then
    // created a new customer under it (PATCH answered 200 with a new id, 19 times in 30 races).
    .for("update");
  if (!existing) return err(domainError("CUSTOMER_NOT_FOUND", `No customer with external id "${externalId}".`, { externalId }));
  const r = await upsertCustomer(ctx, ex, program, externalId, raw);
  return r.ok ? ok(r.value.customer) : r;
}
