import { sql } from "drizzle-orm";
import { domainError, type DomainError } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { inTransaction } from "../../db/tx.ts";
import { LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import { requestHash } from "../json.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { ingestInTransaction } from "../events/ingest-events.ts";
import { FreeRewards } from "../rewards/free-rewards.ts";
import { StampBatch } from "../stamps/stamp-batch.ts";
import type { StampEffect } from "../stamps/stamp-effects.ts";
import { stampCardNotFound } from "../stamps/manage-stamp-cards.ts";
import { findStaffByKey, findStaffByPin } from "./manage-staff.ts";

export type StaffAction = { kind: "stamp"; cardId: string; count: number } | { kind: "custom"; name: string; data: Record<string, unknown> };

export interface StaffConfirmationInput {
  /** The confirmation's id: its idempotency key, forever. */
  id: string;
  /** The staff member's PIN, or… */
  pin?: string | undefined;
  /** …their badge key (`stk_…`). */
  key?: string | undefined;
  staffId?: string | undefined;
  /** The store's id of the customer. */
  customerId: string;
  action: StaffAction;
}

export interface StaffConfirmationResult {
  id: string;
  staff: { id: string; name: string; store: string | null };
  customerId: string;
  action: StaffAction;
  stamps?: StampEffect;
  earningSkipped?: "CUSTOMER_BLOCKED";
  event?: { eventId: string; effects: Record<string, unknown> };
  confirmedAt: string;
}

const SCOPE = "staff_confirmation";

class Refused extends Error {
  constructor(readonly error: DomainError) {
    super(error.code);
  }
}

/**
 * A stamp or a custom action confirmed in the shop by a staff member's PIN or badge key.
 *
 * - The PIN is checked first, against the program's active staff (or the one `staffId` names): any
 *   mismatch is STAFF_PIN_INVALID, without saying whether the PIN or the member was wrong.
 * - `id` makes it idempotent forever: the same id and action (by the same staff member) answer the
 *   first result again, flagged `replayed`; another action under the same id is IDEMPOTENCY_CONFLICT.
 *   The PIN is not part of what is compared or stored. A refused confirmation leaves nothing behind
 *   and may be sent again with the same id.
 * - A stamp: `count` stamps on the card (capped by its maxPerOrder and limits, like an order), and
 *   cards completed exactly as orders complete them. The ledger transactions name the staff member.
 * - A custom action: a `custom` event named `name` is ingested, with `data.confirmedBy` set to the
 *   staff id, so earning rules on that event apply ("brought own cup"); their credits name the staff member.
 *
 * Errors: STAFF_PIN_INVALID, IDEMPOTENCY_CONFLICT, CUSTOMER_NOT_FOUND, STAMP_CARD_NOT_FOUND,
 * STAMP_CARD_DISABLED, and a custom event's own refusals.
 */
export async function confirmStaffAction(ctx: AppContext, program: Program, input: StaffConfirmationInput, actor: string): Promise<{ ok: true; value: StaffConfirmationResult; replayed: boolean } | { ok: false; error: DomainError }> {
  const staff = input.key !== undefined
    ? await findStaffByKey(ctx.db, program.id, input.key)
    : await findStaffByPin(ctx.db, program.id, input.pin ?? "", input.staffId);
  if (!staff) {
    return { ok: false, error: input.key !== undefined ? domainError("STAFF_KEY_INVALID", "No active staff member holds this key.") : domainError("STAFF_PIN_INVALID", "No active staff member has this PIN.") };
  }
  const hash = requestHash({ customerId: input.customerId, action: input.action, staffId: staff.id });
  try {
    return await inTransaction(ctx.db, async (tx) => {
      const [inserted] = await rows<{ key: string }>(
        tx,
        sql`insert into idempotency_keys (program_id, scope, key, request_hash, created_at)
            values (${program.id}, ${SCOPE}, ${input.id}, ${hash}, ${ctx.clock.now().toISOString()}::timestamptz)
            on conflict do nothing returning key`,
      );
      if (!inserted) {
        const [stored] = await rows<{ request_hash: string; response: string | null }>(tx, sql`select request_hash, response from idempotency_keys where program_id = ${program.id} and scope = ${SCOPE} and key = ${input.id}`);
        if (stored && stored.request_hash === hash && stored.response !== null) return { ok: true as const, value: JSON.parse(stored.response) as StaffConfirmationResult, replayed: true };
        throw new Refused(domainError("IDEMPOTENCY_CONFLICT", `Confirmation "${input.id}" was already made with another action or by another staff member. Give a new confirmation a new id.`, { id: input.id }));
      }
      const value = await confirm(ctx, tx, program, input, { id: staff.id, name: staff.name, store: staff.store }, actor);
      await tx.execute(sql`update idempotency_keys set status = 200, response = ${JSON.stringify(value)} where program_id = ${program.id} and scope = ${SCOPE} and key = ${input.id}`);
      return { ok: true as const, value, replayed: false };
    });
  } catch (e) {
    // Thrown to roll the transaction back: the id is free again, nothing was written.
    if (e instanceof Refused) return { ok: false, error: e.error };
    throw e;
  }
}

async function confirm(ctx: AppContext, tx: Tx, program: Program, input: StaffConfirmationInput, staff: StaffConfirmationResult["staff"], actor: string): Promise<StaffConfirmationResult> {
  const now = ctx.clock.now();
  const found = await getCustomer(tx, program.id, input.customerId);
  if (!found.ok) throw new Refused(found.error);
  const customer = found.value;
  const result: StaffConfirmationResult = { id: input.id, staff, customerId: input.customerId, action: input.action, confirmedAt: now.toISOString() };
  const action = input.action;
  if (action.kind === "custom") {
    const [r] = await ingestInTransaction(ctx, tx, program, [
      { id: `staff-confirmation:${input.id}`, type: "custom", customerId: input.customerId, name: action.name, occurredAt: now, data: { ...action.data, confirmedBy: staff.id } },
    ]);
    if (r!.status === "rejected") throw new Refused(r!.error);
    result.event = { eventId: r!.eventId, effects: r!.effects as Record<string, unknown> };
  } else {
    const rewards = new FreeRewards(ctx, program.id);
    const batch = await StampBatch.open(ctx, tx, program, rewards);
    const card = batch?.card(action.cardId) ?? "missing";
    if (card === "missing" || card === "archived") throw new Refused(stampCardNotFound(action.cardId));
    if (card === "disabled") throw new Refused(domainError("STAMP_CARD_DISABLED", `Stamp card "${action.cardId}" is disabled: it gives no stamps until it is enabled again.`, { id: action.cardId }));
    if (customer.status !== "active") {
      result.earningSkipped = "CUSTOMER_BLOCKED";
    } else {
      batch!.addConfirmation(input.id, customer.id, card, action.count, now);
      // Every balance in one locking statement: the card's stamps, and points when the card's reward is points.
      const holdings = await loadHoldingsOf(tx, program.id, batch!.holdingKeys, now, { lots: false });
      await batch!.prepare(tx, holdings, now);
      const ledger = new LedgerWrites(program.id);
      const r = batch!.applyConfirmation({ kind: "confirmation", confirmationId: input.id, staffId: staff.id, staffName: staff.name, store: staff.store }, holdings, ledger, now);
      const parts = [ledger.ctes(now), ...batch!.ctes(), ...rewards.ctes(now)].filter((p) => p !== null);
      if (parts.length > 0) await tx.execute(sql`with ${sql.join(parts, sql`, `)} select 1`);
      result.stamps = r.effect;
    }
  }
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "staff.confirmed", target: customer.id, reason: null, data: { confirmationId: input.id, staffId: staff.id, action: input.action } });
  return result;
}
