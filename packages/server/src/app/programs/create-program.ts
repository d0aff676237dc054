import { err, ok, domainError, isCurrency, isValidTimeZone, type DomainError, type Result, type BasicEarning, type LedgerPolicy, type MarginGuard, type PointValue, type WalletPolicyInput } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { programs } from "../../db/schema.ts";
import { DEFAULT_EARNING, DEFAULT_LEDGER_POLICY, type PayWithPoints, type Program } from "./program.ts";
import { toProgram } from "./program-repo.ts";
import { createKey, type CreatedKey } from "../keys/create-key.ts";

export interface ProgramInput {
  name: string;
  pointsSingular?: string | undefined;
  pointsPlural?: string | undefined;
  currency: string;
  timeZone: string;
  defaultLocale?: string | undefined;
  supportedLocales?: string[] | undefined;
  defaultCountry?: string | null | undefined;
  earning?: BasicEarning | undefined;
  ledgerPolicy?: LedgerPolicy | undefined;
  pointValue?: PointValue | null | undefined;
  payWithPoints?: PayWithPoints | null | undefined;
  marginGuard?: MarginGuard | null | undefined;
  wallet?: WalletPolicyInput | null | undefined;
}

export function checkProgramSettings(x: { currency?: string | undefined; timeZone?: string | undefined; defaultLocale?: string | undefined; supportedLocales?: string[] | undefined }): DomainError | null {
  if (x.currency !== undefined && !isCurrency(x.currency)) {
    return domainError("UNKNOWN_CURRENCY", `"${x.currency}" is not a supported ISO 4217 currency code.`, { currency: x.currency });
  }
  if (x.timeZone !== undefined && !isValidTimeZone(x.timeZone)) {
    return domainError("INVALID_TIME_ZONE", `"${x.timeZone}" is not an IANA time zone (for example Asia/Ho_Chi_Minh).`, { timeZone: x.timeZone });
  }
  if (x.defaultLocale !== undefined && x.supportedLocales !== undefined && !x.supportedLocales.includes(x.defaultLocale)) {
    return domainError("INVALID_LOCALE", `The default locale "${x.defaultLocale}" must be one of the supported locales.`, { defaultLocale: x.defaultLocale });
  }
  return null;
}

/**
 * Creates a program with one secret and one publishable key, which are returned once.
 *
 * Errors: UNKNOWN_CURRENCY, INVALID_TIME_ZONE, INVALID_LOCALE.
 */
export async function createProgram(
  ctx: AppContext,
  input: ProgramInput,
  ex: Executor = ctx.db,
): Promise<Result<{ program: Program; secretKey: CreatedKey; publishableKey: CreatedKey }, DomainError>> {
  const defaultLocale = input.defaultLocale ?? "en";
  const supportedLocales = input.supportedLocales ?? [defaultLocale];
  const bad = checkProgramSettings({ currency: input.currency, timeZone: input.timeZone, defaultLocale, supportedLocales });
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const run = async (tx: Executor) => {
    const [row] = await tx
      .insert(programs)
      .values({
        id: ctx.ids.next("prg"),
        name: input.name,
        pointsSingular: input.pointsSingular ?? "Point",
        pointsPlural: input.pointsPlural ?? "Points",
        currency: input.currency,
        timeZone: input.timeZone,
        defaultLocale,
        supportedLocales,
        defaultCountry: input.defaultCountry ?? null,
        earning: input.earning ?? DEFAULT_EARNING,
        ledgerPolicy: input.ledgerPolicy ?? DEFAULT_LEDGER_POLICY,
        pointValue: input.pointValue ?? null,
        payWithPoints: input.payWithPoints ?? null,
        marginGuard: input.marginGuard ?? null,
        wallet: input.wallet ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const program = toProgram(row!);
    const secretKey = await createKey(ctx, tx, program.id, { kind: "secret", name: "Default secret key" });
    const publishableKey = await createKey(ctx, tx, program.id, { kind: "publishable", name: "Default publishable key" });
    return ok({ program, secretKey, publishableKey });
  };
  return ex === ctx.db ? ctx.db.transaction(run) : run(ex);
}
