import { z } from "@hono/zod-openapi";
import { PAYOUT_STATUSES } from "@patron/core";
import { amount, id, isoDateTime } from "./schemas.ts";
import { adjustmentFields, creditsOnlyExpire, EXPIRY_ON_DEBIT, Transaction } from "./ledger-schemas.ts";

const int = z.number().int();

const WalletBalance = z.object({
  available: int.openapi({ description: "Spendable now (cash: also withdrawable), minor units." }),
  pending: int.openapi({ description: "Credited but held (a return window, the cash hold)." }),
  pendingLots: z.array(z.object({ amount: int, availableAt: z.string().nullable() })),
  expiringSoon: z.array(z.object({ amount: int, expiresAt: z.string() })).openapi({ description: "Available money that expires within `expiringWithinDays`, soonest first." }),
  nextExpiry: z.object({ amount: int, expiresAt: z.string() }).nullable().openapi({ description: "The soonest expiry of all; null: nothing expires." }),
});

export const Wallet = z
  .object({
    currency: z.string(),
    bonus: WalletBalance.openapi({ description: "Cashback: spent only here, never paid out." }),
    cash: WalletBalance.extend({ onHold: int.openapi({ description: "In open payouts (pending or approved)." }), openPayouts: int }).openapi({ description: "Withdrawable money." }),
    giftCards: z.array(z.object({ id: z.string(), code: z.string(), balance: int, status: z.enum(["active", "disabled", "expired"]), expiresAt: z.string().nullable() })).openapi({ description: "Gift cards given to this customer." }),
    expiringWithinDays: int,
  })
  .openapi("Wallet");

export const WalletAdjustment = z
  .strictObject({ asset: z.enum(["bonus", "cash"]), ...adjustmentFields("Minor units: positive credits, negative debits.") })
  .refine(creditsOnlyExpire, EXPIRY_ON_DEBIT)
  .openapi("WalletAdjustment");

export const Payout = z
  .object({
    id: z.string(),
    customerId: z.string().nullable(),
    amount: int,
    currency: z.string(),
    status: z.enum(PAYOUT_STATUSES),
    transactionId: z.string().openapi({ description: "The hold: cash balance → payout:{id}." }),
    settleTransactionId: z.string().nullable().openapi({ description: "payout:{id} → world when paid, → the cash balance when rejected." }),
    reason: z.string().nullable(),
    requestedAt: z.string(),
    decidedAt: z.string().nullable(),
    paidAt: z.string().nullable(),
  })
  .openapi("Payout");

export const PayoutRequest = z
  .strictObject({
    amount: amount.min(1).openapi({ description: "Minor units of the cash balance, within the program's wallet.payouts limits." }),
    actor: z.string().min(1).max(200).optional(),
  })
  .openapi("PayoutRequest");

export const PayoutDecision = z.strictObject({ reason: z.string().min(1).max(500).optional(), actor: z.string().min(1).max(200).optional() }).openapi("PayoutDecision");
export const PayoutRejection = z.strictObject({ reason: z.string().min(1).max(500), actor: z.string().min(1).max(200).optional() }).openapi("PayoutRejection");

export const GiftCard = z
  .object({
    id: z.string(),
    code: z.string(),
    currency: z.string(),
    initialAmount: int,
    balance: int,
    status: z.enum(["active", "disabled", "expired"]),
    customerId: z.string().nullable(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("GiftCard");

export const GiftCardWithHistory = GiftCard.extend({ history: z.array(Transaction), nextCursor: z.string().nullable() }).openapi("GiftCardWithHistory");

export const GiftCardIssue = z
  .strictObject({
    amount: amount.min(1).openapi({ description: "Minor units of the program's currency." }),
    code: z.string().min(8).max(100).optional().openapi({ description: "The card's code (8 to 64 letters and digits; hyphens and spaces ignored). Absent: a 12-character code is drawn." }),
    currency: z.string().regex(/^[A-Z]{3}$/).optional().openapi({ description: "Must be the program's currency when given." }),
    expiresAt: isoDateTime.optional(),
    customerId: id.optional().openapi({ description: "Your id of the customer it is given to (their wallet lists it); anyone with the code may spend it." }),
    actor: z.string().min(1).max(200).optional(),
  })
  .openapi("GiftCardIssue");

export const GiftCardStatusChange = z.strictObject({ reason: z.string().min(1).max(500).optional(), actor: z.string().min(1).max(200).optional() }).openapi("GiftCardStatusChange");
