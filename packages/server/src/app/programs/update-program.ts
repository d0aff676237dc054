import { eq } from "drizzle-orm";
import { err, ok, type DomainError, type Result } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { programs } from "../../db/schema.ts";
import type { Program } from "./program.ts";
import { toProgram, findProgram } from "./program-repo.ts";
import { checkProgramSettings, type ProgramInput } from "./create-program.ts";
import { recordAudit } from "../audit.ts";

export type ProgramPatch = Partial<Omit<ProgramInput, "currency">>;

/**
 * Updates a program's settings. The currency is fixed at creation: every stored amount is in it.
 *
 * Errors: PROGRAM_NOT_FOUND, INVALID_TIME_ZONE, INVALID_LOCALE.
 */
export async function updateProgram(ctx: AppContext, ex: Executor, programId: string, patch: ProgramPatch, actor: string): Promise<Result<Program, DomainError>> {
  // Locked: the locales are checked against the stored ones, so two concurrent patches
  // ({defaultLocale: "fr"} and {supportedLocales: ["en"]}) each passed against the row before the
  // other and together stored a default locale that is not supported.
  const current = await findProgram(ex, programId, { lock: true });
  if (!current) return err({ code: "PROGRAM_NOT_FOUND", message: "No such program." });
  const bad = checkProgramSettings({
    timeZone: patch.timeZone,
    defaultLocale: patch.defaultLocale ?? current.defaultLocale,
    supportedLocales: patch.supportedLocales ?? current.supportedLocales,
  });
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const [row] = await ex
    .update(programs)
    .set({ ...values, updatedAt: now })
    .where(eq(programs.id, programId))
    .returning();
  await recordAudit(ctx, ex, { programId, actor, action: "program.updated", target: programId, reason: null, data: values });
  return ok(toProgram(row!));
}
