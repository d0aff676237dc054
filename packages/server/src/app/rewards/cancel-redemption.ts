import { and, eq, sql } from "drizzle-orm";
import { applyPlan, domainError, err, formatCode, ok, planReversal, type DomainError, type Posting, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor, type Tx } from "../../db/connect.ts";
import { customers, redemptions, rewards } from "../../db/schema.ts";
import { LedgerWrites, loadHoldings } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { settleInto } from "../ledger/settle-holdings.ts";
import { toRedemption, type Redemption } from "./reward.ts";

const notFound = (id: string) => domainError("REDEMPTION_NOT_FOUND", `No redemption "${id}" in this program.`, { id });

/**
 * Cancels an issued redemption (a code not yet used or expired, a gift not yet shipped) and gives the
 * points back, once: the return is a reversal of the redemption's debit, which refills the very lots
 * it spent (with their own expiry dates), and the database accepts one reversal per transaction. The
 * reward's stock comes back; a partner code does not go back to the pool (the customer has seen it).
 *
 * Errors: REDEMPTION_NOT_FOUND, REDEMPTION_NOT_CANCELLABLE.
 */
export async function cancelRedemption(ctx: AppContext, tx: Tx, program: Program, id: string, input: { reason: string; actor: string }): Promise<Result<Redemption, DomainError>> {
  const [peek] = await tx.select({ customerId: redemptions.customerId, transactionId: redemptions.transactionId }).from(redemptions).where(and(eq(redemptions.programId, program.id), eq(redemptions.id, id)));
  if (!peek) return err(notFound(id));
  const now = ctx.clock.now();
  // The customer's balance first, as every ledger writer does; then the redemption.
  const postings = peek.transactionId === null ? [] : await rows<{ source: string; destination: string; asset: string; amount: number; lot_id: string | null }>(
    tx,
    sql`select source, destination, asset, amount::float8 as amount, lot_id from ledger_postings where transaction_id = ${peek.transactionId} order by id`,
  );
  const holdings = await loadHoldings(tx, program.id, [peek.customerId], "points", now, { lots: true, alsoLotIds: postings.flatMap((p) => (p.lot_id ? [p.lot_id] : [])) });
  const [r] = await tx.select().from(redemptions).where(eq(redemptions.id, id)).for("update");
  const refuse = (why: string) => err(domainError("REDEMPTION_NOT_CANCELLABLE", why, { id, status: r!.status }));
  if (r!.status !== "issued") return refuse(`This redemption is ${r!.status}; only issued redemptions can be cancelled.`);
  if (r!.expiresAt && r!.expiresAt.getTime() <= now.getTime()) return refuse("This redemption's code has expired; expired rewards do not give points back.");
  if (r!.fulfilment && r!.fulfilment !== "pending") return refuse(`This gift is ${r!.fulfilment}; only gifts not yet shipped can be cancelled.`);
  // A tier's entry reward cost nothing and is given once per level (docs/tiers.md): it stays given, as a stamp card's does.
  if (r!.transactionId === null) return refuse("This reward was a tier level's entry gift; it cannot be cancelled.");
  // A stamp card's reward was paid in stamps by a completed card (docs/stamps.md): it stays given.
  if (postings.some((p) => p.asset !== "points")) return refuse("This reward was given by a completed stamp card; it cannot be cancelled.");
  const writes = new LedgerWrites(program.id);
  const before = holdings.get(peek.customerId)!;
  const settled = settleInto(ctx, writes, before, now);
  const h = { ...settled, lots: [...settled.lots, ...before.lots.filter((l) => l.remaining === 0 && !settled.lots.some((x) => x.id === l.id))] };
  const plan = planReversal(h, postings.map((p): Posting => ({ source: p.source, destination: p.destination, asset: p.asset as Posting["asset"], amount: Number(p.amount), lotId: p.lot_id })), false);
  if (!plan.ok) return plan;
  const txnId = ctx.ids.next("txn");
  writes.add(
    { id: txnId, type: "reversal", customerId: peek.customerId, reference: null, reversesId: r!.transactionId, source: { kind: "redemption_cancelled", redemptionId: id }, metadata: { reason: input.reason, actor: input.actor, reversedType: "redemption" }, effectiveAt: now },
    plan.value,
    applyPlan(h, plan.value),
  );
  await writes.flush(tx, now);
  await tx.update(rewards).set({ issued: sql`greatest(${rewards.issued} - 1, 0)` }).where(eq(rewards.id, r!.rewardId));
  const [row] = await tx
    .update(redemptions)
    .set({ status: "cancelled", returnTransactionId: txnId, fulfilment: r!.fulfilment ? "cancelled" : null, updatedAt: now })
    .where(eq(redemptions.id, id))
    .returning();
  await recordAudit(ctx, tx, { programId: program.id, actor: input.actor, action: "redemption.cancelled", target: id, reason: input.reason, data: { points: r!.points, returnTransactionId: txnId } });
  return ok(toRedemption(row!, await externalIdOf(tx, peek.customerId), now, formatCode));
}

export async function externalIdOf(ex: Executor, customerId: string): Promise<string> {
  const [c] = await ex.select({ externalId: customers.externalId }).from(customers).where(eq(customers.id, customerId));
  return c?.externalId ?? "";
}

/** Moves a physical gift along: pending → shipped → delivered (cancelling goes through cancelRedemption). Errors: REDEMPTION_NOT_FOUND, REDEMPTION_NOT_CANCELLABLE. */
export async function setFulfilment(ctx: AppContext, tx: Tx, program: Program, id: string, status: "shipped" | "delivered", actor: string): Promise<Result<Redemption, DomainError>> {
  const [r] = await tx.select().from(redemptions).where(and(eq(redemptions.programId, program.id), eq(redemptions.id, id))).for("update");
  if (!r) return err(notFound(id));
  const order = ["pending", "shipped", "delivered"];
  if (r.fulfilment === null || r.status === "cancelled") return err(domainError("REDEMPTION_NOT_CANCELLABLE", "Only gifts that are not cancelled have a fulfilment status.", { id, status: r.status }));
  if (order.indexOf(status) < order.indexOf(r.fulfilment)) return err(domainError("REDEMPTION_NOT_CANCELLABLE", `This gift is already ${r.fulfilment}.`, { id, status: r.status }));
  const now = ctx.clock.now();
  const [row] = await tx
    .update(redemptions)
    .set({ fulfilment: status, ...(status === "delivered" ? { status: "used", usedAt: now } : {}), updatedAt: now })
    .where(eq(redemptions.id, id))
    .returning();
  await recordAudit(ctx, tx, { programId: program.id, actor, action: `redemption.${status}`, target: id, reason: null, data: {} });
  return ok(toRedemption(row!, await externalIdOf(tx, r.customerId), now, formatCode));
}
