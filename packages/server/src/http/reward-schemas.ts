import { z } from "@hono/zod-openapi";
import { LIMIT_PERIODS, REWARD_KINDS } from "@patron/core";
import { amount, CART_OVER_MAX, cartWithinMax, expiry, id, isoDateTime, MAX_AMOUNT, OrderLine } from "./schemas.ts";
import { ruleInt } from "./rule-schemas.ts";

/** Rewards' request and response schemas (core/rewards), split from schemas.ts. */

const rewardConfig = z
  .strictObject({
    amount: ruleInt(MAX_AMOUNT).optional().openapi({ description: "fixed_discount: minor units off; wallet_credit: minor units credited." }),
    asset: z.enum(["bonus", "cash"]).optional().openapi({ description: "wallet_credit: `bonus` (store credit, spent only here) or `cash` (withdrawable after the wallet's hold)." }),
    expiry: expiry.optional().openapi({ description: "wallet_credit: when the credit expires; absent: never." }),
    percent: z.number().int().min(1).max(100).optional().openapi({ description: "percent_discount: 1-100." }),
    cap: ruleInt(MAX_AMOUNT).optional().openapi({ description: "percent_discount: at most this much off." }),
    sku: id.optional().openapi({ description: "free_product: one unit of this sku." }),
    partner: z.string().min(1).max(200).optional().openapi({ description: "partner_coupon: who honours the codes." }),
  })
  .openapi("RewardConfig");

const rewardFields = {
  name: z.string().min(1).max(200),
  description: z.string().max(2000).nullable(),
  kind: z.enum(REWARD_KINDS),
  config: rewardConfig,
  cost: ruleInt(MAX_AMOUNT).openapi({ description: "Points." }),
  minOrder: ruleInt(MAX_AMOUNT).nullable().openapi({ description: "Rewards used at checkout: the merchandise the cart needs, minor units." }),
  validDays: z.number().int().min(1).max(3650).nullable().openapi({ description: "Days an issued code stays valid; null: until used or cancelled." }),
  activeFrom: isoDateTime.nullable(),
  activeTo: isoDateTime.nullable(),
  stock: z.number().int().min(0).max(100_000_000).nullable().openapi({ description: "How many can be redeemed in all; null: unlimited. Partner coupons are also limited by their pool." }),
  perCustomer: z.strictObject({ max: ruleInt(1_000_000), per: z.enum(LIMIT_PERIODS) }).nullable(),
  condition: z.string().min(1).max(4000).nullable().openapi({ description: "CEL over the customer (docs/rules.md), e.g. `customer.metrics.lifetimeOrders >= 3`." }),
};

export const RewardCreate = z
  .strictObject({
    ...rewardFields,
    description: rewardFields.description.optional(),
    config: rewardConfig.default({}),
    minOrder: rewardFields.minOrder.optional(),
    validDays: rewardFields.validDays.optional(),
    activeFrom: rewardFields.activeFrom.optional(),
    activeTo: rewardFields.activeTo.optional(),
    stock: rewardFields.stock.optional(),
    perCustomer: rewardFields.perCustomer.optional(),
    condition: rewardFields.condition.optional(),
    status: z.enum(["enabled", "disabled"]).default("enabled"),
  })
  .openapi("RewardCreate");

export const RewardPatch = z
  .strictObject({ ...rewardFields, status: z.enum(["enabled", "disabled", "archived"]) })
  .partial()
  .openapi("RewardPatch");

export const Reward = z
  .object({
    id: z.string(), name: z.string(), description: z.string().nullable(), kind: z.string(), config: z.record(z.string(), z.unknown()), cost: z.number().int(),
    minOrder: z.number().int().nullable(), validDays: z.number().int().nullable(), activeFrom: z.string().nullable(), activeTo: z.string().nullable(),
    stock: z.number().int().nullable(), issued: z.number().int(), available: z.number().int().nullable(), perCustomer: z.unknown(), condition: z.string().nullable(),
    status: z.string(), createdAt: z.string(), updatedAt: z.string(),
  })
  .openapi("Reward");

export const Redemption = z
  .object({
    id: z.string(), rewardId: z.string(), reward: z.record(z.string(), z.unknown()), customerId: z.string(), points: z.number().int(),
    status: z.enum(["issued", "used", "expired", "cancelled"]), code: z.string().nullable(), partnerCode: z.string().nullable(), fulfilment: z.string().nullable(),
    transactionId: z.string().nullable().openapi({ description: "The ledger transaction that paid for it (points, or a full stamp card's stamps); null for a tier's entry reward, which cost nothing." }),
    returnTransactionId: z.string().nullable(),
    reference: z.string().nullable().openapi({ description: "For a reward given for free, its business key (never given twice): `tier-gift:{customer}:{level}` for a tier's entry reward, `stamps:{card}:completion:{customer}:{n}` for a full stamp card; null when bought with points." }),
    usedOrderId: z.string().nullable(), usedAt: z.string().nullable(),
    expiresAt: z.string().nullable(), createdAt: z.string(),
  })
  .openapi("Redemption");

export const CodeValidation = z
  .strictObject({
    code: z.string().min(1).max(100),
    customerId: id.optional().openapi({ description: "When given, a code of another customer is not valid." }),
    cart: z.strictObject({ lines: z.array(OrderLine).max(500), shipping: amount.optional() }).refine(cartWithinMax, CART_OVER_MAX),
  })
  .openapi("CodeValidation");
