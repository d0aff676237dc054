import { z } from "@hono/zod-openapi";
import { TierEffect } from "./tier-schemas.ts";
import { id } from "./schemas.ts";
import { LIMIT_PERIODS, REFERRAL_FLAGS } from "@patron/core";

const whole = (min: number, max = 1_000_000_000_000) => z.number().int().min(min).max(max);
// A reward of {} was accepted and gave the referrer nothing at every conversion, without a word.
const Reward = z
  .strictObject({ points: whole(1).optional(), bonus: whole(1).optional().openapi({ description: "Bonus wallet money, minor units." }) })
  .refine((r) => r.points !== undefined || r.bonus !== undefined, "a reward gives points or bonus (or both)")
  .openapi("ReferralReward", { description: "At least one of `points` and `bonus`.", minProperties: 1 });

export const ReferralSettings = z
  .strictObject({
    enabled: z.boolean().default(true),
    attributionDays: whole(1, 365).default(30).openapi({ description: "Days a link click keeps its claim on a signup; the first touch wins." }),
    friend: z.strictObject({
      campaignId: z.string().min(1).max(64).nullable().default(null).openapi({ description: "A bulk_codes campaign: the friend gets one personal code of it (\"10% off the first order\")." }),
      validDays: whole(1, 3650).default(30),
      points: whole(0).default(0),
    }),
    referrer: z.strictObject({
      on: z.enum(["signup", "first_order", "every_order"]).openapi({ description: "What converts a referral: the friend's signup, first order, or every order for `months`." }),
      months: whole(1, 120).optional(),
      holdDays: whole(0, 365).default(14).openapi({ description: "The reward stays pending this long; a full refund of the converting order meanwhile cancels it." }),
      reward: Reward,
      ladder: z.array(z.strictObject({ from: whole(2, 1_000_000), reward: Reward })).max(20).default([]).openapi({ description: "From the `from`-th conversion on, each gives `reward`." }),
    }),
    commission: z
      .strictObject({
        percent: z.number().gt(0).max(100), asset: z.enum(["points", "bonus"]), months: whole(1, 120),
        capPerFriend: whole(1).optional(), capPerPeriod: z.strictObject({ amount: whole(1), per: z.enum(LIMIT_PERIODS) }).optional(),
      })
      .nullable()
      .default(null),
    caps: z.array(z.strictObject({ per: z.enum(LIMIT_PERIODS), max: whole(1, 1_000_000) })).max(5).default([]).openapi({ description: "Rewarded conversions per referrer and period." }),
    holdSuspicious: z.boolean().default(true).openapi({ description: "A shared address, device or IP holds the referral for review (else it is blocked)." }),
  })
  .openapi("ReferralSettings");

export const ReferralSettingsBody = z.strictObject({ settings: ReferralSettings.nullable(), landingUrl: z
    .string()
    .url()
    .max(2000)
    // Visitors of a referral link are redirected to it: javascript:, data: and the like passed as URLs.
    .regex(/^https?:\/\//i, "an http:// or https:// URL")
    .nullable()
    .default(null) });

export const AttributionBody = z
  .strictObject({
    friendId: id.openapi({ description: "Your id of the new customer (the friend), as in events." }),
    code: z.string().min(1).max(40).optional(),
    clickId: z.string().min(1).max(64).optional(),
    email: z.string().max(320).optional(),
    phone: z.string().max(40).optional(),
    address: z.string().max(500).optional(),
    device: z.string().max(200).optional(),
    ip: z.string().max(64).optional(),
  })
  .refine((b) => b.code !== undefined || b.clickId !== undefined, "give code or clickId");

export const ReferralEffect = z
  .object({
    referralId: z.string(), referrerId: z.string(),
    reward: z.object({ points: z.number().int(), bonus: z.number().int(), sequence: z.number().int(), availableAt: z.string() }).optional(),
    commission: z.object({ points: z.number().int(), bonus: z.number().int(), availableAt: z.string() }).optional(),
    skipped: z.enum(["REFERRER_CAP_REACHED"]).optional(),
  })
  .openapi("ReferralEffect");

export const Attribution = z
  .object({
    referralId: z.string(), referrerId: z.string(), friendId: z.string(),
    status: z.enum(["attributed", "blocked", "held"]),
    flags: z.array(z.enum(REFERRAL_FLAGS)),
    friendCode: z.object({ code: z.string(), expiresAt: z.string() }).nullable(),
    friendPoints: z.number().int(),
    referrerReward: ReferralEffect.optional().openapi({ description: "`on: \"signup\"`: the referrer's reward (pending until the hold passes), or why none." }),
    referrerTier: TierEffect.optional().openapi({ description: "Tiers by referrals, `on: \"signup\"`: the referrer's tier went up at this conversion." }),
  })
  .openapi("Attribution");

const Amounts = z.object({ points: z.number().int(), bonus: z.number().int() });
export const ReferralFunnel = z
  .object({ clicks: z.number().int(), signups: z.number().int(), converted: z.number().int(), blocked: z.number().int(), held: z.number().int(), rewards: z.object({ pending: Amounts, available: Amounts, cancelled: Amounts }) })
  .openapi("ReferralFunnel");
export const Referrer = ReferralFunnel.extend({
  code: z.string().openapi({ example: "ANNA-7K3Q" }),
  linkPath: z.string().openapi({ description: "The link's path on this server: it records the visit and lands on the program's page." }),
  link: z.string().nullable().openapi({ description: "The whole link to share, when the server knows its public URL (`PATRON_PUBLIC_URL`); null otherwise: prefix `linkPath` yourself." }),
  ladder: z.object({ step: z.number().int(), next: z.object({ from: z.number().int(), remaining: z.number().int(), reward: z.object({ points: z.number().int().optional(), bonus: z.number().int().optional() }) }).nullable() }),
}).openapi("Referrer");
