import { eq } from "drizzle-orm";
import type { Executor } from "../../db/connect.ts";
import { programs } from "../../db/schema.ts";
import type { Program } from "./program.ts";

export function toProgram(row: typeof programs.$inferSelect): Program {
  return {
    id: row.id,
    name: row.name,
    pointsSingular: row.pointsSingular,
    pointsPlural: row.pointsPlural,
    currency: row.currency as Program["currency"],
    timeZone: row.timeZone,
    defaultLocale: row.defaultLocale,
    supportedLocales: row.supportedLocales,
    defaultCountry: row.defaultCountry,
    earning: row.earning as Program["earning"],
    ledgerPolicy: row.ledgerPolicy as Program["ledgerPolicy"],
    pointValue: (row.pointValue as Program["pointValue"]) ?? null,
    payWithPoints: (row.payWithPoints as Program["payWithPoints"]) ?? null,
    marginGuard: (row.marginGuard as Program["marginGuard"]) ?? null,
    tiers: (row.tiers as Program["tiers"]) ?? null,
    referrals: (row.referrals as Program["referrals"]) ?? null,
    referralLandingUrl: row.referralLandingUrl ?? null,
    wallet: (row.wallet as Program["wallet"]) ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** `lock`: the row is locked until the transaction ends (`for update`), for a read that decides a write. */
export async function findProgram(ex: Executor, id: string, opts: { lock?: boolean } = {}): Promise<Program | null> {
  const query = ex.select().from(programs).where(eq(programs.id, id));
  const [row] = opts.lock ? await query.for("update") : await query;
  return row ? toProgram(row) : null;
}
