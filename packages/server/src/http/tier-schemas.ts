import { z } from "@hono/zod-openapi";
import { TIER_BASES, TIER_WINDOWS } from "@patron/core";
// The years 1000 to 9999 only (isoDateTime): a date PostgreSQL cannot store was a 500 (found by fuzz-benefits.db.test.ts).
import { id, isoDateTime } from "./schemas.ts";

const amount = z.number().int().min(0).max(1_000_000_000_000);

export const TierBenefits = z
  .strictObject({
    earnBonusPercent: z.number().int().min(0).max(1000).optional().openapi({ description: "Extra points on everything the earning rules give, as a whole percentage (25: a quarter more), rounded down." }),
    discountPercent: z.number().gt(0).max(100).optional().openapi({ description: "A standing discount off every cart priced through /v1/carts/evaluate (up to two decimals); it stacks with other campaigns." }),
    entryPoints: z.number().int().min(1).max(1_000_000_000).optional().openapi({ description: "Points given the first time a customer reaches the level (never again, even after a downgrade)." }),
    entryReward: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/).optional().openapi({
      example: "rwd_01J…",
      description: "A catalogue reward (its id) given for 0 points the first time a customer reaches the level, as entryPoints are: a redemption with its code. Not a wallet credit, not archived (TIERS_INVALID).",
    }),
  })
  .openapi("TierBenefits");

/** What a tier change gave: the level's entry points, and its entry reward (or why it could not be given). */
const entryGifts = {
  giftPoints: z.number().int().optional().openapi({ description: "The level's entry points, the first time the customer reached it." }),
  giftReward: z.object({ rewardId: z.string(), redemptionId: z.string(), code: z.string().nullable(), partnerCode: z.string().optional() }).optional()
    .openapi({ description: "The level's entry reward, the first time the customer reached it: a redemption for 0 points (GET /v1/customers/{id}/redemptions)." }),
  giftRewardUnavailable: z.enum(["REWARD_NOT_AVAILABLE", "REWARD_OUT_OF_STOCK"]).optional()
    .openapi({ description: "The level's entry reward could not be given (archived since, out of stock): the level is entered without it, and it is not owed later." }),
};

/** `effects.tier` of an event, a referrer's tier at a conversion. */
export const TierEffect = z.object({ from: z.string().nullable(), to: z.string().nullable(), kind: z.string(), ...entryGifts }).openapi("TierEffect");

/** The answer of PUT /v1/customers/{externalId}/tier. */
export const TierSet = z.object({ from: z.string().nullable(), to: z.string().nullable(), ...entryGifts, giftPoints: z.number().int() }).openapi("TierSet");

export const TierLevel = z
  .strictObject({
    key: z.string().min(1).max(32).openapi({ example: "gold", description: "Stable key: used in CEL (`customer.tier == \"gold\"`), the history and the API." }),
    name: z.string().min(1).max(100).openapi({ example: "Gold" }),
    threshold: amount.min(1).openapi({ description: "The basis needed to reach the level: minor units for spend, points, orders, or referrals." }),
    benefits: TierBenefits.default({}),
  })
  .openapi("TierLevel");

export const TierScheme = z
  .strictObject({
    basis: z.enum(TIER_BASES).openapi({ description: "spend: money paid (minus refunds); points: points earned (not the balance); visits: orders (not those refunded in full); referrals: referred friends who converted (docs/tiers.md)." }),
    window: z.enum(TIER_WINDOWS).openapi({ description: "Over which window the basis is measured, in the program's time zone." }),
    graceDays: z.number().int().min(0).max(364).default(0).openapi({ description: "Days after a period ends before a downgrade takes effect; qualifying again meanwhile cancels it." }),
    downgrade: z.enum(["one_level", "to_qualified"]).default("one_level").openapi({ description: "one_level: a review lowers a customer by at most one level." }),
    levels: z.array(TierLevel).min(1).max(20).openapi({ description: "In ascending order of threshold." }),
  })
  .openapi("TierScheme");

export const TierChange = z
  .object({
    id: z.string(),
    customerId: z.string().openapi({ description: "The store's id of the customer (empty once erased)." }),
    from: z.string().nullable(),
    to: z.string().nullable(),
    kind: z.enum(["upgrade", "downgrade", "renewal", "manual", "import"]),
    reason: z.string().nullable(),
    metric: z.number().int().nullable().openapi({ description: "The basis measured when the change was decided." }),
    occurredAt: z.string(),
  })
  .openapi("TierChange");

export const CustomerTier = z
  .object({
    tier: z
      .object({
        key: z.string(), name: z.string(), since: z.string(),
        reviewAt: z.string().nullable().openapi({ description: "When the period the tier holds for ends (null: never reviewed)." }),
        reviewTakesEffectAt: z.string().nullable().openapi({ description: "reviewAt plus the grace days: when a downgrade would take effect." }),
        source: z.enum(["earned", "manual", "import"]), reason: z.string().nullable(),
      })
      .nullable(),
    benefits: TierBenefits,
    basis: z.enum(TIER_BASES),
    window: z.enum(TIER_WINDOWS),
    progress: z.object({
      metric: z.number().int().openapi({ description: "The basis over the current window." }),
      next: z.object({ key: z.string(), name: z.string(), remaining: z.number().int(), by: z.string().nullable() }).nullable(),
      keep: z.object({ remaining: z.number().int(), by: z.string(), reviewedAt: z.string() }).nullable(),
      message: z.string().openapi({ example: "Spend ₫40,000 more by 31 December 2026 to keep Gold." }),
    }),
    history: z.array(TierChange).openapi({ description: "The last 20 changes, newest first." }),
  })
  .openapi("CustomerTier");

export const SetTier = z.strictObject({
  tier: z.string().min(1).max(32).nullable().openapi({ description: "A level key, or null to take the tier away." }),
  reason: z.string().min(1).max(500),
  reviewAt: isoDateTime.nullable().optional().openapi({ description: "Hold the tier until then before its first review (null: never reviewed). Default: the end of the current period." }),
  gift: z.boolean().default(true).openapi({ description: "Give the level's entry gifts (points, reward) if the customer never reached it before." }),
});

export const TierImport = z.strictObject({
  customers: z
    .array(z.strictObject({ customerId: id, tier: z.string().min(1).max(32).nullable(), since: isoDateTime.optional(), reviewAt: isoDateTime.nullable().optional() }))
    .min(1)
    .max(1000),
});
