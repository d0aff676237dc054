import type { AppContext } from "../context.ts";
import type { Program } from "../programs/program.ts";
import { inTransaction } from "../../db/tx.ts";
import { ingestInTransaction } from "./ingest-events.ts";
import type { EventInput, EventResult } from "./event-input.ts";

class RollBack extends Error {
  constructor(readonly result: EventResult) {
    super("dry run");
  }
}

/**
 * Evaluates an event exactly as ingest would, now, against the stored state (limits, balances,
 * orders), with a trace of every rule, and then rolls the transaction back: nothing is written, not
 * even the event id, which is swapped for a private one so an earlier event with the same id is not
 * replayed instead of evaluated.
 */
export async function dryRunEvent(ctx: AppContext, program: Program, event: EventInput): Promise<EventResult> {
  try {
    await inTransaction(ctx.db, async (tx) => {
      const [r] = await ingestInTransaction(ctx, tx, program, [{ ...event, id: ctx.ids.next("dryrun") }], { trace: true });
      throw new RollBack({ ...r!, id: event.id } as EventResult);
    });
  } catch (e) {
    if (e instanceof RollBack) return e.result;
    throw e;
  }
  throw new Error("unreachable: a dry run always rolls back");
}
