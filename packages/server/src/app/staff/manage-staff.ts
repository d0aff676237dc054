import { and, asc, eq, sql } from "drizzle-orm";
import { domainError, err, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { staffMembers } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { hashPin, verifyPin } from "./pin.ts";
import { sha256 } from "../json.ts";
import { toStaffMember, type StaffMember } from "./staff-member.ts";

/**
 * The active staff member whose PIN this is, or null. Every candidate is checked (in parallel on the
 * thread pool), whether or not an earlier one matched, so the time taken says nothing about which.
 * `staffId` narrows the search to one member.
 */
export async function findStaffByPin(ex: Executor, programId: string, pin: string, staffId?: string): Promise<typeof staffMembers.$inferSelect | null> {
  const where = [eq(staffMembers.programId, programId), eq(staffMembers.status, "active")];
  if (staffId !== undefined) where.push(eq(staffMembers.id, staffId));
  const candidates = await ex.select().from(staffMembers).where(and(...where));
  const matches = await Promise.all(candidates.map((s) => verifyPin(pin, s.pinHash)));
  return candidates.find((_, i) => matches[i]) ?? null;
}

/** The active staff member holding this badge key, or null (the key is looked up by its hash). */
export async function findStaffByKey(ex: Executor, programId: string, key: string): Promise<typeof staffMembers.$inferSelect | null> {
  const [row] = await ex.select().from(staffMembers).where(and(eq(staffMembers.programId, programId), eq(staffMembers.keyHash, sha256(key)), eq(staffMembers.status, "active")));
  return row ?? null;
}

/**
 * Issues a staff member a badge key (`stk_…`, shown once; only its hash is kept), to confirm in the
 * shop by scanning a card or a phone instead of typing the PIN. A new key replaces the old one, which
 * stops working at once. Errors: STAFF_NOT_FOUND, and STAFF_NOT_ACTIVE for a disabled member.
 */
export async function issueStaffKey(ctx: AppContext, tx: Executor, program: Program, id: string, actor: string): Promise<Result<{ staff: StaffMember; key: string }, DomainError>> {
  const [row] = await tx.select().from(staffMembers).where(and(eq(staffMembers.programId, program.id), eq(staffMembers.id, id))).for("update");
  if (!row) return err(domainError("STAFF_NOT_FOUND", `No staff member "${id}" in this program.`, { id }));
  if (row.status !== "active") return err(domainError("STAFF_NOT_ACTIVE", "This staff member is disabled; a disabled member confirms nothing and gets no key.", { id }));
  const key = `stk_${ctx.secrets.secret()}`;
  const [updated] = await tx.update(staffMembers).set({ keyHash: sha256(key), updatedAt: ctx.clock.now() }).where(eq(staffMembers.id, id)).returning();
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "staff.key_issued", target: id, reason: null, data: { replaced: row.keyHash !== null } });
  return ok({ staff: toStaffMember(updated!), key });
}

/**
 * Adds a staff member who can confirm stamps and custom actions in the shop with their PIN. PINs are
 * unique among the program's active staff (a confirmation names no one, so the PIN says who it is);
 * staff writes of a program are serialised on the program row so two new members cannot take the
 * same PIN at once. The PIN is stored as a salted scrypt hash and never returned.
 *
 * Errors: STAFF_PIN_TAKEN.
 */
export async function createStaff(ctx: AppContext, tx: Executor, program: Program, input: { name: string; store?: string | null | undefined; pin: string }, actor: string): Promise<Result<StaffMember, DomainError>> {
  await tx.execute(sql`select id from programs where id = ${program.id} for no key update`);
  if (await findStaffByPin(tx, program.id, input.pin)) {
    return err(domainError("STAFF_PIN_TAKEN", "Another active staff member has this PIN; choose another. (A confirmation names no one: the PIN says who confirmed.)", { field: "pin" }));
  }
  const now = ctx.clock.now();
  const id = ctx.ids.next("stf");
  const pinHash = await hashPin(input.pin, ctx.secrets.randomBytes(16));
  const [row] = await tx.insert(staffMembers).values({ id, programId: program.id, name: input.name, store: input.store ?? null, pinHash, status: "active", createdAt: now, updatedAt: now }).returning();
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "staff.created", target: id, reason: null, data: { name: input.name, store: input.store ?? null } });
  return ok(toStaffMember(row!));
}

/** Disables a staff member: their PIN confirms nothing from now on (and becomes free for others). Idempotent. Error: STAFF_NOT_FOUND. */
export async function disableStaff(ctx: AppContext, tx: Executor, program: Program, id: string, actor: string): Promise<Result<StaffMember, DomainError>> {
  const [row] = await tx.select().from(staffMembers).where(and(eq(staffMembers.programId, program.id), eq(staffMembers.id, id))).for("update");
  if (!row) return err(domainError("STAFF_NOT_FOUND", `No staff member "${id}" in this program.`, { id }));
  if (row.status === "disabled") return ok(toStaffMember(row));
  const [updated] = await tx.update(staffMembers).set({ status: "disabled", updatedAt: ctx.clock.now() }).where(eq(staffMembers.id, id)).returning();
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "staff.disabled", target: id, reason: null, data: {} });
  return ok(toStaffMember(updated!));
}

/** The program's staff, oldest first, optionally of one status. */
export async function listStaff(ex: Executor, programId: string, status?: "active" | "disabled"): Promise<StaffMember[]> {
  const where = [eq(staffMembers.programId, programId)];
  if (status) where.push(eq(staffMembers.status, status));
  const rs = await ex.select().from(staffMembers).where(and(...where)).orderBy(asc(staffMembers.createdAt), asc(staffMembers.id));
  return rs.map(toStaffMember);
}
