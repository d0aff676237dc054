import { z } from "@hono/zod-openapi";
import { AMOUNT_BASES, ASSETS, LIMIT_PERIODS, ROUNDINGS, TRIGGER_EVENTS } from "@patron/core";
import { expiry, id, isoDateTime, MAX_AMOUNT } from "./schemas.ts";

/** Earning rules' request and response schemas (core/rules/types.ts), split from schemas.ts. */

const ruleAsset = z.enum(ASSETS).default("points").openapi({ description: "The ledger asset the rule gives (stamps and wallets plug in here)." });
export const ruleInt = (max: number) => z.number().int().min(1).max(max);

export const RuleEffect = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("fixed"),
      asset: ruleAsset,
      points: ruleInt(1_000_000_000).optional(),
      worth: ruleInt(MAX_AMOUNT).optional().openapi({ description: "Instead of points: a money amount (minor units) turned into points at the program's pointValue, rounded down." }),
    }),
    z.strictObject({
      kind: z.literal("per_amount"),
      asset: ruleAsset,
      points: ruleInt(1_000_000),
      per: ruleInt(MAX_AMOUNT),
      rounding: z.enum(ROUNDINGS).default("floor"),
      base: z.enum(AMOUNT_BASES).default("earning_base").openapi({ description: "The order's earning_base, subtotal or total; `amount`: the event's data.amount (wallet.topped_up)." }),
    }),
    z.strictObject({
      kind: z.literal("per_line"),
      asset: ruleAsset,
      points: ruleInt(1_000_000),
      per: z.enum(["quantity", "line"]).default("quantity"),
      skus: z.array(id).min(1).max(500).optional(),
      categories: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
    }),
    z.strictObject({ kind: z.literal("multiplier"), asset: ruleAsset, factor: z.number().gt(1).max(100) }),
  ])
  .openapi("RuleEffect");

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 00:00 to 23:59");
export const RuleSchedule = z
  .strictObject({
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    daysOfWeek: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional().openapi({ description: "1 = Monday … 7 = Sunday, in the program's time zone." }),
    daysOfMonth: z.array(z.number().int().min(1).max(31)).min(1).max(31).optional(),
    hours: z.array(z.strictObject({ from: hhmm, to: hhmm })).min(1).max(24).optional().openapi({ description: "Local time ranges, `to` exclusive; 22:00-02:00 wraps midnight." }),
  })
  .openapi("RuleSchedule");

const RuleTrigger = z
  .strictObject({
    event: z.enum(TRIGGER_EVENTS),
    name: z.string().min(1).max(100).regex(/^[a-z0-9_.:-]+$/i).optional().openapi({ description: "custom events: the event's name." }),
    birthdayOn: z.enum(["day", "month_start"]).optional().openapi({ description: "customer.birthday: on the day (default) or the first day of the month." }),
  })
  .openapi("RuleTrigger");

const RuleLimit = z.strictObject({ per: z.enum(LIMIT_PERIODS), maxAwards: ruleInt(1_000_000).optional(), maxPoints: ruleInt(MAX_AMOUNT).optional() }).openapi("RuleLimit");

const ruleFields = {
  name: z.string().min(1).max(200),
  trigger: RuleTrigger,
  condition: z.string().min(1).max(4000).nullable().openapi({ description: "A CEL expression over the documented context (docs/rules.md); null: always." }),
  effect: RuleEffect,
  schedule: RuleSchedule.nullable(),
  limits: z.array(RuleLimit).max(10),
  budget: z.strictObject({ points: ruleInt(MAX_AMOUNT) }).nullable(),
  pendingDays: z.number().int().min(0).max(365).nullable().openapi({ description: "Null: the program's." }),
  expiry: expiry.nullable().openapi({ description: "Null: the program's." }),
  priority: z.number().int().min(-1000).max(1000).openapi({ description: "Lower runs first; the base earning runs at 0." }),
  stopFurther: z.boolean(),
};

export const RuleCreate = z
  .strictObject({
    ...ruleFields,
    condition: ruleFields.condition.default(null),
    schedule: ruleFields.schedule.default(null),
    limits: ruleFields.limits.default([]),
    budget: ruleFields.budget.default(null),
    pendingDays: ruleFields.pendingDays.default(null),
    expiry: ruleFields.expiry.default(null),
    priority: ruleFields.priority.default(100),
    stopFurther: ruleFields.stopFurther.default(false),
    status: z.enum(["enabled", "disabled"]).default("enabled"),
  })
  .openapi("RuleCreate");

export const RulePatch = z.strictObject(ruleFields).partial().openapi("RulePatch", { description: "Fields to change; the result is saved as a new version." });

export const Rule = z
  .object({
    id: z.string(),
    status: z.enum(["enabled", "disabled", "archived"]),
    version: z.number().int(),
    definition: z.record(z.string(), z.unknown()),
    failures: z.array(z.object({ version: z.number().int(), count: z.number().int(), lastError: z.string(), lastAt: z.string() })).openapi({ description: "Run-time failures per version (the rule was skipped; the event was not)." }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Rule");

