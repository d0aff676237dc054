import { sql } from "drizzle-orm";
import { lastDueReview, review, reviewDue, reviewedWindow, windowStart, type TierDecision } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows } from "../../db/connect.ts";
import { inTransaction } from "../../db/tx.ts";
import type { Program } from "../programs/program.ts";
import { measureMany } from "./tier-metrics.ts";
import { loadTiers, tierCtes, type TierWrite } from "./tier-state.ts";

/**
 * Runs the reviews that are due in a program (the period ended and grace has passed): a chunk of
 * customers per transaction, each under its tier row's lock, so two runners never review one
 * customer twice. A review is dated when it took effect, however late this runs; a customer whose
 * job missed several periods gets one review, of the last period that ended (lastDueReview), not one
 * per missed period. Reviews give no entry gifts (a
 * customer who qualifies higher was upgraded when they did). Returns the number of changes written.
 */
export async function reviewTiers(ctx: AppContext, program: Program, chunk = 200): Promise<{ reviewed: number; downgraded: number }> {
  const scheme = program.tiers;
  if (!scheme) return { reviewed: 0, downgraded: 0 };
  let reviewed = 0;
  let downgraded = 0;
  let after = "";
  for (;;) {
    const now = ctx.clock.now();
    // review_at <= now is a superset of what is due (grace comes on top); the rest waits for a later run.
    const candidates = await rows<{ customer_id: string }>(
      ctx.db,
      sql`select customer_id from customer_tiers where program_id = ${program.id} and review_at is not null and review_at <= ${now.toISOString()}::timestamptz
             and customer_id > ${after} order by customer_id limit ${chunk}`,
    );
    if (candidates.length === 0) break;
    after = candidates.at(-1)!.customer_id;
    const result = await inTransaction(ctx.db, async (tx) => {
      const tiers = await loadTiers(tx, program.id, scheme, candidates.map((c) => c.customer_id), now, true);
      const writes: TierWrite[] = [];
      // One review per customer, however many periods the job missed: the last one due (lastDueReview).
      const due = [...tiers.values()].flatMap((t) => {
        const at = t.state.reviewAt;
        if (!at || reviewDue(at, scheme.graceDays, program.timeZone).getTime() > now.getTime()) return [];
        return [{ t, state: { ...t.state, reviewAt: lastDueReview(scheme.window, at, scheme.graceDays, now, program.timeZone) } }];
      });
      const measures = due.flatMap(({ t, state }) => {
        const at = reviewDue(state.reviewAt, scheme.graceDays, program.timeZone);
        const w = reviewedWindow(scheme.window, state.reviewAt, program.timeZone);
        return [{ customerId: t.customerId, from: w.from, to: w.to }, { customerId: t.customerId, from: windowStart(scheme.window, at, program.timeZone), to: at }];
      });
      const values = await measureMany(tx, program.id, scheme.basis, measures);
      due.forEach(({ t, state }, i) => {
        const decision: TierDecision = review(scheme, state, values[2 * i]!, values[2 * i + 1]!, program.timeZone);
        writes.push({ id: ctx.ids.next("tch"), customerId: t.customerId, decision, source: "earned", reason: decision.kind === "downgrade" ? "period ended" : null, occurredAt: decision.state.since.getTime() === state.since.getTime() ? reviewDue(state.reviewAt, scheme.graceDays, program.timeZone) : decision.state.since });
      });
      const ctes = tierCtes(program.id, scheme, writes, now);
      if (ctes) await tx.execute(sql`with ${ctes} select 1`);
      return { reviewed: writes.length, downgraded: writes.filter((w) => w.decision.kind === "downgrade").length };
    });
    reviewed += result.reviewed;
    downgraded += result.downgraded;
    if (candidates.length < chunk) break;
  }
  return { reviewed, downgraded };
}
