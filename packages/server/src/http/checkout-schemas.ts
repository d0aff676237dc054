import { z } from "@hono/zod-openapi";
import { CODE_REFUSALS } from "@patron/core";
import { amount, CART_OVER_MAX, cartWithinMax, id } from "./schemas.ts";

/** A cart line: the store's price for the product. There is no discount field: Patron computes every discount. */
export const CartLine = z
  .strictObject({
    sku: id,
    name: z.string().max(500).optional(),
    category: z.string().max(200).optional(),
    quantity: z.number().int().min(1).max(10_000),
    unitPrice: amount.openapi({ description: "Minor units per unit, before any promotion." }),
    weight: z.number().int().min(0).max(100_000_000).optional().openapi({ description: "Grams per unit." }),
    giftCard: z.boolean().optional().openapi({ description: "The line buys a gift card: gift cards cannot pay for this cart (GIFT_CARD_NOT_USABLE)." }),
  })
  .openapi("CartLine");

/**
 * Units in one cart, all lines together. Bundles, buy X get Y and "the N cheapest" price units one
 * by one, about 1 µs each; 200 lines of 10,000 held the event loop 2.4 s per request (and minutes
 * before the unit scans were made linear). 10,000 is a line's own limit, far above a shop's basket.
 */
export const MAX_CART_UNITS = 10_000;

export const cartFields = {
  customerId: id.optional().openapi({ description: "Your id of a member. Unknown ids are priced as guests." }),
  email: z.string().max(320).optional().openapi({ description: "A guest's email (per-customer limits count guests by normalised email and phone)." }),
  phone: z.string().max(40).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).optional().openapi({ description: "Must be the program's currency when given." }),
  lines: z
    .array(CartLine)
    .min(1)
    .max(200)
    .refine((lines) => lines.reduce((n, l) => n + l.quantity, 0) <= MAX_CART_UNITS, `a cart holds at most ${MAX_CART_UNITS} units (the line quantities added up)`)
    .openapi({ description: `At most 200 lines and ${MAX_CART_UNITS} units in all.` }),
  shipping: amount.optional(),
  channel: z.string().max(100).optional(),
  store: z.string().max(100).optional(),
  codes: z.array(z.string().min(1).max(64)).max(20).optional().openapi({ description: "The codes the customer typed, in any order: the result does not depend on it." }),
  sessionId: id.optional().openapi({ description: "The checkout session: its own reservations do not count against it." }),
  trace: z.boolean().optional().openapi({ description: "Include the human-readable trace (default true); false makes the answer smaller." }),
};

const paymentAmount = z.union([amount.min(1), z.literal("max")]);

/** Wallet payments at checkout (docs/wallet.md): gift cards first, then bonus, then cash; the store charges the rest. */
export const PaymentsRequest = z
  .strictObject({
    bonus: paymentAmount.optional().openapi({ description: "At most this much from the bonus balance (minor units), or \"max\": as much as it can." }),
    cash: paymentAmount.optional().openapi({ description: "At most this much from the cash balance, or \"max\"." }),
    giftCards: z.array(z.string().min(1).max(100)).min(1).max(10).optional().openapi({ description: "Gift card codes, used in this order, each for as much as it holds." }),
  })
  .openapi("PaymentsRequest");

export const CartRequest = z.strictObject({ ...cartFields, payments: PaymentsRequest.optional() }).refine(cartWithinMax, CART_OVER_MAX).openapi("CartRequest");

const balancePayment = z
  .object({ requested: z.union([z.number().int(), z.literal("max")]), balance: z.number().int(), amount: z.number().int(), shortfall: z.number().int().openapi({ description: "Asked for but not covered by the balance: a completion refuses it (INSUFFICIENT_FUNDS)." }) })
  .nullable();

