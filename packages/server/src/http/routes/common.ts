import { z } from "@hono/zod-openapi";
import { minorUnits } from "@patron/core";
import { ErrorBody } from "../schemas.ts";
import type { Program } from "../../app/programs/program.ts";

export const security = [{ bearer: [] }];

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: describe(s), content: { "application/json": { schema: ErrorBody } } }]));

function describe(s: number) {
  return (
    {
      400: "The request is malformed (VALIDATION_FAILED, INVALID_JSON, INVALID_CURSOR)",
      401: "No valid API key (UNAUTHENTICATED)",
      403: "The key may not do this (FORBIDDEN)",
      404: "Not found",
      409: "Conflict (IDEMPOTENCY_CONFLICT and others named by code)",
      410: "Gone",
      413: "Body too large",
      422: "Refused by the program's state or rules (see the code)",
      429: "Rate limited",
    }[s] ?? "Error"
  );
}

export const idempotencyHeader = z.object({
  "idempotency-key": z.string().max(255).optional().openapi({ description: "Makes the request safe to retry: the same key and body return the first response." }),
});

export function programView(p: Program, full: boolean) {
  const base = {
    id: p.id,
    name: p.name,
    pointsSingular: p.pointsSingular,
    pointsPlural: p.pointsPlural,
    currency: p.currency,
    currencyMinorUnits: minorUnits(p.currency),
    timeZone: p.timeZone,
    defaultLocale: p.defaultLocale,
    supportedLocales: p.supportedLocales,
  };
  if (!full) return base;
  return { ...base, defaultCountry: p.defaultCountry, earning: p.earning, ledgerPolicy: p.ledgerPolicy, pointValue: p.pointValue, payWithPoints: p.payWithPoints, marginGuard: p.marginGuard, wallet: p.wallet, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() };
}

export const ok = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
