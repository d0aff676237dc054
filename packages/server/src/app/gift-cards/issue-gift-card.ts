import { sql } from "drizzle-orm";
import { applyPlan, domainError, err, normalizeGiftCardCode, ok, planCredit, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Tx } from "../../db/connect.ts";
import { holdingKey, LedgerWrites, loadHoldingsOf } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "../customers/find-customer.ts";
import { recordAudit } from "../audit.ts";
import { findGiftCard, toGiftCardView, type GiftCardView } from "./gift-card.ts";

export interface GiftCardInput {
  /** Minor units of the program's currency, at least 1. */
  amount: number;
  /** The card's code (8 to 64 letters and digits, hyphens and spaces ignored); absent: one is drawn. */
  code?: string | undefined;
  currency?: string | undefined;
  expiresAt?: Date | undefined;
  /** The store's id of the customer it is given to (their wallet lists it). */
  customerId?: string | undefined;
  actor: string;
}

/**
 * Issues a gift card (sold or given): the card row and, in the same transaction, a ledger credit of
 * `amount` from `world` to the card's own balance (asset `gift_card`, the card id as holder), in one
 * lot that expires with the card. A drawn code has 12 random characters of the 29-letter alphabet.
 *
 * Errors: CURRENCY_MISMATCH, CUSTOMER_NOT_FOUND, CODE_TAKEN (the code is another card's),
 * VALIDATION_FAILED (a code that cannot be a gift card code, an expiry that has passed).
 */
export async function issueGiftCard(ctx: AppContext, tx: Tx, program: Program, input: GiftCardInput): Promise<Result<GiftCardView, DomainError>> {
  if (input.currency !== undefined && input.currency !== program.currency) {
    return err(domainError("CURRENCY_MISMATCH", `This program's currency is ${program.currency}; the gift card is in ${input.currency}.`, { expected: program.currency, got: input.currency }));
  }
  const now = ctx.clock.now();
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) return err(domainError("VALIDATION_FAILED", "expiresAt has already passed.", { expiresAt: input.expiresAt.toISOString() }));
  let given: string | null = null;
  if (input.code !== undefined) {
    given = normalizeGiftCardCode(input.code);
    if (given === null) return err(domainError("VALIDATION_FAILED", "A gift card code has 8 to 64 letters and digits (hyphens and spaces are ignored).", { field: "code" }));
  }
  let customerId: string | null = null;
  if (input.customerId !== undefined) {
    const found = await getCustomer(tx, program.id, input.customerId);
    if (!found.ok) return found;
    customerId = found.value.id;
  }
  const id = ctx.ids.next("gcd");
  // A drawn code that another card already has (about 2^-58 a draw) is drawn again.
  let inserted = false;
  for (let attempt = 0; attempt < 3 && !inserted; attempt++) {
    const code = given ?? ctx.secrets.rewardCode();
    const r = await rows<{ id: string }>(
      tx,
      sql`insert into gift_cards (id, program_id, code, currency, initial_amount, status, customer_id, expires_at, created_at, updated_at)
          values (${id}, ${program.id}, ${code}, ${program.currency}, ${input.amount}, 'active', ${customerId}, ${input.expiresAt?.toISOString() ?? null}::timestamptz, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)
          on conflict (program_id, code) do nothing returning id`,
    );
    inserted = r.length > 0;
    if (!inserted && given !== null) return err(domainError("CODE_TAKEN", "Another gift card has this code.", { code: input.code }));
  }
  if (!inserted) throw new Error("could not draw a free gift card code in 3 attempts");
  const holdings = await loadHoldingsOf(tx, program.id, [{ customerId: id, asset: "gift_card" }], now, { lots: true });
  const h = holdings.get(holdingKey(id, "gift_card"))!;
  const plan = planCredit(h, { amount: input.amount, lotId: ctx.ids.next("lot"), effectiveAt: now, pendingUntil: null, expiresAt: input.expiresAt ?? null, now });
  const txnId = ctx.ids.next("txn");
  const writes = new LedgerWrites(program.id);
  writes.add({ id: txnId, type: "gift_card_issue", customerId: id, reference: `gift_card:${id}`, reversesId: null, source: { kind: "gift_card", actor: input.actor }, metadata: { giftCardId: id, actor: input.actor }, effectiveAt: now }, plan, applyPlan(h, plan));
  await writes.flush(tx, now);
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: "gift_card.issued", target: id, reason: null, data: { amount: input.amount, customerId, expiresAt: input.expiresAt?.toISOString() ?? null, transactionId: txnId } });
  const [row] = await rows<{ code: string }>(tx, sql`select code from gift_cards where id = ${id}`);
  return ok(await toGiftCardView(tx, program.id, (await findGiftCard(tx, program.id, row!.code))!, now));
}

/**
 * Disables a card (it can no longer pay; its balance stays on it) or enables it again, with the actor
 * and reason in the audit log. A card in the asked status is returned unchanged.
 *
 * Errors: GIFT_CARD_NOT_FOUND.
 */
export async function setGiftCardStatus(ctx: AppContext, tx: Tx, program: Program, typed: string, status: "active" | "disabled", input: { reason?: string | undefined; actor: string }): Promise<Result<GiftCardView, DomainError>> {
  const card = await findGiftCard(tx, program.id, typed, { lock: true });
  if (!card) return err(domainError("GIFT_CARD_NOT_FOUND", "No gift card with this code.", { code: typed }));
  const now = ctx.clock.now();
  if (card.status !== status) {
    await tx.execute(sql`update gift_cards set status = ${status}, updated_at = ${now.toISOString()}::timestamptz where id = ${card.id}`);
    await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: status === "disabled" ? "gift_card.disabled" : "gift_card.enabled", target: card.id, reason: input.reason ?? null, data: {} });
  }
  return ok(await toGiftCardView(tx, program.id, (await findGiftCard(tx, program.id, card.code))!, now));
}