export const CheckoutPayments = z
  .object({
    giftCards: z.array(z.object({ code: z.string(), giftCardId: z.string().nullable(), balance: z.number().int(), amount: z.number().int(), error: z.object({ code: z.string(), message: z.string() }).optional() })),
    bonus: balancePayment,
    cash: balancePayment,
    paid: z.number().int().openapi({ description: "What the wallet pays in all." }),
    amountDue: z.number().int().openapi({ description: "What is left for the store to charge." }),
    transactions: z
      .array(z.object({ source: z.enum(["gift_card", "bonus", "cash"]), giftCardId: z.string().nullable(), code: z.string().nullable(), amount: z.number().int(), transactionId: z.string(), refundTransactionId: z.string().nullable() }))
      .optional()
      .openapi({ description: "Completions: the ledger transaction of each payment, and of its refund once rolled back." }),
  })
  .openapi("CheckoutPayments");

const Applied = z.object({
  campaignId: z.string(),
  version: z.number().int(),
  name: z.string(),
  code: z.string().nullable(),
  discount: z.number().int(),
  shippingDiscount: z.number().int(),
  bonusPoints: z.number().int(),
  multiplier: z.number(),
  effects: z.array(z.object({ kind: z.string(), discount: z.number().int(), shippingDiscount: z.number().int(), note: z.string() })),
  gifts: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number().int() })),
  followUps: z.array(z.object({ campaignId: z.string(), validDays: z.number().int(), value: z.number().int().nullable() })),
  partnerCodes: z.array(z.object({ rewardId: z.string() })),
});

export const CartEvaluation = z
  .object({
    currency: z.string(),
    customerId: z.string().nullable(),
    guest: z.boolean(),
    subtotal: z.number().int(),
    discount: z.number().int().openapi({ description: "Off the merchandise, all campaigns together." }),
    shipping: z.number().int(),
    shippingDiscount: z.number().int(),
    total: z.number().int(),
    lines: z.array(
      z.object({
        index: z.number().int(), sku: z.string(), quantity: z.number().int(), unitPrice: z.number().int(), subtotal: z.number().int(), discount: z.number().int(), total: z.number().int(),
        adjustments: z.array(z.object({ campaignId: z.string(), amount: z.number().int() })),
      }),
    ),
    applied: z.array(Applied),
    gifts: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number().int(), campaignId: z.string() })).openapi({ description: "Lines to add to the cart, free." }),
    refused: z.array(
      z.object({
        code: z.string(),
        reason: z.enum(CODE_REFUSALS),
        message: z.string(),
        campaignId: z.string().optional(),
        condition: z.object({ kind: z.enum(["audience", "cart", "effects"]), part: z.string() }).optional(),
      }),
    ),
    points: z.object({ rules: z.number().int(), bonus: z.number().int(), total: z.number().int() }).openapi({ description: "What the order would earn: the earning rules on the discounted order, plus the promotions' bonus." }),
    trace: z.array(z.string()),
    payments: CheckoutPayments.optional().openapi({ description: "With `payments` in the request: what gift cards, bonus and cash pay of `total`, and `amountDue`." }),
  })
  .openapi("CartEvaluation");

export const CheckoutCompletion = CartEvaluation.extend({
  orderId: z.string(),
  status: z.enum(["completed", "rolled_back"]),
  redemptions: z.array(z.object({ id: z.string(), campaignId: z.string(), code: z.string().nullable(), discount: z.number().int(), points: z.number().int(), transactionId: z.string().nullable() })),
  followUpCodes: z.array(z.object({ campaignId: z.string(), code: z.string(), value: z.number().int().nullable(), expiresAt: z.string() })).openapi({ description: "Personal codes issued by follow_up_code effects." }),
  partnerCodes: z.array(z.object({ campaignId: z.string(), rewardId: z.string(), code: z.string() })).openapi({ description: "Codes drawn from partner pools by partner_code effects." }),
  completedAt: z.string(),
  rolledBackAt: z.string().nullable().optional(),
  effect: z.enum(["rolled_back", "already_rolled_back"]).optional(),
}).openapi("CheckoutCompletion");

export const CheckoutReservation = CartEvaluation.extend({
  sessionId: z.string(),
  expiresAt: z.string(),
  reservations: z.array(z.object({ campaignId: z.string(), code: z.string().nullable() })),
}).openapi("CheckoutReservation");
