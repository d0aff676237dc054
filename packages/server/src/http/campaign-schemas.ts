import { z } from "@hono/zod-openapi";
import { CAMPAIGN_KINDS, LIMIT_PERIODS, MAX_EFFECTS, STACKING_MODES } from "@patron/core";
import { amount, id, isoDateTime } from "./schemas.ts";
import { RuleSchedule } from "./rule-schemas.ts";
import { CAMPAIGN_STATUSES } from "../app/promotions/campaign.ts";

/**
 * Campaign management schemas (core/promotions/types.ts). They bound every field; what they cannot
 * say (conditions that type-check, a code that fits the kind, two decimals) is checkCampaign's, and
 * answers CAMPAIGN_INVALID with the field.
 */

const MAX_AMOUNT = 1_000_000_000_000;
const money = (min: 0 | 1) => z.number().int().min(min).max(MAX_AMOUNT);
const whole = (max: number) => z.number().int().min(1).max(max);
/** Ids of other objects (campaigns, rewards) named in a definition. */
const refId = z.string().min(1).max(64);
const percent = z.number().gt(0).max(100).openapi({ description: "Above 0, at most 100, with at most two decimals (12.5)." });
const cel = z.string().min(1).max(4000);

export const LineFilter = z
  .strictObject({
    skus: z.array(id).min(1).max(500).optional(),
    categories: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
  })
  .openapi("LineFilter", { description: "Lines with one of these skus or in one of these categories; an empty filter reaches every line." });
const filter = LineFilter.default({});
const unitsOf = z.strictObject({ filter, quantity: whole(10_000) });

export const PromotionEffect = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("order_percent"), percent, max: money(1).optional().openapi({ description: "At most this much off, minor units." }) }),
    z.strictObject({ kind: z.literal("order_fixed"), amount: amount.openapi({ description: "Minor units off the merchandise. 0 for campaigns whose codes carry their own value (follow-up codes)." }) }),
    z.strictObject({ kind: z.literal("lines_percent"), percent, filter, cheapest: whole(10_000).optional().openapi({ description: "Only the N cheapest matching units." }) }),
    z.strictObject({ kind: z.literal("lines_fixed"), amountPerUnit: money(1), filter, cheapest: whole(10_000).optional() }),
    z.strictObject({ kind: z.literal("bundle"), items: z.array(unitsOf).max(20), price: amount.openapi({ description: "What one application's units cost together." }), maxApplications: whole(10_000).optional() }),
    z.strictObject({ kind: z.literal("buy_x_get_y"), buy: unitsOf, get: unitsOf, percent: percent.openapi({ description: "Off the `get` units; 100: free." }), maxApplications: whole(10_000).optional() }),
    z.strictObject({ kind: z.literal("gift"), sku: id, name: z.string().min(1).max(500).optional(), quantity: whole(1_000) }),
    z.strictObject({ kind: z.literal("free_shipping"), max: money(1).optional() }),
    z.strictObject({ kind: z.literal("bonus_points"), points: whole(MAX_AMOUNT) }),
    z.strictObject({ kind: z.literal("points_multiplier"), factor: z.number().gt(1).max(100).openapi({ description: "2 gives as much again as the earning rules; at most two decimals. One per campaign." }) }),
    z.strictObject({
      kind: z.literal("follow_up_code"),
      campaignId: refId.openapi({ description: "A bulk_codes campaign: the personal code is one of its codes." }),
      validDays: z.number().int().min(1).max(3650),
      percentOfOrder: percent.optional().openapi({ description: "The code is worth this share of the order's total; the target campaign's order_fixed effects give it." }),
    }),
    z.strictObject({ kind: z.literal("partner_code"), rewardId: refId.openapi({ description: "A partner_coupon reward: one code of its pool per completed order." }) }),
    z.strictObject({
      kind: z.literal("progressive_percent"),
      basis: z.enum(["visits", "spend"]).openapi({ description: "visits: orders (not refunded in full); spend: money paid minus refunds, minor units." }),
      period: z.enum(LIMIT_PERIODS).openapi({ description: "The count starts again each period (program's time zone)." }),
      orderCondition: cel.nullable().optional().openapi({ description: "CEL over `order`: which earlier orders count (\"a lunch\": `order.lines.exists(l, l.category == 'lunch')`). Null: every order." }),
      basePercent: z.number().min(0).max(100).openapi({ description: "The rate before any step, 0 allowed." }),
      stepPercent: percent.openapi({ description: "Added for every `every` reached." }),
      every: whole(MAX_AMOUNT).openapi({ description: "Visits, or minor units of spend, per step." }),
      maxPercent: percent.openapi({ description: "The rate never goes above this." }),
      max: money(1).optional().openapi({ description: "At most this much off, minor units." }),
    }).openapi({ description: "A percentage off the order that grows with the customer's qualifying orders this period and starts again when it ends." }),
    z.strictObject({
      kind: z.literal("spend_ladder"),
      steps: z.array(z.strictObject({ from: money(0), percent })).min(1).max(20).openapi({ description: "Lifetime spend thresholds (minor units, ascending) and the percentage each gives." }),
      max: money(1).optional(),
    }).openapi({ description: "A percentage off the order by the customer's lifetime spend: the highest step reached." }),
  ])
  .openapi("PromotionEffect");

