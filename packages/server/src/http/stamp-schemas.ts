import { z } from "@hono/zod-openapi";
import { LIMIT_PERIODS, MAX_STAMPS_PER_CARD, STAMP_PER } from "@patron/core";
import { boundedJson, expiry, id } from "./schemas.ts";
import { STAMP_CARD_STATUSES } from "../app/stamps/stamp-card.ts";

/**
 * Stamp card and staff schemas (core/stamps, docs/stamps.md). They bound every field; what they
 * cannot say (a condition that type-checks, one limit per period) is checkStampCard's, answered as
 * STAMP_CARD_INVALID with the field.
 */

const whole = (max: number) => z.number().int().min(1).max(max);

const StampLimit = z
  .strictObject({ per: z.enum(LIMIT_PERIODS), maxStamps: whole(1_000_000).openapi({ description: "The most stamps a customer gets on this card per period (program's time zone)." }) })
  .openapi("StampLimit");

const StampReward = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("reward"), rewardId: z.string().min(1).max(64).openapi({ description: "A reward of the catalogue (not archived), issued for 0 points with its code: a free_product reward for \"the 10th coffee free\". It may be disabled in the catalogue, so it cannot be bought with points." }) }),
    z.strictObject({ kind: z.literal("points"), points: whole(1_000_000_000) }),
  ])
  .openapi("StampReward");

const cardFields = {
  name: z.string().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  stamps: z.number().int().min(2).max(MAX_STAMPS_PER_CARD).openapi({ description: "Stamps that fill the card.", example: 10 }),
  qualifying: z.string().min(1).max(4000).nullable().openapi({
    description: "CEL over one order line (`line.sku`, `line.category`, `line.quantity`, `line.unitPrice`, `line.net`, `line.weight`, `line.name`), which may also read `order`, `now` and `local` (not `customer`). Null: every line qualifies.",
    example: 'line.category == "coffee"',
  }),
  per: z.enum(STAMP_PER).openapi({ description: "unit: a stamp per qualifying unit; line: per qualifying line; order: one per order with a qualifying line." }),
  maxPerOrder: whole(1_000_000).nullable().optional().openapi({ description: "The most stamps one order (or one staff confirmation) gives." }),
  limits: z.array(StampLimit).max(LIMIT_PERIODS.length).openapi({ description: "Per customer and period; every stamp counts, from orders and staff alike." }),
  expiry: expiry.openapi({ description: "When each stamp expires, counted from when it was given." }),
  reward: StampReward,
};

export const StampCardCreate = z
  .strictObject({
    ...cardFields,
    qualifying: cardFields.qualifying.default(null),
    limits: cardFields.limits.default([]),
    expiry: cardFields.expiry.default({ kind: "never" }),
    status: z.enum(["enabled", "disabled"]).default("enabled"),
  })
  .openapi("StampCardCreate");

export const StampCardPatch = z
  .strictObject({
    name: cardFields.name.optional(),
    description: cardFields.description,
    stamps: cardFields.stamps.optional(),
    qualifying: cardFields.qualifying.optional(),
    per: cardFields.per.optional(),
    maxPerOrder: cardFields.maxPerOrder,
    limits: cardFields.limits.optional(),
    expiry: expiry.optional(),
    reward: StampReward.optional(),
    status: z.enum(["enabled", "disabled"]).optional().openapi({ description: "Archive with POST /v1/stamp-cards/{cardId}/archive." }),
  })
  .openapi("StampCardPatch");

