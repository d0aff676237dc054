import { z } from "@hono/zod-openapi";
import { expiry, MAX_AMOUNT } from "./schemas.ts";

/** The ledger's request and response schemas: transactions with their postings, balances, adjustments and reversals. */

const Change = z.object({ available: z.number().int(), pending: z.number().int() }).openapi("BalanceChange");
export const Posting = z.object({ source: z.string(), destination: z.string(), asset: z.string(), amount: z.number().int(), lotId: z.string().nullable() }).openapi("Posting");
export const Transaction = z
  .object({
    id: z.string(),
    type: z.string(),
    customerId: z.string().nullable(),
    reference: z.string().nullable(),
    reversesId: z.string().nullable(),
    reversedById: z.string().nullable(),
    source: z.unknown(),
    metadata: z.record(z.string(), z.unknown()),
    asset: z.string().nullable().openapi({ example: "points", description: "The asset the transaction moves (`points`, `bonus`, `cash`, `gift_card`, `stamps:{cardId}`), or null when it moves several: read `changes`." }),
    change: Change.openapi({ description: "The net change in `asset`; for a transaction that moves several assets, in points. Kept for clients written before `changes`." }),
    changes: z.record(z.string(), Change).openapi({ description: "The net change of the holder's available and pending balances, per asset the transaction moves (a wallet credit bought with points: `points` and `bonus`)." }),
    postings: z.array(Posting),
    effectiveAt: z.string(),
    recordedAt: z.string(),
  })
  .openapi("Transaction");

export const Balances = z
  .object({
    asset: z.literal("points"),
    available: z.number().int(),
    pending: z.number().int(),
    pendingLots: z.array(z.object({ amount: z.number().int(), availableAt: z.string().nullable() })),
    expiringSoon: z.array(z.object({ amount: z.number().int(), expiresAt: z.string() })),
    expiringWithinDays: z.number().int(),
  })
  .openapi("Balances");

/** An adjustment's `expiry` dates the lot a credit makes: on a debit it was silently ignored. */
export const creditsOnlyExpire = (b: { amount: number; expiry?: unknown }) => b.amount > 0 || b.expiry === undefined;
export const EXPIRY_ON_DEBIT = { message: "expiry applies to credits (a positive amount); a debit takes from the soonest-expiring lots", path: ["expiry"] };

/** The fields of a manual adjustment, of points here and of wallet money (wallet-schemas.ts); `amount` says its unit. */
export const adjustmentFields = (amount: string) => ({
  amount: z.number().int().min(-MAX_AMOUNT).max(MAX_AMOUNT).refine((v) => v !== 0, "amount must not be zero").openapi({ description: amount }),
  reason: z.string().min(1).max(500),
  actor: z.string().min(1).max(200).optional().openapi({ description: "Who did it; defaults to the API key's id." }),
  expiry: expiry.optional(),
});

export const Adjustment = z.strictObject(adjustmentFields("Positive credits, negative debits.")).refine(creditsOnlyExpire, EXPIRY_ON_DEBIT).openapi("Adjustment");

export const Reversal = z.strictObject({ reason: z.string().min(1).max(500), actor: z.string().min(1).max(200).optional(), force: z.boolean().default(false) }).openapi("Reversal");