export const CampaignLimits = z
  .strictObject({
    total: whole(1_000_000_000).optional().openapi({ description: "Redemptions across all customers." }),
    perCustomer: z.strictObject({ max: whole(1_000_000), per: z.enum(LIMIT_PERIODS) }).optional().openapi({ description: "Members by id, guests by normalised email and phone." }),
    budget: z.strictObject({ money: money(1).optional(), points: whole(MAX_AMOUNT).optional() }).optional().openapi({ description: "The discount given (minor units) or bonus points given, in all." }),
  })
  .openapi("CampaignLimits");

const fields = {
  name: z.string().min(1).max(200),
  description: z.string().max(2000).nullable(),
  kind: z.enum(CAMPAIGN_KINDS),
  code: z.string().min(1).max(100).nullable().openapi({ description: "`code` campaigns: 3 to 64 letters and digits, typed in any case, spaces and hyphens ignored; stored and shown in normal form." }),
  schedule: RuleSchedule.nullable(),
  audience: cel.nullable().openapi({ description: "CEL over `customer` (and `now`, `local`), e.g. `isMember()`; null: everyone, guests included." }),
  condition: cel.nullable().openapi({ description: "CEL over `cart` (an alias of `order`), e.g. `cart.subtotal >= 100000`; null: every cart." }),
  effects: z.array(PromotionEffect).max(MAX_EFFECTS),
  stacking: z.enum(STACKING_MODES).openapi({ description: "exclusive: alone; stackable: with every other stackable campaign; group: with campaigns of the same group." }),
  group: z.string().min(1).max(64).nullable(),
  priority: z.number().int().min(-1000).max(1000).openapi({ description: "Lower applies first, so later percentages apply to what is left." }),
  limits: CampaignLimits,
};

export const CampaignCreate = z
  .strictObject({
    ...fields,
    description: fields.description.optional(),
    code: fields.code.optional(),
    schedule: fields.schedule.default(null),
    audience: fields.audience.default(null),
    condition: fields.condition.default(null),
    // Exclusive unless said otherwise: a new campaign never stacks onto others by surprise.
    stacking: fields.stacking.default("exclusive"),
    group: fields.group.optional(),
    priority: fields.priority.default(100),
    limits: fields.limits.default({}),
    status: z.enum(["enabled", "disabled"]).default("enabled"),
  })
  .openapi("CampaignCreate");

export const CampaignPatch = z
  .strictObject(fields)
  .partial()
  .openapi("CampaignPatch", { description: "The fields to change (send them all to replace the definition); saved as the next version. The kind cannot change." });

export const CodeCounts = z.object({ total: z.number().int(), used: z.number().int().openapi({ description: "Codes used at least once." }) }).openapi("CodeCounts");

export const Campaign = z
  .object({
    id: z.string().openapi({ example: "cmp_01JD3Y6R5W9M2X8ZQ0B7T4K1AA" }),
    status: z.enum(CAMPAIGN_STATUSES),
    version: z.number().int(),
    kind: z.enum(CAMPAIGN_KINDS),
    name: z.string(),
    description: z.string().nullable(),
    code: z.string().nullable(),
    schedule: RuleSchedule.nullable(),
    audience: z.string().nullable(),
    condition: z.string().nullable(),
    effects: z.array(PromotionEffect),
    stacking: z.enum(STACKING_MODES),
    group: z.string().nullable(),
    priority: z.number().int(),
    limits: CampaignLimits,
    usage: z.object({
      redeemed: z.number().int(),
      budgetMoneyUsed: z.number().int(),
      budgetPointsUsed: z.number().int(),
      codes: CodeCounts.optional().openapi({ description: "bulk_codes campaigns only." }),
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Campaign");

const codeTerms = {
  maxUses: z.number().int().min(1).max(1_000_000).optional().openapi({ description: "Completed orders each code may be used on; default 1." }),
  expiresAt: isoDateTime.nullable().optional().openapi({ description: "When the codes stop working; absent: they do not expire." }),
};

export const CodeGeneration = z
  .strictObject({
    count: z.number().int().min(1).max(100_000),
    pattern: z.string().min(1).max(64).optional().openapi({ description: "`#` is a random character (no look-alikes), the rest is kept: `BF-####-######`. At least 10 `#`. Default `####-####-####`.", example: "BF-#####-#####" }),
    ...codeTerms,
  })
  .openapi("CodeGeneration");

export const CodeImport = z
  .strictObject({
    csv: z.string().min(1).max(1_000_000).optional().openapi({ description: "One code per line, or the first column; a header `code` is skipped." }),
    codes: z.array(z.string().min(1).max(100)).min(1).max(100_000).optional(),
    ...codeTerms,
  })
  .refine((b) => (b.csv === undefined) !== (b.codes === undefined), "give csv or codes")
  .openapi("CodeImport");

export const CodeGenerationResult = z.object({ generated: z.number().int(), pattern: z.string(), codes: CodeCounts }).openapi("CodeGenerationResult");

export const CodeImportResult = z
  .object({ added: z.number().int(), duplicates: z.number().int(), duplicateCodes: z.array(z.string()).openapi({ description: "The first 100." }), codes: CodeCounts })
  .openapi("CodeImportResult");

export const CampaignCode = z
  .object({
    code: z.string(),
    used: z.number().int(),
    maxUses: z.number().int(),
    expiresAt: z.string().nullable(),
    customerId: z.string().nullable().openapi({ description: "Your id of the only customer who may use it (personal follow-up codes); null: anyone." }),
    value: z.number().int().nullable().openapi({ description: "A code with its own value (follow-up codes), minor units." }),
    createdAt: z.string(),
  })
  .openapi("CampaignCode");