export const StampCard = z
  .object({
    id: z.string(),
    status: z.enum(STAMP_CARD_STATUSES),
    name: z.string(),
    description: z.string().nullable(),
    stamps: z.number().int(),
    qualifying: z.string().nullable(),
    per: z.enum(STAMP_PER),
    maxPerOrder: z.number().int().nullable(),
    limits: z.array(StampLimit),
    expiry,
    reward: StampReward,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("StampCard");

export const CustomerStampCard = z
  .object({
    cardId: z.string(),
    name: z.string(),
    status: z.enum(STAMP_CARD_STATUSES),
    stamps: z.number().int().openapi({ description: "Stamps on the card now (expired ones excluded)." }),
    needed: z.number().int().openapi({ description: "Stamps still needed to fill the card (0: full, the reward waits for stock)." }),
    size: z.number().int().openapi({ description: "Stamps that fill the card." }),
    completions: z.number().int().openapi({ description: "Cards filled so far." }),
    expiringSoonest: z.object({ stamps: z.number().int(), at: z.string() }).nullable().openapi({ description: "The stamps that expire first, and when." }),
    lastCompletion: z
      .object({ sequence: z.number().int(), completedAt: z.string(), transactionId: z.string(), redemptionId: z.string().nullable() })
      .nullable(),
    reward: StampReward,
  })
  .openapi("CustomerStampCard");

const pin = z.string().regex(/^\d{4,8}$/, "4 to 8 digits");

export const StaffCreate = z
  .strictObject({
    name: z.string().min(1).max(200),
    store: z.string().min(1).max(200).nullable().optional().openapi({ description: "Where they work, recorded with each confirmation." }),
    pin: pin.openapi({ description: "4 to 8 digits, unique among the program's active staff. Stored as a salted scrypt hash, never returned." }),
  })
  .openapi("StaffCreate");

export const StaffMember = z
  .object({ id: z.string(), name: z.string(), store: z.string().nullable(), status: z.enum(["active", "disabled"]), hasKey: z.boolean(), createdAt: z.string(), updatedAt: z.string() })
  .openapi("StaffMember");

export const StaffConfirmation = z
  .strictObject({
    id: id.max(200).openapi({ description: "The confirmation's id: its idempotency key, forever. The same id and body answer the first result again." }),
    pin: pin.optional().openapi({ description: "The confirming staff member's PIN; or give `key`." }),
    key: z.string().min(8).max(100).optional().openapi({ description: "The confirming staff member's badge key (`stk_…`, POST /v1/staff/{id}/key), scanned instead of the PIN." }),
    staffId: z.string().min(1).max(64).optional().openapi({ description: "Optional: check the PIN of this staff member only (faster with many staff). A wrong id or PIN answers the same STAFF_PIN_INVALID." }),
    customerId: id.openapi({ description: "The store's id of the customer (who must exist)." }),
    action: z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("stamp"), cardId: z.string().min(1).max(64), count: whole(1000).default(1) }),
      z.strictObject({
        kind: z.literal("custom"),
        name: z.string().min(1).max(100).regex(/^[a-z0-9_.:-]+$/i).openapi({ example: "own_cup" }),
        data: z.record(z.string().max(64), z.unknown()).refine((v) => boundedJson(v, 16_384), "data must serialise to at most 16 KB, nested at most 32 levels").default({}),
      }),
    ]),
  })
  .refine((b) => (b.pin === undefined) !== (b.key === undefined), "give either pin or key")
  .openapi("StaffConfirmation");

export const StaffConfirmationResult = z
  .object({
    id: z.string(),
    staff: z.object({ id: z.string(), name: z.string(), store: z.string().nullable() }),
    customerId: z.string(),
    action: z.record(z.string(), z.unknown()),
    stamps: z.record(z.string(), z.unknown()).optional().openapi({ description: "stamp: what the card did (added, balance, completed, rewards), as in an order event's effects.stamps." }),
    earningSkipped: z.literal("CUSTOMER_BLOCKED").optional(),
    event: z.object({ eventId: z.string(), effects: z.record(z.string(), z.unknown()) }).optional().openapi({ description: "custom: the custom event recorded (data.confirmedBy is the staff id) and what the earning rules gave." }),
    confirmedAt: z.string(),
  })
  .openapi("StaffConfirmationResult");
