import type { AppContext } from "./context.ts";
import type { Executor } from "../db/connect.ts";
import { auditLog } from "../db/schema.ts";

/** Append a line to the program's audit log, in the caller's transaction. */
export async function recordAudit(
  ctx: AppContext,
  ex: Executor,
  entry: { programId: string; actor: string; action: string; target: string | null; reason: string | null; data: Record<string, unknown> },
): Promise<void> {
  await ex.insert(auditLog).values({ id: ctx.ids.next("aud"), ...entry, at: ctx.clock.now() });
}
